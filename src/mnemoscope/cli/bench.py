"""`mnemoscope bench ...`: generate, perturb, eval, limem. Thin: flags -> library calls.

Imports nothing heavy at module level (cli.py imports this to build its parser)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .flags import add_model_flags, default_out, model_config
from ..types import InputError

KINDS = ("kk", "randomcalc", "wilt", "complexity")


def add_command(subparsers) -> None:
    bench = subparsers.add_parser(
        "bench", help="leakage-free benchmarks: generate, perturb, eval, limem",
        description="Fresh, seeded reasoning benchmarks (Knights and Knaves, RandomCalculation, "
                    "WILT, complexity levels), one harness, and LiMem.")
    actions = bench.add_subparsers(dest="bench_command", required=True)

    gen = actions.add_parser("generate", help="write N seeded items as JSON lines")
    gen.add_argument("kind", choices=KINDS)
    gen.add_argument("--n", type=int, default=100, help="items (complexity: ID items; each "
                     "gets an OOD twin unless --split id)")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--level", type=int, default=None,
                     help="kk: people 2-8; randomcalc: 0-20; complexity: 1-5 (default: all)")
    gen.add_argument("--split", default="both", choices=("id", "ood", "both"),
                     help="complexity only")
    gen.add_argument("--max-tests", type=int, default=30, help="wilt only: tests per game")
    gen.add_argument("--output", "-o", default=None, help="a file (default: standard output)")
    gen.set_defaults(func=_cmd_generate)

    per = actions.add_parser("perturb", help="write a perturbed twin of each item")
    per.add_argument("items", help="a .jsonl file from `bench generate`")
    per.add_argument("--type", required=True, help="comma list; kk: leaf, statement, roles, "
                     "names, reorder; complexity: ood")
    per.add_argument("--seed", type=int, default=0)
    per.add_argument("--output", "-o", default=None)
    per.set_defaults(func=_cmd_perturb)

    ev = actions.add_parser("eval", help="answer and grade every item; writes a resumable run")
    ev.add_argument("items")
    add_model_flags(ev)
    ev.add_argument("--out", default=None, help="run folder (default runs/bench-<items>-<model>)")
    ev.add_argument("--max-new-tokens", type=int, default=None,
                    help="answer budget (default per kind: kk 256, randomcalc 192, complexity "
                         "128, wilt 48 per turn)")
    ev.add_argument("--no-chat-template", action="store_true",
                    help="plain prompts even when the tokenizer has a chat template")
    ev.add_argument("--chunk-size", type=int, default=32,
                    help="items per written part: at most this many are redone after a crash")
    ev.add_argument("--no-report", action="store_true")
    ev.set_defaults(func=_cmd_eval)

    lm = actions.add_parser("limem", help="LiMem = Acc * (1 - CR) per perturbation type")
    lm.add_argument("original_run")
    lm.add_argument("perturbed_run")
    lm.add_argument("--json", default=None, help="also write the figures to this file")
    lm.set_defaults(func=_cmd_limem)


def _output(path: str | None):
    return open(path, "w", encoding="utf-8") if path else sys.stdout


def _cmd_generate(args: argparse.Namespace) -> int:
    from ..benchmarks import generate, write_items

    if args.n < 1:
        raise InputError(f"--n must be at least 1, not {args.n}")
    options = {"complexity": {"split": args.split}, "wilt": {"max_tests": args.max_tests}}
    try:
        items = generate(args.kind, args.n, args.seed, args.level, **options.get(args.kind, {}))
    except ValueError as exc:
        raise InputError(f"bench generate {args.kind}: {exc}") from None
    handle = _output(args.output)
    try:
        count = write_items(items, handle)
    finally:
        if handle is not sys.stdout:
            handle.close()
    print(f"mnemoscope: wrote {count} {args.kind} items (seed {args.seed})", file=sys.stderr)
    return 0


def _cmd_perturb(args: argparse.Namespace) -> int:
    from ..benchmarks import perturb, read_items, write_items

    items = read_items(args.items)
    out = []
    for kind in [t.strip() for t in args.type.split(",") if t.strip()]:
        try:
            made = perturb(items, kind, args.seed)
        except ValueError as exc:
            raise InputError(f"{args.items}: {exc}") from None
        skipped = len(items) - len(made)
        if skipped:
            print(f"mnemoscope: {kind}: {skipped} item(s) admit no such perturbation; skipped",
                  file=sys.stderr)
        out.extend(made)
    handle = _output(args.output)
    try:
        write_items(out, handle)
    finally:
        if handle is not sys.stdout:
            handle.close()
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from ..benchmarks.harness import EvalSpec, run_eval

    out = args.out or default_out("bench", args.items, args.model)
    spec = EvalSpec(items=args.items, out=out,
                    model=model_config(args),
                    max_new_tokens=args.max_new_tokens, chat_template=not args.no_chat_template,
                    chunk_size=args.chunk_size, progress=not args.quiet,
                    report=not args.no_report)
    print(run_eval(spec).table())
    return 0


def _cmd_limem(args: argparse.Namespace) -> int:
    from ..benchmarks.limem import limem, limem_table

    results = limem(args.original_run, args.perturbed_run)
    print(limem_table(results))
    if args.json:
        Path(args.json).write_text(json.dumps([r.as_dict() for r in results], indent=2) + "\n",
                                   encoding="utf-8")
    return 0
