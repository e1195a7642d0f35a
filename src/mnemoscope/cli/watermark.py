"""`mnemoscope watermark embed|verify`: flags -> spec -> library. Imports no torch."""

from __future__ import annotations

import argparse
import json

from .flags import add_data_flags, add_model_flags, data_config, model_config


def add_command(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "watermark", help="watermark a dataset (LexiMark synonyms); verify a model trained on it",
        description="Dataset watermarking by lexical substitution (LexiMark, German et al. 2025) "
                    "and a dataset-level membership test against a secret control.")
    commands = parser.add_subparsers(dest="watermark_command", required=True)

    embed = commands.add_parser(
        "embed", help="swap high-surprisal words for rarer fitting synonyms; write data + key",
        description="Per sentence, replace the k highest-surprisal words with rarer WordNet "
                    "synonyms that fit the context. Writes DIR/<data> (same format), "
                    "DIR/key.json (SECRET: positions, originals, published and control words) "
                    "and DIR/summary.json. Publish only the data file. Resumable.")
    add_data_flags(embed, labels=False, what="texts to watermark")
    embed.add_argument("--out", required=True, help="output folder")
    embed.add_argument("--k", type=int, default=5, help="substitutions per sentence (default 5)")
    embed.add_argument("--seed", type=int, default=None,
                       help="secret seed (default: a fresh random one, stored in the key)")
    embed.add_argument("--surprisal", choices=["wordfreq", "model"], default="wordfreq",
                       help="rank words by wordfreq rarity (default) or by the --model's "
                            "token surprisal")
    embed.add_argument("--fit-threshold", type=float, default=0.9,
                       help="minimum sentence-embedding cosine with one substitution (default 0.9)")
    embed.add_argument("--min-zipf", type=float, default=2.0,
                       help="a synonym must have at least this wordfreq Zipf frequency")
    embed.add_argument("--senses", type=int, default=3, help="WordNet senses searched per word")
    embed.add_argument("--chunk-size", type=int, default=16, help="texts per written part")
    add_model_flags(embed, title="model (only for --surprisal model)")
    embed.set_defaults(func=run_embed_command)

    verify = commands.add_parser(
        "verify", help="test whether MODEL was trained on the watermarked data",
        description="Score every published text and its secret control with membership "
                    "signals; a one-sided exact sign-flip test on the paired differences gives "
                    "a p-value and a verdict. RUN/summary.json holds p_value, auroc, verdict.")
    verify.add_argument("watermark_dir", help="the --out folder of `watermark embed`")
    verify.add_argument("--out", required=True, help="run folder")
    add_model_flags(verify, scoring=True)
    verify.add_argument("--signals", default=",".join(("loss", "zlib", "min_k", "min_k_plus_plus")),
                        help="signals to compute (comma list)")
    verify.add_argument("--signal", default=None,
                        help="the signal whose test gives the verdict (default: reference when "
                             "--reference-model is given, else loss)")
    verify.add_argument("--reference-model", default=None,
                        help="adds the `reference` signal, -(loss - reference loss): the "
                             "suspect's base model or a close public one. Much stronger: it "
                             "cancels how likely each synonym is a priori")
    verify.add_argument("--alpha", type=float, default=0.01, help="significance level (0.01)")
    verify.add_argument("--resamples", type=int, default=100_000,
                        help="sign patterns drawn when there are more than 16 texts")
    verify.add_argument("--chunk-size", type=int, default=64)
    verify.add_argument("--bootstrap", type=int, default=1000)
    verify.add_argument("--no-report", action="store_true")
    verify.add_argument("--json", action="store_true", help="print summary.json")
    verify.set_defaults(func=run_verify_command)
    return parser


def run_embed_command(args: argparse.Namespace) -> int:
    from ..watermark.embed import EmbedSpec, run_embed
    from ..watermark.leximark import WatermarkConfig

    spec = EmbedSpec(
        data=data_config(args), out=args.out, seed=args.seed, chunk_size=args.chunk_size,
        watermark=WatermarkConfig(k=args.k, surprisal=args.surprisal,
                                  fit_threshold=args.fit_threshold, min_zipf=args.min_zipf,
                                  senses=args.senses),
        model=model_config(args) if args.surprisal == "model" else None,
        progress=not getattr(args, "quiet", False))
    summary = run_embed(spec)
    wm = summary["watermark"]
    similarity = "n/a" if wm["mean_similarity"] is None else f"{wm['mean_similarity']:.3f}"
    print(f"{summary['n_substitutions']} substitutions in {summary['n_texts_changed']} of "
          f"{summary['n_texts']} texts; mean similarity to the original {similarity}")
    print(f"watermark: {args.out}  (publish only the data file; keep key.json secret)")
    return 0


def run_verify_command(args: argparse.Namespace) -> int:
    from ..watermark.verify import VerifySpec, run_verify

    spec = VerifySpec(
        watermark_dir=args.watermark_dir, out=args.out, model=model_config(args),
        signals=tuple(s.strip() for s in args.signals.split(",") if s.strip()),
        signal=args.signal, reference_model=args.reference_model, alpha=args.alpha,
        resamples=args.resamples, chunk_size=args.chunk_size, bootstrap=args.bootstrap,
        progress=not getattr(args, "quiet", False), report=not args.no_report)
    summary = run_verify(spec)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        print(summary["verdict"])
        print(f"paired AUROC {summary['auroc']:.3f}   p = {summary['p_value']:.3g}   "
              f"run: {args.out}")
    return 0
