"""`mnemoscope bench generate|perturb|eval|limem`: leakage-free benchmarks."""

from __future__ import annotations

import sys

from ..types import InputError
from .command import Command, Group, ModelFlags, Out
from .flags import count, model_config, positive, progress



def _write(items, path: str | None) -> int:
    """Items to stdout, or atomically to -o (refused up front: a folder, a missing parent)."""
    from ..benchmarks import write_items
    from ..benchmarks.items import write_items_file

    return write_items_file(items, path) if path else write_items(items, sys.stdout)


class Generate(Command):
    name = "generate"
    help = "write N seeded items as JSON lines"
    seed = 0

    def add_flags(self, parser):
        from ..benchmarks import benchmarks

        parser.add_argument("kind", choices=benchmarks.names())   # every registered kind
        parser.add_argument("--n", type=positive, default=100,
                            help="items (complexity: ID items; each gets an OOD twin unless "
                                 "--split id)")
        parser.add_argument("--level", type=count, default=None,
                            help="kk: people 2-8; randomcalc: 0-20; complexity: 1-5 (default: all)")
        parser.add_argument("--split", default="both", choices=("id", "ood", "both"),
                            help="complexity only")
        parser.add_argument("--max-tests", type=positive, default=30,
                            help="wilt only: tests per game")
        parser.add_argument("--output", "-o", default=None,
                            help="a file (default: standard output)")

    def main(self, args) -> int:
        from ..benchmarks import generate
        from ..benchmarks.items import check_items_output

        if args.output:
            check_items_output(args.output)         # before any item is generated
        options = {"complexity": {"split": args.split}, "wilt": {"max_tests": args.max_tests}}
        try:
            items = generate(args.kind, args.n, args.seed, args.level,
                             **options.get(args.kind, {}))
        except ValueError as exc:           # a --level outside this kind's range
            raise InputError(f"bench generate {args.kind} --level {args.level}: {exc}") from None
        written = _write(items, args.output)
        print(f"mnemoscope: wrote {written} {args.kind} items (seed {args.seed})", file=sys.stderr)
        return 0


class Perturb(Command):
    name = "perturb"
    help = "write a perturbed twin of each item"
    seed = 0

    def add_flags(self, parser):
        parser.add_argument("items", help="a .jsonl file from `bench generate`")
        parser.add_argument("--type", required=True,
                            help="comma list; kk: leaf, statement, roles, names, reorder; "
                                 "complexity: ood")
        parser.add_argument("--output", "-o", default=None)

    def main(self, args) -> int:
        from ..benchmarks import perturb, read_items
        from ..benchmarks.items import check_items_output

        if args.output:
            check_items_output(args.output)
        items = read_items(args.items)
        out = []
        for kind in [t.strip() for t in args.type.split(",") if t.strip()]:
            try:
                made = perturb(items, kind, args.seed)
            except ValueError as exc:       # a perturbation this kind does not have
                raise InputError(f"{args.items} (--type {kind}): {exc}") from None
            skipped = len(items) - len(made)
            if skipped:
                print(f"mnemoscope: {kind}: {skipped} item(s) admit no such perturbation; "
                      "skipped", file=sys.stderr)
            out.extend(made)
        _write(out, args.output)
        return 0


class Eval(Command):
    name = "eval"
    help = "answer and grade every item; writes a resumable run"
    out = Out("run folder (default runs/bench-<items>-<model>)")
    model = ModelFlags()
    chunk_size, no_report = 32, True
    rows = "items"

    def add_flags(self, parser):
        parser.add_argument("items")
        parser.add_argument("--max-new-tokens", type=positive, default=None,
                            help="answer budget (default per kind: kk 256, randomcalc 192, "
                                 "complexity 128, wilt 48 per turn)")
        parser.add_argument("--no-chat-template", action="store_true",
                            help="plain prompts even when the tokenizer has a chat template")

    def out_dir(self, args) -> str:
        from ..runs import default_out

        return args.out or default_out(args.items, args.model, "bench")

    def spec(self, args):
        from ..benchmarks.harness import EvalSpec

        return EvalSpec(items=args.items, out=self.out_dir(args), model=model_config(args),
                        max_new_tokens=args.max_new_tokens,
                        chat_template=not args.no_chat_template, chunk_size=args.chunk_size,
                        progress=progress(args), report=not args.no_report)

    def run(self, spec, args):
        from ..benchmarks.harness import run_eval

        return run_eval(spec)


class Limem(Command):
    name = "limem"
    help = "LiMem = Acc * (1 - CR) per perturbation type"

    def add_flags(self, parser):
        parser.add_argument("original_run")
        parser.add_argument("perturbed_run")
        parser.add_argument("--json", default=None, help="also write the figures to this file")

    def main(self, args) -> int:
        from ..benchmarks.limem import limem, limem_table

        results = limem(args.original_run, args.perturbed_run)
        print(limem_table(results))
        if args.json:
            from ..fileio import atomic_write_json

            atomic_write_json(args.json, [r.as_dict() for r in results])
        return 0


class Bench(Group):
    name = "bench"
    help = "leakage-free benchmarks: generate, perturb, eval, limem"
    description = ("Fresh, seeded reasoning benchmarks (Knights and Knaves, RandomCalculation, "
                   "WILT, complexity levels), one harness, and LiMem.")
    commands = (Generate(), Perturb(), Eval(), Limem())


command = Bench()
