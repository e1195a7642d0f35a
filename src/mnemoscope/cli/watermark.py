"""`mnemoscope watermark embed|verify`: flags -> spec -> library."""

from __future__ import annotations

import json

from .command import Command, DataFlags, Group, ModelFlags, Out
from .flags import (add_signals_flag, data_config, model_config, number, positive, progress,
                    seed_value)


class Embed(Command):
    name = "embed"
    help = "swap high-surprisal words for rarer fitting synonyms; write data + key"
    description = ("Per sentence, replace the k highest-surprisal words with rarer WordNet "
                   "synonyms that fit the context. Writes DIR/<data> (same format), "
                   "DIR/key.json (SECRET: positions, originals, published and control words) "
                   "and DIR/summary.json. Publish only the data file. Resumable.")
    data = DataFlags(labels=False, what="texts to watermark")
    out = Out("output folder", required=True)
    model = ModelFlags(title="model (only for --surprisal model)")
    chunk_size = 16

    def add_flags(self, parser):
        parser.add_argument("--k", type=positive, default=5,
                            help="substitutions per sentence (default 5)")
        # not the shared --seed: this one is the watermark's secret, fresh unless given
        parser.add_argument("--seed", type=seed_value, default=None,
                            help="secret seed (default: a fresh random one, stored in the key)")
        parser.add_argument("--surprisal", choices=["wordfreq", "model"], default="wordfreq",
                            help="rank words by wordfreq rarity (default) or by the --model's "
                                 "token surprisal")
        parser.add_argument("--fit-threshold", type=number(0.0, 1.0, above=True), default=0.9,
                            help="minimum sentence-embedding cosine with one substitution "
                                 "(default 0.9)")
        parser.add_argument("--min-zipf", type=number(), default=2.0,
                            help="a synonym must have at least this wordfreq Zipf frequency")
        parser.add_argument("--senses", type=positive, default=3,
                            help="WordNet senses searched per word")

    def spec(self, args):
        from ..watermark.embed import EmbedSpec
        from ..watermark.leximark import WatermarkConfig

        return EmbedSpec(
            data=data_config(args), out=args.out, seed=args.seed, chunk_size=args.chunk_size,
            watermark=WatermarkConfig(k=args.k, surprisal=args.surprisal,
                                      fit_threshold=args.fit_threshold, min_zipf=args.min_zipf,
                                      senses=args.senses),
            model=model_config(args) if args.surprisal == "model" else None,
            progress=progress(args))

    def run(self, spec, args):
        from ..watermark.embed import run_embed

        return run_embed(spec)

    def show(self, summary, args):
        wm = summary["watermark"]
        similarity = "n/a" if wm["mean_similarity"] is None else f"{wm['mean_similarity']:.3f}"
        print(f"{summary['n_substitutions']} substitutions in {summary['n_texts_changed']} of "
              f"{summary['n_texts']} texts; mean similarity to the original {similarity}")
        print(f"watermark: {args.out}  (publish only the data file; keep key.json secret)")
        return 0


class Verify(Command):
    name = "verify"
    help = "test whether MODEL was trained on the watermarked data"
    description = ("Score every published text and its secret control with membership "
                   "signals; a one-sided exact sign-flip test on the paired differences gives "
                   "a p-value and a verdict. RUN/summary.json holds p_value, auroc, verdict.")
    out = Out("run folder", required=True)
    model = ModelFlags(scoring=True)
    chunk_size, bootstrap, no_report, json = 64, 1000, True, True

    def add_flags(self, parser):
        parser.add_argument("watermark_dir", help="the --out folder of `watermark embed`")
        from ..watermark.verify import DEFAULT_SIGNALS

        add_signals_flag(parser, default=",".join(DEFAULT_SIGNALS),
                         help="signals to compute (comma list)")
        parser.add_argument("--signal", default=None,
                            help="the signal whose test gives the verdict (default: reference "
                                 "when --reference-model is given, else loss)")
        parser.add_argument("--reference-model", default=None,
                            help="adds the `reference` signal, -(loss - reference loss): the "
                                 "suspect's base model or a close public one. Much stronger: it "
                                 "cancels how likely each synonym is a priori")
        parser.add_argument("--alpha", type=number(0.0, 1.0, above=True, below=True),
                            default=0.01, help="significance level (0.01)")
        parser.add_argument("--resamples", type=positive, default=100_000,
                            help="sign patterns drawn when there are more than 16 texts")

    def spec(self, args):
        from ..watermark.verify import VerifySpec

        return VerifySpec(
            watermark_dir=args.watermark_dir, out=args.out, model=model_config(args),
            signals=args.signals, signal=args.signal, reference_model=args.reference_model,
            alpha=args.alpha, resamples=args.resamples, chunk_size=args.chunk_size,
            bootstrap=args.bootstrap, progress=progress(args), report=not args.no_report)

    def run(self, spec, args):
        from ..watermark.verify import run_verify

        return run_verify(spec)

    def show(self, summary, args):
        if args.json:
            print(json.dumps(summary, indent=2, default=str))
        else:
            print(summary["verdict"])
            print(f"paired AUROC {summary['auroc']:.3f}   p = {summary['p_value']:.3g}   "
                  f"run: {args.out}")
        return 0


class Watermark(Group):
    name = "watermark"
    help = "watermark a dataset (LexiMark synonyms); verify a model trained on it"
    description = ("Dataset watermarking by lexical substitution (LexiMark, German et al. 2025) "
                   "and a dataset-level membership test against a secret control.")
    commands = (Embed(), Verify())


command = Watermark()
