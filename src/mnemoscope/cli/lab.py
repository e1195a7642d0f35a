"""`mnemoscope lab DATA --out DIR`: flags -> LabSpec -> run_lab."""

from __future__ import annotations

import json
from pathlib import Path

from ..types import InputError
from .command import Command, DataFlags, ModelFlags, Out
from .flags import (add_signals_flag, count, data_config, fraction, int_list, model_config,
                    number, positive, positive_number, progress, whole)

open_share = number(0.0, 1.0, above=True, below=True)     # a split needs both sides


class Lab(Command):
    name = "lab"
    help = "fine-tune on a seeded member split with canaries; calibrate every signal"
    description = ("Make ground truth: split DATA into members and non-members (seeded), plant "
                   "Secret-Sharer canaries, fine-tune MODEL on members + canaries (full or "
                   "LoRA), then report every membership signal's AUROC, canary exposure by "
                   "repetition count and extraction rates. Resumable: re-run to continue.")
    data = DataFlags(labels=False, what="texts (labels ignored)")
    out = Out("lab folder", required=True)
    model = ModelFlags(note="--batch-size is the scoring/generation batch; auto dtype is "
                            "bfloat16 on CUDA (noisier fine-tuning; pass float32 to compare "
                            "with CPU figures)")
    seed, chunk_size, bootstrap, json = 0, 64, 1000, True

    def add_flags(self, parser):
        parser.add_argument("--synthetic", type=positive, default=None, metavar="N",
                            help="first write N seeded synthetic records to DATA when it does "
                                 "not exist")
        parser.add_argument("--python-docs", type=positive, default=None, metavar="N",
                            help="first write N English passages from this Python's "
                                 "standard-library docstrings to DATA when it does not exist "
                                 "(lab/pydocs.py)")
        train = parser.add_argument_group("fine-tuning")
        train.add_argument("--method", choices=["full", "lora"], default="full")
        train.add_argument("--epochs", type=positive, default=3)
        train.add_argument("--lr", type=positive_number, default=None,
                           help="default 1e-4 (full), 1e-3 (lora)")
        train.add_argument("--train-batch-size", type=positive, default=8)
        train.add_argument("--lr-schedule", choices=["constant", "linear"], default="constant",
                           help="after a 10%% linear warm-up: constant, or linear decay to 0")
        train.add_argument("--lora-rank", type=positive, default=16)
        train.add_argument("--lora-alpha", type=positive, default=None, help="default 2 x rank")
        train.add_argument("--max-tokens", type=whole(2), default=256,
                           help="training sequences cut here")
        split = parser.add_argument_group("split and canaries")
        split.add_argument("--member-fraction", type=open_share, default=0.5)
        split.add_argument("--canary-format", action="append", default=None,
                           help='repeatable; holds {secret}, e.g. "My account PIN is {secret}." '
                                "(default: six distinct formats, one per canary)")
        split.add_argument("--secret-digits", type=positive, default=6,
                           help="|R| = 10^digits; exact ranking up to --exact-limit, else "
                                "skew-normal fit")
        split.add_argument("--repetitions", type=int_list, default="1,4,16",
                           help="comma list of copy counts")
        split.add_argument("--canaries-per-repetition", type=count, default=2)
        split.add_argument("--exact-limit", type=count, default=10_000)
        split.add_argument("--exposure-samples", type=positive, default=2_000)
        audit = parser.add_argument_group("audits")
        add_signals_flag(audit)
        audit.add_argument("--reference", choices=["base", "trained", "none"], default="base",
                           help="the reference signal's model: base = the model before "
                                "fine-tuning (default); trained = a copy fine-tuned the same way "
                                "on a disjoint share of DATA (--reference-fraction), which "
                                "cancels what the fine-tune learned about the data's "
                                "distribution as a whole (a second fine-tune); none = no "
                                "reference signal")
        audit.add_argument("--reference-fraction", type=fraction, default=0.25,
                           help="with --reference trained: share of DATA that trains the "
                                "reference and is never scored (default 0.25)")
        audit.add_argument("--no-reference", action="store_true",
                           help="the same as --reference none")
        audit.add_argument("--no-extraction", action="store_true")
        audit.add_argument("--prefix-tokens", type=positive, default=50)
        audit.add_argument("--suffix-tokens", type=positive, default=50)
        audit.add_argument("--samples", type=count, default=0,
                           help="sampled-extraction guesses per text (default 0: greedy only)")
        audit.add_argument("--no-pii", action="store_true")
        during = parser.add_argument_group("during training (DIR/dynamics, docs/dynamics.md)")
        during.add_argument("--no-dynamics", action="store_true",
                            help="no memorization checks during the fine-tune")
        during.add_argument("--dynamics-every", type=open_share, default=0.1, metavar="SHARE",
                            help="a check every SHARE of the steps (default 0.1: ten checks, "
                                 "plus one before the first step)")
        during.add_argument("--save-checkpoints", action="store_true",
                            help="also save the weights at every checked step as "
                                 "DIR/checkpoints/checkpoint-<step>/ (full fine-tuning; the "
                                 "model's size each), for `score --model DIR/checkpoints`")
        during.add_argument("--dynamics-probe", type=whole(2), default=12, metavar="N",
                            help="members and non-members each check scores (default 12)")

    def spec(self, args):
        from ..extraction.canaries import DEFAULT_FORMATS, CanaryConfig
        from ..extraction.discoverable import DiscoverableConfig
        from ..extraction.exposure import ExposureConfig
        from ..dynamics.config import DynamicsConfig
        from ..lab.config import LabSpec, TrainConfig

        return LabSpec(
            data=data_config(args), out=args.out, model=model_config(args),
            member_fraction=args.member_fraction, seed=args.seed,
            train=TrainConfig(method=args.method, epochs=args.epochs, learning_rate=args.lr,
                              batch_size=args.train_batch_size, lora_rank=args.lora_rank,
                              lora_alpha=args.lora_alpha, max_tokens=args.max_tokens,
                              seed=args.seed, schedule=args.lr_schedule),
            canaries=CanaryConfig(formats=tuple(args.canary_format or DEFAULT_FORMATS),
                                  secret_digits=args.secret_digits, repetitions=args.repetitions,
                                  per_repetition=args.canaries_per_repetition),
            exposure=ExposureConfig(exact_limit=args.exact_limit, samples=args.exposure_samples,
                                    seed=args.seed),
            extraction=DiscoverableConfig(prefix_tokens=args.prefix_tokens,
                                          suffix_tokens=args.suffix_tokens, samples=args.samples,
                                          seed=args.seed),
            run_extraction=not args.no_extraction, pii=not args.no_pii, signals=args.signals,
            reference="none" if args.no_reference else args.reference,
            reference_fraction=args.reference_fraction, chunk_size=args.chunk_size,
            bootstrap=args.bootstrap, progress=progress(args),
            dynamics=None if args.no_dynamics else DynamicsConfig(
                every_fraction=args.dynamics_every, members=args.dynamics_probe,
                held_out=args.dynamics_probe, seed=args.seed),
            save_checkpoints=args.save_checkpoints)

    def run(self, spec, args):
        from ..lab.run import run_lab

        if args.synthetic is not None and args.python_docs is not None:
            raise InputError("--synthetic and --python-docs both write DATA; pass one of them")
        if not Path(args.data).exists():
            if args.synthetic is not None:
                from ..lab.synthetic import synthetic_texts

                _write_texts(Path(args.data), synthetic_texts(args.synthetic, args.seed))
            elif args.python_docs is not None:
                from ..lab.pydocs import python_doc_texts

                _write_texts(Path(args.data), python_doc_texts(args.python_docs, args.seed))
        return run_lab(spec)

    def show(self, summary, args):
        from ..lab.run import summary_table

        print(json.dumps(summary, indent=2) if args.json else summary_table(summary))
        print(f"lab: {args.out}")
        return 0


def _write_texts(path: Path, records: list[dict[str, str]]) -> None:
    """DATA, whole or not at all: it is written only when missing, so a file cut short by a
    crash would be taken as the data set by every later run."""
    from ..fileio import atomic_write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, "".join(json.dumps(r) + "\n" for r in records))


command = Lab()
