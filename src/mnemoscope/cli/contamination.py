"""`mnemoscope contamination cdd|completion|overlap|cutoff ...`: is a benchmark score
reasoning or recall?"""

from __future__ import annotations

import argparse
from typing import Any

from ..contamination.cdd import CHECKERS_HELP
from ..contamination.cutoff_stats import PERIODS
from ..contamination.peakedness import PRESETS
from ..types import InputError
from .command import Command, DataFlags, Group, ModelFlags, Out
from .flags import (count, data_config, engine_options, fraction, model_config, number, positive,
                    positive_number, progress, shares)


class CDD(Command):
    name = "cdd"
    help = "CDD: peakedness of sampled outputs around the greedy one; TED accuracy"
    description = ("For each item: one greedy output and n samples at temperature T. An item "
                   "is flagged when more than xi of the samples lie within alpha * l tokens "
                   "(Levenshtein, first 100 tokens; l = the longest output) of the greedy "
                   "output (Dong et al. 2024). With an answer column, TED drops samples within "
                   "tau tokens of greedy and duplicates, and reports accuracy before and after.")
    data = DataFlags(what="benchmark items (the text column is the prompt)")
    out = Out("run folder (default runs/cdd-<items>-<model>)")
    model = ModelFlags()
    engine = True
    seed, chunk_size, no_report, json = 0, 8, True, True
    rows = "items"

    def add_flags(self, parser):
        how = parser.add_argument_group("CDD")
        how.add_argument("--samples", "-n", type=positive, default=50,
                         help="sampled outputs per item")
        how.add_argument("--temperature", type=positive_number, default=0.8)
        how.add_argument("--max-new-tokens", type=positive, default=100)
        how.add_argument("--compare-tokens", type=positive, default=100,
                         help="edit distances over the first this many tokens")
        how.add_argument("--preset", choices=sorted(PRESETS), default="default",
                         help="default: alpha 0.05, xi 0.01; real-world: alpha 0, xi 0.2")
        how.add_argument("--alpha", type=number(0.0), default=None, help="overrides the preset")
        how.add_argument("--xi", type=number(0.0, 1.0, below=True), default=None,
                         help="overrides the preset")
        how.add_argument("--chat-template", action="store_true",
                         help="send each item as a user message through the chat template")
        ted = parser.add_argument_group("TED (needs an answer column)")
        ted.add_argument("--answer-column", default="answer")
        ted.add_argument("--checker", type=checker, default="auto", help=CHECKERS_HELP)
        ted.add_argument("--tau", type=count, default=2)

    def spec(self, args):
        from ..contamination.cdd import CDDConfig, CDDSpec

        fields: dict[str, Any] = dict(
            samples=args.samples, temperature=args.temperature,
            max_new_tokens=args.max_new_tokens, compare_tokens=args.compare_tokens,
            tau=args.tau, checker=args.checker, answer_column=args.answer_column or None,
            chat_template=args.chat_template, seed=args.seed)
        if args.alpha is not None:
            fields["alpha"] = args.alpha
        if args.xi is not None:
            fields["xi"] = args.xi
        return CDDSpec(data=data_config(args), out=self.out_dir(args), model=model_config(args),
                       cdd=CDDConfig.preset(args.preset, **fields), chunk_size=args.chunk_size,
                       progress=progress(args), report=not args.no_report)

    def run(self, spec, args):
        from ..contamination.cdd import run_cdd

        return run_cdd(spec, **engine_options(args))


class Completion(Command):
    name = "completion"
    help = "partial-prompt completion: ROUGE-L and exact match per prefix ratio"
    description = ("Cut each item after 40/60/80%% of its characters (at a word boundary), "
                   "continue greedily, and compare with the true remainder truncated to the "
                   "prediction's word count: ROUGE-L (stemmed) and exact match (ROUGE-L = 1), "
                   "per item and per ratio (Wu et al. 2025).")
    data = DataFlags(what="benchmark items (the text column is the item)")
    out = Out("run folder (default runs/completion-<items>-<model>)")
    model = ModelFlags()
    engine = True
    chunk_size, no_report, json = 16, True, True
    rows = "items"

    def add_flags(self, parser):
        how = parser.add_argument_group("completion")
        how.add_argument("--ratios", type=shares, default=(0.4, 0.6, 0.8),
                         help="prefix shares, comma-separated (default 0.4,0.6,0.8)")
        how.add_argument("--max-new-tokens", type=positive, default=256,
                         help="cap on the continuation (default: the remainder's length + slack)")
        how.add_argument("--slack-tokens", type=count, default=8)
        how.add_argument("--no-stem", action="store_true", help="ROUGE-L without Porter stemming")

    def spec(self, args):
        from ..contamination.completion import CompletionConfig, CompletionSpec

        return CompletionSpec(
            data=data_config(args), out=self.out_dir(args), model=model_config(args),
            completion=CompletionConfig(ratios=args.ratios, max_new_tokens=args.max_new_tokens,
                                        slack_tokens=args.slack_tokens, stem=not args.no_stem),
            chunk_size=args.chunk_size, progress=progress(args), report=not args.no_report)

    def run(self, spec, args):
        from ..contamination.completion import run_completion

        return run_completion(spec, **engine_options(args))


