"""`mnemoscope report DIR`: (re)write DIR/report.html from a run folder."""

from __future__ import annotations

import argparse


def add_command(subparsers) -> None:
    parser = subparsers.add_parser("report", help="write DIR/report.html for a run folder")
    parser.add_argument("run_dir", help="a run folder (the --out of score, lab, extract, ...)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..report import write_report

    print(write_report(args.run_dir))
    return 0
