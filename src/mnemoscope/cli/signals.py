"""`mnemoscope signals`: list the membership signals, their papers and their cost."""

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
            print(f"{'':<18} cost: 1 pass + {cls.extra_passes}" if cls.reads_scores()
                  else f"{'':<18} cost: {cls.extra_passes}")
        return 0


command = Signals()