class Overlap(Command):
    name = "overlap"
    help = "n-gram overlap of benchmark items with a training corpus"
    description = ("Index the items' n-grams (default 13 normalized words, as "
                   "lm-eval-harness), stream the corpus past them, and report per item the "
                   "share of its n-grams found, the matching corpus spans, and a dirty/clean "
                   "verdict. Model-free; resumable per corpus file.")
    data = DataFlags(what="benchmark items")
    out = Out("run folder (default runs/overlap-<items>)")
    engine = True               # --workers: Ray tasks in flight, one corpus file each
    no_report, json = True, True

    def add_flags(self, parser):
        parser.add_argument("--corpus", nargs="+", required=True, metavar="PATH",
                            help="corpus files or folders: .jsonl, .txt (a record per "
                                 "paragraph), .parquet; text formats may be .gz or .zst")
        how = parser.add_argument_group("overlap")
        how.add_argument("--n", type=positive, default=13, help="gram length in tokens")
        how.add_argument("--tokenizer", default="words",
                         help="words (lowercase, no punctuation, split on whitespace), or a "
                              "tokenizer: smollm2-135m or a folder with tokenizer.json")
        how.add_argument("--threshold", type=fraction, default=0.0,
                         help="dirty when >= 1 gram matches and overlap >= this (default 0: any "
                              "shared gram, as lm-eval-harness)")
        how.add_argument("--corpus-text-column", default="text",
                         help="the text field of .jsonl / column of .parquet corpus files")
        how.add_argument("--max-spans", type=count, default=100,
                         help="matching spans kept per item and corpus file (all are counted)")
        how.add_argument("--skip-bad-lines", action="store_true",
                         help="skip and count malformed corpus lines instead of stopping")

    def out_dir(self, args) -> str:
        from ..contamination.overlap import default_out

        return args.out or default_out(args.data)

    def spec(self, args):
        from ..contamination.overlap import OverlapConfig, OverlapSpec

        config = OverlapConfig(n=args.n, tokenizer=args.tokenizer, threshold=args.threshold,
                               corpus_text_column=args.corpus_text_column,
                               max_spans=args.max_spans, skip_bad_lines=args.skip_bad_lines)
        return OverlapSpec(data=data_config(args), corpus=tuple(args.corpus),
                           out=self.out_dir(args), overlap=config, progress=progress(args),
                           report=not args.no_report, **engine_options(args))

    def run(self, spec, args):
        from ..contamination.overlap import run_overlap

        return run_overlap(spec)


def checker(text: str) -> str:
    """--checker, loaded once at parse time: an unknown name or an unimportable
    module:function fails before the model loads."""
    from ..contamination.answers import load_checker

    if text != "auto":
        try:
            load_checker(text)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def month(text: str) -> str:
    """--cutoff YYYY-MM, checked at parse time."""
    from ..contamination.cutoff import cutoff_month

    try:
        cutoff_month(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


class Cutoff(Command):
    name = "cutoff"
    help = "accuracy per period, and the gap around a knowledge cutoff"
    description = ("Accuracy per month/quarter/year of graded, dated items; the before/after "
                   "gap (percentage points, bootstrap CI) around --cutoff YYYY-MM (the last "
                   "month the model may know), or around an estimated change point.")
    out = Out("run folder (default runs/cutoff-<results>)")
    seed, bootstrap, no_report, json = 0, 1000, True, True

    def add_flags(self, parser):
        parser.add_argument("results", help="graded items with a date and a correctness flag: "
                                            ".jsonl, .csv/.tsv (.gz), .parquet, or a run folder")
        parser.add_argument("--cutoff", type=month, default=None,
                            help="YYYY-MM, the last month the model may know (default: "
                                 "estimate it)")
        parser.add_argument("--date-column", default="date")
        parser.add_argument("--correct-column", default="correct")
        parser.add_argument("--id-column", default=None)
        parser.add_argument("--period", choices=PERIODS, default="month")
        parser.add_argument("--min-segment", type=positive, default=None,
                            help="rows each side of an estimated change point (default "
                                 "max(3, 10%%))")

    def out_dir(self, args) -> str:
        from pathlib import Path

        return args.out or str(Path("runs") / f"cutoff-{Path(args.results).stem}")

    def spec(self, args):
        from ..contamination.cutoff import CutoffConfig

        return CutoffConfig(date_column=args.date_column, correct_column=args.correct_column,
                            id_column=args.id_column, period=args.period, cutoff=args.cutoff,
                            min_segment=args.min_segment, bootstrap=args.bootstrap,
                            seed=args.seed)

    def run(self, config, args):
        from ..contamination.cutoff import run_cutoff

        return run_cutoff(args.results, self.out_dir(args), config, report=not args.no_report)


class Contamination(Group):
    name = "contamination"
    help = "benchmark contamination: cdd, completion, overlap, cutoff"
    description = ("Is a benchmark score reasoning or recall? Output-distribution peakedness "
                   "(CDD, with TED), partial-prompt completion, n-gram overlap against a "
                   "training corpus, and accuracy around a knowledge cutoff. Each writes a "
                   "run folder with summary.json, per-item Parquet rows and a report.")
    commands = (CDD(), Completion(), Overlap(), Cutoff())


command = Contamination()
