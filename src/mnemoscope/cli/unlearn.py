"""`mnemoscope unlearn --model M --forget F --retain R --method ihl --out DIR`: flags ->
UnlearnSpec -> run_unlearn."""

from __future__ import annotations

import json

from ..types import InputError
from .command import Command, ModelFlags, Out
from .flags import (add_signals_flag, count, model_config, number, positive, positive_number,
                    progress, whole)


class Unlearn(Command):
    name = "unlearn"
    help = ("make a model forget a set of texts (IHL / GA / GD, LoRA with FILA); audit before "
            "and after")
    description = ("Unlearn the FORGET texts while keeping the RETAIN texts (LoKU: inverted "
                   "hinge loss and Fisher-weighted LoRA initialisation), then audit the "
                   "original and the unlearned model with the same signals: extraction rates, "
                   "MIA AUROC of forget vs held-out texts, retain perplexity, fluency. "
                   "Resumable: re-run the same command to continue.")
    out = Out("run folder", required=True)
    model = ModelFlags()
    seed, chunk_size, bootstrap, json = 0, 32, 1000, True

    def add_flags(self, parser):
        data = parser.add_argument_group("data (.jsonl, .csv/.tsv, .parquet, a .txt folder, a "
                                         "saved HF dataset)")
        data.add_argument("--forget", required=True, help="texts to forget")
        data.add_argument("--retain", required=True,
                          help="texts to keep (trained on, like the forget set)")
        data.add_argument("--holdout", default=None,
                          help="texts never trained on: the level the forget set should fall "
                               "to (needed for MIA AUROC and --stop holdout)")
        data.add_argument("--text-column", default="text")
        data.add_argument("--id-column", default=None,
                          help='default: "id" when present, else the row number')
        train = parser.add_argument_group("unlearning")
        train.add_argument("--method", choices=["ihl", "ga", "gd"], default="ihl",
                           help="ihl: inverted hinge loss on forget + NLL on retain (default); "
                                "ga: gradient ascent on forget; gd: ga + NLL on retain")
        train.add_argument("--full", action="store_true",
                           help="full fine-tuning instead of LoRA")
        train.add_argument("--lora-init", choices=["fila", "default"], default="fila",
                           help="fila: Fisher-weighted init (default); default: peft's (B = 0)")
        train.add_argument("--lora-rank", type=positive, default=32)
        train.add_argument("--lora-alpha", type=positive, default=64)
        train.add_argument("--target-modules", default=None,
                           help="comma list of module names, e.g. q_proj,v_proj (default: every "
                                "linear layer but the LM head)")
        train.add_argument("--lr", type=positive_number, default=None,
                           help="default 1e-4 (LoRA), 1e-5 (full)")
        train.add_argument("--train-batch-size", type=positive, default=8,
                           help="forget texts per step (the retain batch is as large)")
        train.add_argument("--epochs", type=positive, default=5,
                           help="passes over the forget set")
        train.add_argument("--steps", type=count, default=None,
                           help="optimiser steps (overrides --epochs)")
        train.add_argument("--retain-weight", type=number(0.0), default=1.0)
        train.add_argument("--max-tokens", type=whole(2), default=256,
                           help="training sequences cut here")
        train.add_argument("--stop", choices=["steps", "holdout"], default="steps",
                           help="holdout: stop as soon as the forget set's extraction rate is at "
                                "or below the held-out rate (checked every --check-every steps)")
        train.add_argument("--check-every", type=positive, default=5)
        train.add_argument("--stop-metric", choices=["exact", "approx"], default="exact")
        train.add_argument("--save-merged", action="store_true",
                           help="also save the merged model (LoRA) to DIR/merged")
        audit = parser.add_argument_group("audit")
        audit.add_argument("--prefix-tokens", type=positive, default=50)
        audit.add_argument("--suffix-tokens", type=positive, default=50)
        add_signals_flag(audit, help="MIA signals, comma list (default: score's)")

    def spec(self, args):
        from ..data import DataConfig
        from ..unlearning.config import AuditConfig, UnlearnConfig, UnlearnSpec

        def data(path):
            return None if path is None else DataConfig(path=path, text_column=args.text_column,
                                                        id_column=args.id_column)

        targets = tuple(t.strip() for t in (args.target_modules or "").split(",") if t.strip())
        if args.target_modules is not None and not targets:
            raise InputError("--target-modules is empty; name modules, e.g. q_proj,v_proj")
        return UnlearnSpec(
            forget=data(args.forget), retain=data(args.retain), holdout=data(args.holdout),
            out=args.out, model=model_config(args),
            train=UnlearnConfig(method=args.method, full=args.full, lora_rank=args.lora_rank,
                                lora_alpha=args.lora_alpha, target_modules=targets,
                                lora_init=args.lora_init, learning_rate=args.lr,
                                batch_size=args.train_batch_size, epochs=args.epochs,
                                max_steps=args.steps, retain_weight=args.retain_weight,
                                max_tokens=args.max_tokens, stop=args.stop,
                                check_every=args.check_every, stop_metric=args.stop_metric,
                                seed=args.seed),
            audit=AuditConfig(prefix_tokens=args.prefix_tokens, suffix_tokens=args.suffix_tokens,
                              signals=args.signals, bootstrap=args.bootstrap),
            save_merged=args.save_merged, chunk_size=args.chunk_size, progress=progress(args))

    def run(self, spec, args):
        from ..unlearning.run import run_unlearn

        return run_unlearn(spec)

    def show(self, result, args):
        from ..unlearning.run import headline_table

        print(json.dumps(result.summary, indent=2) if args.json
              else headline_table(result.summary))
        print(f"run: {args.out}")
        return 0


command = Unlearn()
