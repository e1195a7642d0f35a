"""`mnemoscope report DIR`: (re)write DIR/report.html from a run folder."""

from __future__ import annotations

import argparse

from .command import Command


class Report(Command):
    name = "report"
    help = "write DIR/report.html for a run folder"

    def add_flags(self, parser):
        parser.add_argument("run_dir", help="a run folder (the --out of score, lab, extract, ...)")
        parser.add_argument("--threshold", action="append", type=threshold, default=[],
                            metavar="KIND=VALUE",
                            help="repeatable: where a curve over training counts as memorized, "
                                 "e.g. auroc=0.8, exposure=6, extraction=0.05 (the dynamics "
                                 "section's 'first memorized at step ...')")

    def main(self, args) -> int:
        from ..report import write_report

        options = {"thresholds": dict(args.threshold)} if args.threshold else {}
        print(write_report(args.run_dir, options))
        return 0


THRESHOLD_KINDS = ("auroc", "exposure", "extraction")


def threshold(text: str) -> tuple[str, float]:
    """`auroc=0.8` -> ("auroc", 0.8)."""
    kind, _, value = text.partition("=")
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if kind not in THRESHOLD_KINDS or number != number:
        raise argparse.ArgumentTypeError(f"{text!r}: write KIND=VALUE with KIND one of "
                                         f"{', '.join(THRESHOLD_KINDS)}, e.g. auroc=0.8")
    return kind, number


command = Report()
