"""`mnemoscope extract DATA --model M --out DIR`: flags -> ExtractSpec -> run_extract.
Imports no torch at module level (cli.py imports this to build its parser)."""

from __future__ import annotations

import argparse
import json
from .flags import (add_data_flags, add_engine_flags, add_model_flags, data_config, default_out,
                        engine_options, model_config)


def add_command(subparsers) -> argparse.ArgumentParser:
    ext = subparsers.add_parser(
        "extract", help="discoverable and sampled extraction, PII recovery",
        description="Continue each text's true prefix greedily (and with N sampled guesses) "
                    "and measure how much of the true suffix comes back: exact match, longest "
                    "matching prefix, token edit distance; plus the share of PII items the "
                    "model reproduces from the text before them. Resumable.")
    add_data_flags(ext)
    ext.add_argument("--out", default=None, help="run folder (default runs/extract-<data>-<model>)")
    add_model_flags(ext)
    how = ext.add_argument_group("extraction")
    how.add_argument("--prefix-tokens", "-k", type=int, default=50,
                     help="k (texts shorter than k+m are split k:m, at least one token each side)")
    how.add_argument("--suffix-tokens", "-m", type=int, default=50, help="m greedy tokens")
    how.add_argument("--samples", type=int, default=10, help="N sampled guesses per text (0: off)")
    how.add_argument("--top-k", type=int, default=10)
    how.add_argument("--temperature", type=float, default=1.0)
    how.add_argument("--approx-threshold", type=float, default=0.1,
                     help="approximate match: normalized token edit distance at most this")
    how.add_argument("--no-pii", action="store_true", help="skip PII recovery")
    how.add_argument("--seed", type=int, default=0)
    how.add_argument("--chunk-size", type=int, default=32,
                     help="texts per written part: at most this many are redone after a crash")
    add_engine_flags(ext)
    ext.add_argument("--json", action="store_true", help="print summary.json instead of a table")
    ext.set_defaults(func=run_command)
    return ext


def spec_from_args(args: argparse.Namespace):
    from ..extraction.audit import ExtractSpec
    from ..extraction.discoverable import DiscoverableConfig

    out = args.out or default_out("extract", args.data, args.model)
    return ExtractSpec(
        data=data_config(args), out=out, model=model_config(args),
        extraction=DiscoverableConfig(prefix_tokens=args.prefix_tokens,
                                      suffix_tokens=args.suffix_tokens, samples=args.samples,
                                      top_k=args.top_k, temperature=args.temperature,
                                      approx_threshold=args.approx_threshold, seed=args.seed),
        pii=not args.no_pii, chunk_size=args.chunk_size,
        progress=not getattr(args, "quiet", False))


def run_command(args: argparse.Namespace) -> int:
    from ..extraction.audit import run_extract

    result = run_extract(spec_from_args(args), **engine_options(args))
    print(json.dumps(result.summary, indent=2) if args.json else result.table())
    return 0
