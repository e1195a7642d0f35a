"""What a command is: flags -> a spec -> its files checked -> the library call -> the printed
result.

A module of this package declares one `command` (a Command, or a Group of them); main.py
finds it, so a new audit adds one module here and touches nothing else. The flags most
audits share are class attributes, declared once here; a command adds only its own flags
in `add_flags`, builds its spec in `spec` and calls the library in `run`:

    class Extract(Command):
        name, help = "extract", "discoverable and sampled extraction, PII recovery"
        data, model, engine = DataFlags(), ModelFlags(), True
        out = Out("run folder (default runs/extract-<data>-<model>)")
        seed, chunk_size, json = 0, 32, True

        def add_flags(self, parser): ...          # --prefix-tokens, --samples, ...
        def spec(self, args): return ExtractSpec(...)
        def run(self, spec, args): return run_extract(spec, **engine_options(args))

Everything here imports without torch: the library is imported inside `spec` and `run`.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import Any, ClassVar

from .flags import (add_data_flags, add_engine_flags, add_model_flags, count, positive,
                    seed_value)


@dataclass(frozen=True)
class DataFlags:
    """The positional DATA with --text-column, --id-column, --limit (and --label-column)."""

    labels: bool = True
    what: str = "texts"


@dataclass(frozen=True)
class ModelFlags:
    """--model, --device, --dtype, --batch-size, the endpoint flags; `scoring` adds
    --max-length and --long-text (what a log-prob audit can choose)."""

    scoring: bool = False
    title: str = "model"
    note: str | None = None          # shown under the group's title in --help


@dataclass(frozen=True)
class Out:
    """--out. Not required: the command's `out_dir` picks runs/<name>-<data>-<model>."""

    help: str = "run folder"
    required: bool = False


class Command:
    name: ClassVar[str]
    help: ClassVar[str]
    description: ClassVar[str | None] = None
    # shared flag groups; None = the command has none
    data: ClassVar[DataFlags | None] = None
    model: ClassVar[ModelFlags | None] = None
    out: ClassVar[Out | None] = None
    engine: ClassVar[bool] = False               # --engine, --workers, --ray-address
    # shared single flags: the default, or None when the command has no such flag
    seed: ClassVar[int | None] = None
    chunk_size: ClassVar[int | None] = None
    bootstrap: ClassVar[int | None] = None
    json: ClassVar[bool] = False                 # --json: print summary.json, not a table
    no_report: ClassVar[bool] = False            # --no-report
    rows: ClassVar[str] = "texts"                # what --chunk-size counts

    def add_to(self, subparsers) -> argparse.ArgumentParser:
        parser = subparsers.add_parser(self.name, help=self.help, description=self.description)
        if self.data is not None:
            add_data_flags(parser, labels=self.data.labels, what=self.data.what)
        if self.out is not None:
            parser.add_argument("--out", required=self.out.required, default=None,
                                help=self.out.help)
        if self.model is not None:
            group = add_model_flags(parser, scoring=self.model.scoring, title=self.model.title)
            group.description = self.model.note
        self.add_flags(parser)
        if self.engine:
            add_engine_flags(parser)
        self._add_run_flags(parser)
        parser.set_defaults(func=self.main)
        return parser

    def _add_run_flags(self, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("run")
        if self.seed is not None:
            group.add_argument("--seed", type=seed_value, default=self.seed)
        if self.chunk_size is not None:
            group.add_argument("--chunk-size", type=positive, default=self.chunk_size,
                               help=f"{self.rows} per written part: at most this many are redone "
                                    f"after a crash (default {self.chunk_size})")
        if self.bootstrap is not None:
            group.add_argument("--bootstrap", type=count, default=self.bootstrap,
                               help=f"resamples for the confidence intervals (default "
                                    f"{self.bootstrap})")
        if self.no_report:
            group.add_argument("--no-report", action="store_true", help="do not write report.html")
        if self.json:
            group.add_argument("--json", action="store_true",
                               help="print summary.json instead of a table")

    # ------------------------------------------------------------------ what a command fills in
    def add_flags(self, parser: argparse.ArgumentParser) -> None:
        """The command's own flags (the shared ones are added around them)."""

    def spec(self, args: argparse.Namespace) -> Any:
        """The spec dataclass that a Python user would pass to the library."""
        raise NotImplementedError

    def run(self, spec: Any, args: argparse.Namespace) -> Any:
        """Call the library; the result goes to `show`."""
        raise NotImplementedError

    def show(self, result: Any, args: argparse.Namespace) -> int | None:
        """Print the result: its table, or summary.json with --json. Returns the exit code."""
        print(json.dumps(result.summary, indent=2) if getattr(args, "json", False)
              else result.table())
        return 0

    def main(self, args: argparse.Namespace) -> int:
        spec = self.spec(args)
        self.check(spec, args)
        return int(self.show(self.run(spec, args), args) or 0)

    def check(self, spec: Any, args: argparse.Namespace) -> None:
        """What the spec names on disk, checked before the run (so before any model loads):
        the model's files (a missing path, no weights, a .gguf that is not GGUF) and --out
        (a file, someone else's folder, a damaged spec.json)."""
        from ..models.base import ModelConfig

        model = getattr(spec, "model", None)
        if isinstance(model, ModelConfig) and model.resolved_backend() != "openai":
            from .flags import check_model_files

            check_model_files(model.model)
        if self.out is not None:
            from ..runs import check_out

            check_out(self.out_dir(args))

    def out_dir(self, args: argparse.Namespace) -> str:
        """--out, else runs/<name>-<data stem>-<model stem> (no prefix for `score`)."""
        from ..runs import default_out

        return args.out or default_out(args.data, args.model, self.name)


class Group(Command):
    """A command of sub-commands (`bench generate`, `contamination cdd`, ...)."""

    commands: ClassVar[tuple[Command, ...]]

    def add_to(self, subparsers) -> argparse.ArgumentParser:
        parser = subparsers.add_parser(self.name, help=self.help, description=self.description)
        actions = parser.add_subparsers(dest=f"{self.name}_command", required=True)
        for command in self.commands:
            command.add_to(actions)
        return parser
