"""`mnemoscope signals`: list the membership signals and their papers."""

from __future__ import annotations

from .command import Command


class Signals(Command):
    name = "signals"
    help = "list the membership signals"

    def main(self, args) -> int:
        from ..signals import signals

        for name in signals.names():
            cls = signals.get(name)
            doc = (cls.__doc__ or "").strip().splitlines()[0]
            print(f"{name:<18} {cls.paper:<45} {doc}")
        return 0


command = Signals()
