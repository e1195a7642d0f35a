"""`mnemoscope knowledge generate|inject`: invented facts, injected by fine-tuning, probed."""

from __future__ import annotations

import sys

from ..types import InputError
from .command import Command, Group, ModelFlags, Out
from .flags import count, model_config, positive, positive_number, progress


class Generate(Command):
    name = "generate"
    help = "write N seeded invented facts with their probes as JSON lines"
    seed = 0

    def add_flags(self, parser):
        parser.add_argument("--n", type=positive, default=200, help="facts to train on")
        parser.add_argument("--heldout", type=count, default=None,
                            help="unseen facts, never trained on: locality probes and the "
                                 "membership audit's non-members (default N/2)")
        parser.add_argument("--tokenizer", default="smollm2-135m",
                            help="model whose vocabulary names must avoid: a name it holds as "
                                 "one whole word is never used (default: the embedded model)")
        parser.add_argument("--output", "-o", default=None, help="a new file (default: "
                                                                   "standard output)")

    def main(self, args) -> int:
        from ..knowledge.facts import check_facts_output, facts_text
        from ..knowledge.generate import generate_facts, vocabulary_words
        from ..models.base import ModelConfig
        from .flags import check_model_files

        if args.output:
            check_facts_output(args.output)
        check_model_files(args.tokenizer)
        from ..models.tokenizer import tokenizer_of

        words = vocabulary_words(tokenizer_of(ModelConfig(model=args.tokenizer), "generate"))
        heldout = args.n // 2 if args.heldout is None else args.heldout
        facts = generate_facts(args.n, args.seed, heldout, known=words.__contains__)
        text = facts_text(facts)
        if args.output:
            from ..fileio import atomic_write_text

            atomic_write_text(args.output, text)
        else:
            sys.stdout.write(text)
        print(f"mnemoscope: wrote {args.n} facts to train on and {heldout} held out "
              f"(seed {args.seed})", file=sys.stderr)
        return 0


class Inject(Command):
    name = "inject"
    help = "fine-tune on the facts' sentences; probe every epoch; resumable"
    description = ("Fine-tune MODEL (full or LoRA) on the training facts' sentences (plus K "
                   "paraphrases each with --paraphrases K) and after every epoch ask every "
                   "probe: reliability, generality (QA, reworded cloze, true/false, multiple "
                   "choice), reverse, multi-hop and locality. Then a membership audit of the "
                   "same model: training sentences vs held-out facts' sentences.")
    out = Out("run folder (default runs/knowledge-<facts>-<model>)")
    model = ModelFlags(note="--batch-size is the probing batch (generation and choices)")
    seed, bootstrap, json, no_report = 0, 1000, True, True

    def add_flags(self, parser):
        parser.add_argument("facts", help="a .jsonl file from `knowledge generate`, or your "
                                          "own facts (docs/knowledge.md)")
        train = parser.add_argument_group("fine-tuning")
        train.add_argument("--method", choices=["full", "lora"], default="full")
        train.add_argument("--epochs", type=positive, default=5)
        train.add_argument("--lr", type=positive_number, default=None,
                           help="default 1e-4 (full), 1e-3 (lora)")
        train.add_argument("--train-batch-size", type=positive, default=8)
        train.add_argument("--lora-rank", type=positive, default=16)
        train.add_argument("--paraphrases", type=count, default=0, metavar="K",
                           help="also train on the first K paraphrases of each fact")
        probe = parser.add_argument_group("probing")
        probe.add_argument("--max-new-tokens", type=positive, default=6,
                           help="answer budget of the generated probes (default 6)")
        probe.add_argument("--no-general", action="store_true",
                           help="skip the general-knowledge locality prompts")
        probe.add_argument("--no-membership", action="store_true",
                           help="skip the membership audit after training")

    def out_dir(self, args) -> str:
        from ..runs import default_out

        return args.out or default_out(args.facts, args.model, "knowledge")

    def spec(self, args):
        from ..knowledge.inject import InjectSpec
        from ..lab.config import TrainConfig

        return InjectSpec(
            facts=args.facts, out=self.out_dir(args), model=model_config(args),
            train=TrainConfig(method=args.method, epochs=args.epochs, learning_rate=args.lr,
                              batch_size=args.train_batch_size, lora_rank=args.lora_rank,
                              seed=args.seed),
            paraphrases=args.paraphrases, max_new_tokens=args.max_new_tokens,
            general=not args.no_general, membership=not args.no_membership,
            bootstrap=args.bootstrap, progress=progress(args), report=not args.no_report)

    def check(self, spec, args) -> None:
        from ..knowledge.inject import check_inject

        if spec.model.resolved_backend() != "hf":
            raise InputError("knowledge inject fine-tunes the model: pass a local Hugging "
                             "Face model (--model), not an endpoint")
        check_inject(spec)                 # the facts file and --paraphrases, before loading
        super().check(spec, args)

    def run(self, spec, args):
        from ..knowledge.inject import run_inject

        return run_inject(spec)


class Knowledge(Group):
    name = "knowledge"
    help = "knowledge injection: invented facts, fine-tuning, probes per epoch"
    description = ("Does fine-tuning teach the fact, or only the sentence? Generate invented "
                   "facts no model has seen, inject them, and probe reliability, generality, "
                   "reverse, multi-hop and locality after every epoch (docs/knowledge.md).")
    commands = (Generate(), Inject())


command = Knowledge()
