"""PrivLeak and forget quality along an unlearning run, by scoring alone (no extraction,
no QA): the light companion of bench/unlearning_parity.py, for machines where the full
audit of every method does not fit.

    python bench/unlearning_privleak_trajectory.py --out runs/unlearning-parity \
        --runs ga_fila,ihl_fila --steps 10 --every 2

Reads OUT/{memorized,retrained}/ and OUT/{forget,holdout,retain}.jsonl written by
unlearning_parity.py. For each run: the memorized model is unlearned (unlearning/train.py,
LoRA r32/alpha 64, lr 1e-4, batch 8, seeded) and every `--every` steps the forget and
held-out texts are scored; PrivLeak per signal against the retrained model's scores and
forget quality (KS p-value of the per-text loss on the forget set) are written to
OUT/trajectory_<run>.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mnemoscope.data import DataConfig, load_samples
from mnemoscope.runs import write_json_atomic
from mnemoscope.signals import Context, signals
from mnemoscope.unlearning.config import UnlearnConfig
from mnemoscope.unlearning.criteria import forget_quality, muse_auc, privleak

SIGNALS = ("loss", "zlib", "min_k", "min_k_plus_plus")
RUNS = {"ihl_fila": ("ihl", "fila"), "ihl_default": ("ihl", "default"),
        "ga_fila": ("ga", "fila"), "gd_fila": ("gd", "fila")}


def member_scores(model, groups) -> dict[str, dict[str, list[float]]]:
    scored = {g: model.score([s.text for s in groups[g]]) for g in groups}
    return {name: {g: [float(signals.get(name)()(sc, Context(text=s.text)))
                       for sc, s in zip(scored[g], groups[g])] for g in groups}
            for name in SIGNALS}


def point(scores, reference) -> dict[str, float]:
    out = {f"privleak_{n}": privleak(muse_auc(scores[n]["forget"], scores[n]["holdout"]),
                                     muse_auc(reference[n]["forget"], reference[n]["holdout"]))
           for n in SIGNALS}
    out["forget_quality_loss"] = forget_quality(scores["loss"]["forget"],
                                                reference["loss"]["forget"])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/unlearning-parity")
    parser.add_argument("--runs", default="ga_fila,ihl_fila")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--every", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-4)
    args = parser.parse_args()
    from mnemoscope.models import load_model
    from mnemoscope.unlearning.train import unlearn_steps

    out = Path(args.out)
    groups = {g: sorted(load_samples(DataConfig(str(out / f"{g}.jsonl"))), key=lambda s: s.id)
              for g in ("forget", "holdout")}
    retain = [s.text for s in load_samples(DataConfig(str(out / "retain.jsonl")))]
    cache = out / "trajectory_reference.json"
    if cache.is_file():
        reference = json.loads(cache.read_text())
    else:
        reference = member_scores(load_model(str(out / "retrained"), dtype="float32"), groups)
        write_json_atomic(cache, reference)
    for name in args.runs.split(","):
        method, init = RUNS[name]
        model = load_model(str(out / "memorized"), dtype="float32")
        trajectory = [{"step": 0, **point(member_scores(model, groups), reference)}]
        print(name, trajectory[-1], flush=True)

        def check(step_points=trajectory, model=model) -> float:
            step_points.append({"step": len(step_points) * args.every,
                                **point(member_scores(model, groups), reference)})
            print(name, step_points[-1], flush=True)
            return 1.0

        config = UnlearnConfig(method=method, lora_init=init, lora_rank=32, lora_alpha=64,
                               learning_rate=args.lr, batch_size=8, max_steps=args.steps,
                               check_every=args.every, seed=0)
        unlearn_steps(model, [s.text for s in groups["forget"]], retain, config, check=check,
                      target_rate=-1.0, progress=False)
        write_json_atomic(out / f"trajectory_{name}.json", {"run": name, "lr": args.lr,
                                                            "points": trajectory})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
