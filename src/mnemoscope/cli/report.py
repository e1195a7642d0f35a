"""`mnemoscope report DIR`: (re)write DIR/report.html from a run folder."""

from __future__ import annotations

from .command import Command


class Report(Command):
    name = "report"
    help = "write DIR/report.html for a run folder"

    def add_flags(self, parser):
        parser.add_argument("run_dir", help="a run folder (the --out of score, lab, extract, ...)")

    def main(self, args) -> int:
        from ..report import write_report

        print(write_report(args.run_dir))
        return 0


command = Report()
