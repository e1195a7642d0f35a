"""`mnemoscope dataset-inference SUSPECT --validation VAL --model M`: was this set trained on?"""

from __future__ import annotations

from .command import Command, DataFlags, ModelFlags, Out
from .flags import (add_signals_flag, add_view_flags, count, data_config, model_config,
                    number, positive, progress, view_options)


class DatasetInference(Command):
    name = "dataset-inference"
    help = "a p-value for 'this set of texts was trained on' (Maini et al. 2024)"
    description = ("Score SUSPECT and VAL (texts from the same distribution, known never "
                   "trained on) with every membership signal the backend supports; fit a "
                   "linear model on half of each, score the other halves, and test suspect > "
                   "validation with a one-sided Welch t-test over seeded splits. Also runs "
                   "the test on two halves of VAL (the false-positive check) and a text-only "
                   "classifier on SUSPECT vs VAL (a distribution check). See docs/verdicts.md.")
    data = DataFlags(labels=False, what="suspect texts")
    out = Out("run folder (default runs/dataset-inference-<data>-<model>)")
    model = ModelFlags(scoring=True)
    seed, chunk_size, bootstrap, json, no_report = 0, 64, 1000, True, True

    def add_flags(self, parser):
        parser.add_argument("--validation", required=True, metavar="VAL",
                            help="known non-members from the suspect set's distribution, in "
                                 "the same format and columns as SUSPECT")
        add_signals_flag(parser, help="features (default: every signal the backend supports, "
                                      "with Min-K%% and Min-K%%++ at k = 0.05 ... 0.6)")
        add_view_flags(parser)
        test = parser.add_argument_group("test")
        test.add_argument("--alpha", type=number(0.0, 1.0, above=True, below=True),
                          default=0.05, help="significance level (default 0.05)")
        test.add_argument("--splits", type=positive, default=10,
                          help="seeded half-splits whose p-values are combined (default 10)")
        test.add_argument("--false-positive-repeats", type=count, default=20,
                          help="VAL-vs-VAL repetitions of the test (default 20)")
        test.add_argument("--no-blind", action="store_true",
                          help="skip the text-only classifier on suspect vs validation")

    def spec(self, args):
        from ..dataset_inference.audit import DatasetInferenceSpec
        from ..dataset_inference.linear_test import InferenceConfig

        return DatasetInferenceSpec(
            suspect=data_config(args), validation=data_config(args, path=args.validation),
            out=self.out_dir(args), model=model_config(args), signals=args.signals,
            view_options=view_options(args),
            test=InferenceConfig(alpha=args.alpha, splits=args.splits,
                                 false_positive_repeats=args.false_positive_repeats,
                                 seed=args.seed),
            blind=not args.no_blind, chunk_size=args.chunk_size, bootstrap=args.bootstrap,
            progress=progress(args), report=not args.no_report)

    def check(self, spec, args):
        """The two sets first (too few known non-members is the likelier mistake, and
        reading them needs no model), then the model's files and --out."""
        from ..dataset_inference.audit import load_sets

        load_sets(spec)
        super().check(spec, args)

    def run(self, spec, args):
        from ..dataset_inference.audit import run_dataset_inference

        return run_dataset_inference(spec)


command = DatasetInference()
