"""`mnemoscope score DATA --model M`: membership signals on every text, AUROC when labelled."""

from __future__ import annotations

from .command import Command, DataFlags, ModelFlags, Out
from .flags import add_signals_flag, data_config, engine_options, model_config, progress


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
        from ..signals.views import all_options

        # each registered view's settings (--reference-model, ...) come from its declaration
        for option in all_options():
            parser.add_argument("--" + option.name.replace("_", "-"), dest=option.name,
                                default=None, metavar=option.metavar, help=option.help)
        parser.add_argument("--no-tokens", action="store_true",
                            help="do not store per-token arrays (smaller runs, no token heatmap)")

    def spec(self, args):
        from ..membership import ScoreSpec
        from ..signals.views import all_options

        return ScoreSpec(
            data=data_config(args), out=self.out_dir(args), model=model_config(args),
            signals=args.signals,
            view_options={o.name: getattr(args, o.name) for o in all_options()
                          if getattr(args, o.name) is not None},
            chunk_size=args.chunk_size, save_tokens=not args.no_tokens,
            bootstrap=args.bootstrap, seed=args.seed, progress=progress(args),
            report=not args.no_report)

    def run(self, spec, args):
        from ..membership import run_score

        return run_score(spec, **engine_options(args))


command = Score()
