"""`mnemoscope score DATA --model M`: membership signals on every text, AUROC when labelled."""

from __future__ import annotations

from .command import Command, DataFlags, ModelFlags, Out
from .flags import (add_signals_flag, add_view_flags, data_config, engine_options,
                    model_config, progress, view_options)


class Score(Command):
    name = "score"
    help = "membership signals on every text, AUROC when labelled"
    description = ("Membership signals on every text of DATA under MODEL, AUROC when labelled. "
                   "--model also takes a checkpoint series: a comma list of model folders "
                   "(out/checkpoint-100,out/checkpoint-200) or a folder of checkpoint-<step>/ "
                   "folders; one run then scores DATA under each, with a `checkpoint` column "
                   "and per-checkpoint metrics (docs/dynamics.md).")
    data = DataFlags()
    model = ModelFlags(scoring=True)
    out = Out("run folder (default runs/<data>-<model>)")
    engine = True
    seed, chunk_size, bootstrap, no_report = 0, 64, 1000, True

    def add_flags(self, parser):
        add_signals_flag(parser, help="comma list, e.g. loss,zlib,min_k(k=0.1) (default: loss, "
                                      "zlib, lowercase, min_k, min_k_plus_plus)")
        add_view_flags(parser)
        parser.add_argument("--no-tokens", action="store_true",
                            help="do not store per-token arrays (smaller runs, no token heatmap)")
        verdicts = parser.add_argument_group("verdicts (docs/verdicts.md)")
        verdicts.add_argument("--no-blind", action="store_true",
                              help="labelled data: skip the text-only baseline and the split "
                                   "check (the combined signal is still fitted)")
        verdicts.add_argument("--calibration", default=None, metavar="LABDIR",
                              help="apply the combined weights a `mnemoscope lab` run saved "
                                   "(LABDIR/combined_weights.json): a calibrated membership "
                                   "probability per text; --signals defaults to the lab's")

    def spec(self, args):
        from ..membership import ScoreSpec

        return ScoreSpec(
            data=data_config(args), out=self.out_dir(args), model=model_config(args),
            signals=args.signals, view_options=view_options(args),
            blind=not args.no_blind, calibration=args.calibration,
            chunk_size=args.chunk_size, save_tokens=not args.no_tokens,
            bootstrap=args.bootstrap, seed=args.seed, progress=progress(args),
            report=not args.no_report)

    def run(self, spec, args):
        from ..membership import run_score

        return run_score(spec, **engine_options(args))


command = Score()
