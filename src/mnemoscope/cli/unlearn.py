"""`mnemoscope unlearn --model M --forget F --retain R --method ihl --out DIR`: flags ->
UnlearnSpec -> run_unlearn."""

from __future__ import annotations

import json
from pathlib import Path

from ..types import InputError
from .command import Command, ModelFlags, Out
from .flags import (add_signals_flag, count, model_config, number, positive, positive_number,
                    progress, whole)


def signal_names(text: str) -> tuple[str, ...]:
    """'loss,min_k_plus_plus' -> ('loss', 'min_k_plus_plus')."""
    return tuple(t.strip() for t in text.split(",") if t.strip())


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
        train.add_argument("--stop", choices=["steps", "holdout", "parity"], default="steps",
                           help="holdout: stop as soon as the forget set's extraction rate is at "
                                "or below the held-out rate (checked every --check-every steps); "
                                "parity: and PrivLeak against the retrained model within "
                                "--privleak-tol for every --parity-signals signal")
        train.add_argument("--privleak-tol", type=positive_number, default=5.0,
                           help="--stop parity: |PrivLeak| in percent at most this (default 5)")
        train.add_argument("--parity-signals", type=signal_names, default=None,
                           help="--stop parity: comma list of loss, zlib, min_k, min_k_plus_plus "
                                "(default loss,min_k_plus_plus)")
        train.add_argument("--check-every", type=positive, default=5)
        train.add_argument("--stop-metric", choices=["exact", "approx"], default="exact")
        train.add_argument("--save-merged", action="store_true",
                           help="also save the merged model (LoRA) to DIR/merged")
        judge = parser.add_argument_group(
            "judged against a retrained model (PrivLeak, forget quality, VerbMem, KnowMem)")
        judge.add_argument("--retrained", default=None,
                           help="a model trained like the one unlearned but without the forget "
                                "set (needs --holdout)")
        judge.add_argument("--retrain-reference", action="store_true",
                           help="train that model here: --base on the retain texts with the "
                                "--retrain-* recipe, saved in DIR/retrained (cached)")
        judge.add_argument("--base", default=None,
                           help="with --retrain-reference: the model the unlearned one was "
                                "fine-tuned from")
        judge.add_argument("--retrain-method", choices=["full", "lora"], default="full")
        judge.add_argument("--retrain-epochs", type=positive, default=3)
        judge.add_argument("--retrain-lr", type=positive_number, default=None,
                           help="default: the lab's (1e-4 full, 1e-3 LoRA)")
        judge.add_argument("--retrain-batch-size", type=positive, default=8)
        judge.add_argument("--forget-qa", default=None,
                           help="questions about the forget texts (.jsonl: question, answer, "
                                "optional paraphrased_answer, perturbed_answers): KnowMem, "
                                "truth ratio")
        judge.add_argument("--retain-qa", default=None,
                           help="questions about the retain texts: KnowMem as utility")
        judge.add_argument("--answer-tokens", type=positive, default=32,
                           help="greedy answer length for KnowMem")
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
            judge=self._judge(args),
            forget=data(args.forget), retain=data(args.retain), holdout=data(args.holdout),
            out=args.out, model=model_config(args),
            train=UnlearnConfig(method=args.method, full=args.full, lora_rank=args.lora_rank,
                                lora_alpha=args.lora_alpha, target_modules=targets,
                                lora_init=args.lora_init, learning_rate=args.lr,
                                batch_size=args.train_batch_size, epochs=args.epochs,
                                max_steps=args.steps, retain_weight=args.retain_weight,
                                max_tokens=args.max_tokens, stop=args.stop,
                                check_every=args.check_every, stop_metric=args.stop_metric,
                                seed=args.seed, privleak_tol=args.privleak_tol,
                                **({"parity_signals": args.parity_signals}
                                   if args.parity_signals else {})),
            audit=AuditConfig(prefix_tokens=args.prefix_tokens, suffix_tokens=args.suffix_tokens,
                              signals=args.signals, bootstrap=args.bootstrap),
            save_merged=args.save_merged, chunk_size=args.chunk_size, progress=progress(args))

    @staticmethod
    def _judge(args):
        """The JudgeConfig the reference flags ask for, or None."""
        from ..lab.config import TrainConfig
        from ..unlearning.config import JudgeConfig

        wants = args.retrained is not None or args.retrain_reference
        if not wants:
            given = (("--forget-qa", args.forget_qa), ("--retain-qa", args.retain_qa),
                     ("--base", args.base))
            extra = [flag for flag, value in given if value is not None]
            if extra:
                raise InputError(f"{extra[0]} is read only with a retrained reference: add "
                                 "--retrained PATH or --retrain-reference --base MODEL.")
            return None
        if args.retrained is not None and args.retrain_reference:
            raise InputError("give --retrained PATH or --retrain-reference, not both")
        if args.retrain_reference and args.base is None:
            raise InputError("--retrain-reference trains the base model on the retain texts: "
                             "pass --base MODEL (the model yours was fine-tuned from).")
        for flag, path in (("--forget-qa", args.forget_qa), ("--retain-qa", args.retain_qa)):
            if path is not None and not Path(path).is_file():
                raise InputError(f"{flag} {path}: no such file")
        recipe = TrainConfig(method=args.retrain_method, epochs=args.retrain_epochs,
                             learning_rate=args.retrain_lr,
                             batch_size=args.retrain_batch_size, seed=args.seed)
        return JudgeConfig(retrained=args.retrained,
                           retrain_base=args.base if args.retrain_reference else None,
                           recipe=recipe, forget_qa=args.forget_qa, retain_qa=args.retain_qa,
                           answer_tokens=args.answer_tokens)

    def check(self, spec, args):
        super().check(spec, args)
        if spec.judge is not None:
            from .flags import check_model_files

            check_model_files(spec.judge.retrained or spec.judge.retrain_base)

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
