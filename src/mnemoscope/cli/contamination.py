"""`mnemoscope contamination cdd|completion|overlap|cutoff ...`.

Each audit lives in its own module and adds its own sub-command: a module listed in
AUDIT_COMMANDS defines `add_subcommand(actions)`, which adds one parser to the
`contamination` sub-parsers and sets `func` (args -> exit code). Modules listed here must
import without torch (cli.py imports them to build its parser).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..contamination import overlap
from ..contamination.cdd import CHECKERS_HELP, CDDConfig, CDDSpec, run_cdd
from ..contamination.completion import CompletionConfig, CompletionSpec, run_completion
from ..contamination.cutoff import CutoffConfig, run_cutoff
from ..contamination.cutoff_stats import PERIODS
from ..contamination.peakedness import PRESETS
from .flags import (add_data_flags, add_engine_flags, add_model_flags, data_config, default_out,
                    engine_options, model_config)


def add_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "contamination", help="benchmark contamination: cdd, completion, overlap, cutoff",
        description="Is a benchmark score reasoning or recall? Output-distribution peakedness "
                    "(CDD, with TED), partial-prompt completion, n-gram overlap against a "
                    "training corpus, and accuracy around a knowledge cutoff. Each writes a "
                    "run folder with summary.json, per-item Parquet rows and a report.")
    actions = parser.add_subparsers(dest="contamination_command", required=True)
    for add in (add_cdd, add_completion, add_cutoff, add_overlap):
        add(actions)


def add_cdd(actions) -> argparse.ArgumentParser:
    parser = actions.add_parser(
        "cdd", help="CDD: peakedness of sampled outputs around the greedy one; TED accuracy",
        description="For each item: one greedy output and n samples at temperature T. An item "
                    "is flagged when more than xi of the samples lie within alpha * l tokens "
                    "(Levenshtein, first 100 tokens; l = the longest output) of the greedy "
                    "output (Dong et al. 2024). With an answer column, TED drops samples within "
                    "tau tokens of greedy and duplicates, and reports accuracy before and after.")
    add_data_flags(parser, what="benchmark items (the text column is the prompt)")
    parser.add_argument("--out", default=None, help="run folder (default runs/cdd-<items>-<model>)")
    add_model_flags(parser)
    how = parser.add_argument_group("CDD")
    how.add_argument("--samples", "-n", type=int, default=50, help="sampled outputs per item")
    how.add_argument("--temperature", type=float, default=0.8)
    how.add_argument("--max-new-tokens", type=int, default=100)
    how.add_argument("--compare-tokens", type=int, default=100,
                     help="edit distances over the first this many tokens")
    how.add_argument("--preset", choices=sorted(PRESETS), default="default",
                     help="default: alpha 0.05, xi 0.01; real-world: alpha 0, xi 0.2")
    how.add_argument("--alpha", type=float, default=None, help="overrides the preset")
    how.add_argument("--xi", type=float, default=None, help="overrides the preset")
    how.add_argument("--chat-template", action="store_true",
                     help="send each item as a user message through the chat template")
    how.add_argument("--seed", type=int, default=0)
    ted = parser.add_argument_group("TED (needs an answer column)")
    ted.add_argument("--answer-column", default="answer")
    ted.add_argument("--checker", default="auto", help=CHECKERS_HELP)
    ted.add_argument("--tau", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=8,
                        help="items per written part: at most this many are redone after a crash")
    parser.add_argument("--no-report", action="store_true", help="do not write report.html")
    parser.add_argument("--json", action="store_true", help="print summary.json instead of a table")
    add_engine_flags(parser)
    parser.set_defaults(func=run_cdd_command)
    return parser


def cdd_spec(args: argparse.Namespace) -> CDDSpec:
    fields: dict[str, Any] = dict(
        samples=args.samples, temperature=args.temperature, max_new_tokens=args.max_new_tokens,
        compare_tokens=args.compare_tokens, tau=args.tau, checker=args.checker,
        answer_column=args.answer_column or None, chat_template=args.chat_template,
        seed=args.seed)
    if args.alpha is not None:
        fields["alpha"] = args.alpha
    if args.xi is not None:
        fields["xi"] = args.xi
    return CDDSpec(data=data_config(args), out=args.out or default_out("cdd", args.data, args.model),
                   model=model_config(args), cdd=CDDConfig.preset(args.preset, **fields),
                   chunk_size=args.chunk_size, progress=not getattr(args, "quiet", False),
                   report=not args.no_report)


def run_cdd_command(args: argparse.Namespace) -> int:
    result = run_cdd(cdd_spec(args), **engine_options(args))
    print(json.dumps(result.summary, indent=2) if args.json else result.table())
    return 0


def _ratios(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--ratios {text!r}: give numbers such as 0.4,0.6,0.8")


def add_completion(actions) -> argparse.ArgumentParser:
    parser = actions.add_parser(
        "completion", help="partial-prompt completion: ROUGE-L and exact match per prefix ratio",
        description="Cut each item after 40/60/80%% of its characters (at a word boundary), "
                    "continue greedily, and compare with the true remainder truncated to the "
                    "prediction's word count: ROUGE-L (stemmed) and exact match (ROUGE-L = 1), "
                    "per item and per ratio (Wu et al. 2025).")
    add_data_flags(parser, what="benchmark items (the text column is the item)")
    parser.add_argument("--out", default=None,
                        help="run folder (default runs/completion-<items>-<model>)")
    add_model_flags(parser)
    add_engine_flags(parser)
    how = parser.add_argument_group("completion")
    how.add_argument("--ratios", type=_ratios, default=(0.4, 0.6, 0.8),
                     help="prefix shares, comma-separated (default 0.4,0.6,0.8)")
    how.add_argument("--max-new-tokens", type=int, default=256,
                     help="cap on the continuation (default: the remainder's length + slack)")
    how.add_argument("--slack-tokens", type=int, default=8)
    how.add_argument("--no-stem", action="store_true", help="ROUGE-L without Porter stemming")
    parser.add_argument("--chunk-size", type=int, default=16,
                        help="items per written part: at most this many are redone after a crash")
    parser.add_argument("--no-report", action="store_true", help="do not write report.html")
    parser.add_argument("--json", action="store_true", help="print summary.json instead of a table")
    parser.set_defaults(func=run_completion_command)
    return parser


def completion_spec(args: argparse.Namespace) -> CompletionSpec:
    return CompletionSpec(
        data=data_config(args), out=args.out or default_out("completion", args.data, args.model),
        model=model_config(args),
        completion=CompletionConfig(ratios=args.ratios, max_new_tokens=args.max_new_tokens,
                                    slack_tokens=args.slack_tokens, stem=not args.no_stem),
        chunk_size=args.chunk_size, progress=not getattr(args, "quiet", False),
        report=not args.no_report)


def run_completion_command(args: argparse.Namespace) -> int:
    result = run_completion(completion_spec(args), **engine_options(args))
    print(json.dumps(result.summary, indent=2) if args.json else result.table())
    return 0


def add_cutoff(actions) -> argparse.ArgumentParser:
    parser = actions.add_parser(
        "cutoff", help="accuracy per period, and the gap around a knowledge cutoff",
        description="Accuracy per month/quarter/year of graded, dated items; the before/after "
                    "gap (percentage points, bootstrap CI) around --cutoff YYYY-MM (the last "
                    "month the model may know), or around an estimated change point.")
    parser.add_argument("results", help="graded items with a date and a correctness flag: "
                                        ".jsonl, .csv/.tsv (.gz), .parquet, or a run folder")
    parser.add_argument("--out", default=None, help="run folder (default runs/cutoff-<results>)")
    parser.add_argument("--cutoff", default=None,
                        help="YYYY-MM, the last month the model may know (default: estimate it)")
    parser.add_argument("--date-column", default="date")
    parser.add_argument("--correct-column", default="correct")
    parser.add_argument("--id-column", default=None)
    parser.add_argument("--period", choices=PERIODS, default="month")
    parser.add_argument("--min-segment", type=int, default=None,
                        help="rows each side of an estimated change point (default max(3, 10%%))")
    parser.add_argument("--bootstrap", type=int, default=1000, help="resamples for the gap CI")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-report", action="store_true", help="do not write report.html")
    parser.add_argument("--json", action="store_true", help="print summary.json instead of a table")
    parser.set_defaults(func=run_cutoff_command)
    return parser


def run_cutoff_command(args: argparse.Namespace) -> int:
    config = CutoffConfig(date_column=args.date_column, correct_column=args.correct_column,
                          id_column=args.id_column, period=args.period, cutoff=args.cutoff,
                          min_segment=args.min_segment, bootstrap=args.bootstrap, seed=args.seed)
    out = args.out or str(Path("runs") / f"cutoff-{Path(args.results).stem}")
    result = run_cutoff(args.results, out, config, report=not args.no_report)
    print(json.dumps(result.summary, indent=2) if args.json else result.table())
    return 0


def add_overlap(actions) -> argparse.ArgumentParser:
    parser = actions.add_parser(
        "overlap", help="n-gram overlap of benchmark items with a training corpus",
        description="Index the items' n-grams (default 13 normalized words, as "
                    "lm-eval-harness), stream the corpus past them, and report per item the "
                    "share of its n-grams found, the matching corpus spans, and a dirty/clean "
                    "verdict. Model-free; resumable per corpus file.")
    add_data_flags(parser, what="benchmark items")
    parser.add_argument("--corpus", nargs="+", required=True, metavar="PATH",
                        help="corpus files or folders: .jsonl, .txt (a record per paragraph), "
                             ".parquet; text formats may be .gz or .zst")
    parser.add_argument("--out", default=None, help="run folder (default runs/overlap-<items>)")
    how = parser.add_argument_group("overlap")
    how.add_argument("--n", type=int, default=13, help="gram length in tokens")
    how.add_argument("--tokenizer", default="words",
                     help="words (lowercase, no punctuation, split on whitespace), or a "
                          "tokenizer: smollm2-135m or a folder with tokenizer.json")
    how.add_argument("--threshold", type=float, default=0.0,
                     help="dirty when >= 1 gram matches and overlap >= this (default 0: any "
                          "shared gram, as lm-eval-harness)")
    how.add_argument("--corpus-text-column", default="text",
                     help="the text field of .jsonl / column of .parquet corpus files")
    how.add_argument("--max-spans", type=int, default=100,
                     help="matching spans kept per item and corpus file (all are counted)")
    how.add_argument("--skip-bad-lines", action="store_true",
                     help="skip and count malformed corpus lines instead of stopping")
    add_engine_flags(parser)     # --workers: Ray tasks in flight, one corpus file each
    parser.add_argument("--no-report", action="store_true", help="do not write report.html")
    parser.add_argument("--json", action="store_true", help="print summary.json instead of a table")
    parser.set_defaults(func=run_overlap_command)
    return parser


def overlap_spec(args: argparse.Namespace) -> overlap.OverlapSpec:
    config = overlap.OverlapConfig(n=args.n, tokenizer=args.tokenizer, threshold=args.threshold,
                           corpus_text_column=args.corpus_text_column,
                           max_spans=args.max_spans, skip_bad_lines=args.skip_bad_lines)
    return overlap.OverlapSpec(data=data_config(args), corpus=tuple(args.corpus),
                       out=args.out or overlap.default_out(args.data), overlap=config,
                       engine=args.engine, workers=args.workers, ray_address=args.ray_address,
                       progress=not getattr(args, "quiet", False),
                       report=not args.no_report)


def run_overlap_command(args: argparse.Namespace) -> int:
    result = overlap.run_overlap(overlap_spec(args))
    if args.json:
        print(json.dumps(result.summary, indent=2))
    else:
        print(result.table())
    return 0
