"""`mnemoscope extract DATA --model M --out DIR`: flags -> ExtractSpec -> run_extract."""

from __future__ import annotations

from .command import Command, DataFlags, ModelFlags, Out
from .flags import (count, data_config, engine_options, fraction, model_config, positive,
                    positive_number, progress)


class Extract(Command):
    name = "extract"
    help = "discoverable and sampled extraction, PII recovery"
    description = ("Continue each text's true prefix greedily (and with N sampled guesses) and "
                   "measure how much of the true suffix comes back: exact match, longest "
                   "matching prefix, token edit distance; plus the share of PII items the "
                   "model reproduces from the text before them. Resumable.")
    data = DataFlags()
    out = Out("run folder (default runs/extract-<data>-<model>)")
    model = ModelFlags()
    engine = True
    seed, chunk_size, json = 0, 32, True

    def add_flags(self, parser):
        how = parser.add_argument_group("extraction")
        how.add_argument("--prefix-tokens", "-k", type=positive, default=50,
                         help="k (texts shorter than k+m are split k:m, at least one token each "
                              "side)")
        how.add_argument("--suffix-tokens", "-m", type=positive, default=50,
                         help="m greedy tokens")
        how.add_argument("--samples", type=count, default=10,
                         help="N sampled guesses per text (0: off)")
        how.add_argument("--top-k", type=positive, default=10)
        how.add_argument("--temperature", type=positive_number, default=1.0)
        how.add_argument("--approx-threshold", type=fraction, default=0.1,
                         help="approximate match: normalized token edit distance at most this")
        how.add_argument("--no-pii", action="store_true", help="skip PII recovery")

    def spec(self, args):
        from ..extraction.audit import ExtractSpec
        from ..extraction.discoverable import DiscoverableConfig

        return ExtractSpec(
            data=data_config(args), out=self.out_dir(args), model=model_config(args),
            extraction=DiscoverableConfig(prefix_tokens=args.prefix_tokens,
                                          suffix_tokens=args.suffix_tokens, samples=args.samples,
                                          top_k=args.top_k, temperature=args.temperature,
                                          approx_threshold=args.approx_threshold, seed=args.seed),
            pii=not args.no_pii, chunk_size=args.chunk_size, progress=progress(args))

    def run(self, spec, args):
        from ..extraction.audit import run_extract

        return run_extract(spec, **engine_options(args))


command = Extract()
