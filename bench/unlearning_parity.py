"""Unlearning judged against a retrained model, on the embedded model (docs/unlearning.md,
"Judged against a retrained model"):

    python bench/unlearning_parity.py --out runs/unlearning-parity --stage models
    python bench/unlearning_parity.py --out runs/unlearning-parity --stage unlearn
    python bench/unlearning_parity.py --out runs/unlearning-parity --stage table

1. Data: seeded synthetic records (lab/synthetic.py): --forget, --retain, --holdout texts,
   and the synthetic QA (lab/synthetic_qa.py) about the forget and retain records.
2. Models (cached; a rerun skips them): the memorizing model, a full fine-tune of the
   embedded SmolLM2-135M on forget + retain, and the retrained model, the same recipe
   (epochs, rate, batch, seed) on the retain texts alone (what "never trained on the forget
   set" looks like).
3. Unlearning runs (`run_unlearn`, one resumable folder each) against the retrained model.
Writes OUT/results_<run>.json and prints a table; `--stage table` prints the methods
against the retrained model as one markdown table (README, docs/unlearning.md).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from mnemoscope.lab.config import TrainConfig
from mnemoscope.lab.synthetic import synthetic_texts
from mnemoscope.lab.synthetic_qa import synthetic_qa
from mnemoscope.runs import write_json_atomic


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def make_sets(out: Path, n_forget: int, n_retain: int, n_holdout: int,
              seed: int) -> dict[str, Path]:
    """OUT/{forget,retain,holdout}.jsonl; sets already there must be the same ones (the
    models and runs in OUT were made from them): other sizes or seed stop the bench."""
    records = synthetic_texts(n_forget + n_retain + n_holdout, seed)
    cuts = {"forget": records[:n_forget], "retain": records[n_forget:n_forget + n_retain],
            "holdout": records[n_forget + n_retain:]}
    out.mkdir(parents=True, exist_ok=True)
    for name, group in cuts.items():
        path = out / f"{name}.jsonl"
        wanted = "".join(json.dumps(r) + "\n" for r in group)
        if path.is_file() and path.read_text(encoding="utf-8") != wanted:
            raise SystemExit(f"{path} holds other texts than --forget {n_forget} --retain "
                             f"{n_retain} --holdout {n_holdout} --seed {seed} make; pass the "
                             "sizes this folder was made with, or another --out")
    return {name: write_jsonl(out / f"{name}.jsonl", group) for name, group in cuts.items()}


def train_model(target: Path, texts: list[str], recipe: TrainConfig, curve_file: Path) -> Path:
    from mnemoscope.lab.train import fine_tune, save_model
    from mnemoscope.models import load_model

    if (target / "config.json").is_file():
        print(f"cached: {target}", flush=True)
        return target
    model = load_model("smollm2-135m", dtype="float32")
    clock = time.perf_counter()
    curve = fine_tune(model, texts, recipe)
    save_model(model, target)
    write_json_atomic(curve_file, {"seconds": round(time.perf_counter() - clock, 1),
                                   "steps": curve})
    print(f"trained {target} in {time.perf_counter() - clock:.0f} s", flush=True)
    return target


def texts_of(path: Path) -> list[str]:
    return [json.loads(line)["text"] for line in path.read_text().splitlines()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/unlearning-parity")
    parser.add_argument("--stage", choices=["models", "unlearn", "twin", "table", "all"], default="all")
    parser.add_argument("--models", default="memorized,retrained",
                        help="which models the models stage trains (comma list; retrained_seed1 "
                             "is a second reference with another seed, for the PrivLeak noise)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--forget", type=int, default=40)
    parser.add_argument("--retain", type=int, default=40)
    parser.add_argument("--holdout", type=int, default=40)
    parser.add_argument("--memorize-epochs", type=int, default=12)
    parser.add_argument("--memorize-lr", type=float, default=1e-4)
    parser.add_argument("--runs", default="ihl_fila,ga_fila,ihl_default,gd_fila",
                        help="comma list of " + ", ".join(RUNS) + ", each optionally with a "
                             "-<N>steps budget (the audits of the memorized and retrained "
                             "models are copied from the first finished run to the others)")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--max-steps", type=int, default=20)
    parser.add_argument("--signals", default="loss,zlib,min_k,min_k_plus_plus",
                        help="the audits' MIA signals (PrivLeak is reported for each)")
    parser.add_argument("--check-every", type=int, default=5)
    parser.add_argument("--bootstrap", type=int, default=200)
    parser.add_argument("--answer-tokens", type=int, default=12)
    parser.add_argument("--qa-kinds", default="age,job,city",
                        help="which of the synthetic QA's six question kinds to ask")
    args = parser.parse_args()
    out = Path(args.out)
    if args.stage == "table":                    # reads results only; writes nothing
        print(methods_table(out, args.runs.split(",")))
        return 0
    sets = make_sets(out, args.forget, args.retain, args.holdout, args.seed)
    recipe = TrainConfig(method="full", epochs=args.memorize_epochs, learning_rate=args.memorize_lr,
                         batch_size=8, seed=args.seed)
    write_json_atomic(out / "recipe.json", {"args": vars(args)})
    if args.stage in ("models", "all"):
        wanted = args.models.split(",")
        if "memorized" in wanted:
            train_model(out / "memorized", texts_of(sets["forget"]) + texts_of(sets["retain"]),
                        recipe, out / "memorized_curve.json")
        if "retrained" in wanted:
            train_model(out / "retrained", texts_of(sets["retain"]), recipe,
                        out / "retrained_curve.json")
        if "retrained_seed1" in wanted:
            train_model(out / "retrained_seed1", texts_of(sets["retain"]),
                        TrainConfig(**{**recipe.__dict__, "seed": args.seed + 1}),
                        out / "retrained_seed1_curve.json")
    if args.stage in ("unlearn", "all"):
        qa = {name: write_jsonl(out / f"{name}_qa.jsonl",
                                [q for q in synthetic_qa(json.loads(line) for line in
                                                         sets[name].read_text().splitlines())
                                 if q["id"].rsplit(":", 1)[1] in args.qa_kinds.split(",")])
              for name in ("forget", "retain")}
        for name in args.runs.split(","):
            summary = unlearn_run(out, name, sets, qa, args)
            write_json_atomic(out / f"results_{name}.json", {
                "steps": summary["steps"], "stopped": summary["stopped"],
                "judged": summary["judged"], "trajectory": summary["trajectory"],
                "timings_s": summary["timings_s"]})
            print(table(summary), flush=True)
    if args.stage == "twin":
        twin(out, sets, args)
    return 0


COLUMN_TITLES = {"ihl_fila": "IHL + FILA", "ihl_default": "IHL, default init",
                 "ga_fila": "GA + FILA", "gd_fila": "GD + FILA"}


def methods_table(out: Path, runs: list[str]) -> str:
    """One markdown table: the memorizing model, each run's unlearned model and the
    retrained model, with the rows the issue names (results_<run>.json of finished runs)."""
    results = {name: json.loads((out / f"results_{name}.json").read_text())
               for name in runs if (out / f"results_{name}.json").is_file()}
    if not results:
        return "no finished run"
    first = next(iter(results.values()))["judged"]["columns"]
    columns = {"memorizing model": (first["original"], None)}
    columns.update({column_title(n): (r["judged"]["columns"]["unlearned"], r)
                    for n, r in results.items()})
    columns["retrained"] = (first["retrained"], None)

    def steps(column, run):
        if run is None:
            return "-"
        return (f"{run['steps']}" if run["stopped"] == "parity"
                else f"not reached in {run['steps']}")

    def leak(signal):
        def cell(column, run):
            entry = column["privleak"][signal]
            ci = entry.get("privleak_ci")
            return f"{entry['privleak']:+.1f}" + (f" [{ci[0]:+.1f}, {ci[1]:+.1f}]" if ci else "")
        return cell

    def number(key, digits=2):
        return lambda column, run: ("-" if column.get(key) is None
                                    else f"{column[key]:.{digits}f}")

    def quality(column, run):
        fq, by_loss = column["forget_quality"], column["forget_quality_loss"]
        return f"{fq['p_value']:.2g} / {by_loss:.2g}"

    def ppl_change(column, run):
        return f"{(column['retain_perplexity_ratio'] - 1) * 100:+.1f}%"

    def fluency(column, run):
        return (f"{column['fluency_holdout_perplexity_under_original']:.2f} / "
                f"{column['fluency_holdout_distinct_2']:.3f}")

    rows = [("steps to parity", steps),
            ("forget exact extraction (held-out: "
             f"{first['original']['holdout_exact_extraction']:.2f})",
             number("forget_exact_extraction")),
            ("VerbMem (ROUGE-L F1)", number("verbmem")),
            ("KnowMem forget (ROUGE-L F1)", number("knowmem_forget")),
            ("KnowMem retain (ROUGE-L F1)", number("knowmem_retain")),
            ("PrivLeak % Min-K%++ [95% CI]", leak("min_k_plus_plus")),
            ("PrivLeak % loss", leak("loss")),
            ("forget quality, KS p (truth ratio / loss)", quality),
            ("retain perplexity change", ppl_change),
            ("retain KnowMem / original", number("knowmem_retain_ratio")),
            ("fluency: held-out continuations' ppl under the original / distinct-2", fluency)]
    lines = ["| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for title, cell in rows:
        lines.append(f"| {title} | " + " | ".join(cell(c, r) for c, r in columns.values())
                     + " |")
    return "\n".join(lines)


def twin(out: Path, sets, args) -> None:
    """A second retrained model (another seed, the same recipe) judged against the first:
    what PrivLeak and forget quality read for a model that never saw the forget set.
    Needs a finished run (its retrained_audit/criteria.json holds the reference's scores)."""
    from mnemoscope.data import load_samples, DataConfig
    from mnemoscope.models import load_model
    from mnemoscope.signals import Context, signals
    from mnemoscope.unlearning.criteria import (forget_quality, muse_auc, privleak,
                                                privleak_ci)

    run = finished_run(out, args.runs.split(","))
    if run is None:
        raise SystemExit(f"no finished run in {out} among {args.runs}: run --stage unlearn first")
    reference = json.loads((run / "retrained_audit" / "criteria.json").read_text())
    model = load_model(str(out / "retrained_seed1"), dtype="float32")
    groups = {g: sorted(load_samples(DataConfig(str(sets[g]))), key=lambda s: s.id)
              for g in ("forget", "holdout")}
    scores = {g: model.score([s.text for s in groups[g]]) for g in groups}
    result = {}
    for name in ("loss", "zlib", "min_k", "min_k_plus_plus"):
        signal = signals.get(name)()
        mine = {g: [float(signal(sc, Context(text=s.text))) for sc, s in zip(scores[g], groups[g])]
                for g in groups}
        ref = reference["member_scores"][name]
        result[name] = {
            "auc_muse": muse_auc(mine["forget"], mine["holdout"]),
            "auc_retrained_muse": muse_auc(ref["forget"], ref["holdout"]),
            "privleak": privleak(muse_auc(mine["forget"], mine["holdout"]),
                                 muse_auc(ref["forget"], ref["holdout"])),
            "privleak_ci": privleak_ci(mine["forget"], mine["holdout"], ref["forget"],
                                       ref["holdout"], resamples=1000),
            "forget_quality": forget_quality(mine["forget"], ref["forget"]) if name == "loss"
            else None}
    write_json_atomic(out / "results_twin.json", result)
    print(json.dumps(result, indent=1))


def split_name(name: str) -> tuple[str, int | None]:
    """A run name's entry of RUNS and its "-<N>steps" budget (None without the suffix)."""
    base, _, budget = name.partition("-")
    if budget and not (budget.endswith("steps") and budget[:-5].isdigit()):
        raise SystemExit(f"run {name!r}: the suffix must read -<N>steps")
    if base not in RUNS:
        raise SystemExit(f"unknown run {name!r}; known: {', '.join(RUNS)}")
    return base, int(budget[:-5]) if budget else None


def run_kind(name: str, max_steps: int) -> tuple[str, str, int]:
    """(method, LoRA init, step budget) of a run name: one of RUNS, optionally with a
    "-<N>steps" suffix for another budget than --max-steps (ihl_fila-40steps)."""
    base, budget = split_name(name)
    return (*RUNS[base], max_steps if budget is None else budget)


def finished_run(out: Path, names) -> Path | None:
    """The first of these run folders that holds the audits of the memorized and retrained
    models (retrained_audit/criteria.json), or None."""
    return next((out / n for n in names
                 if (out / n / "retrained_audit" / "criteria.json").is_file()), None)


def column_title(name: str) -> str:
    base, budget = split_name(name)
    return COLUMN_TITLES[base] + ("" if budget is None else f" ({budget} steps)")


RUNS = {"ihl_fila": ("ihl", "fila"), "ihl_default": ("ihl", "default"),
        "ga_fila": ("ga", "fila"), "gd_fila": ("gd", "fila")}


def seed_from(first: Path, target: Path) -> None:
    """Give a new run folder the first run's audits of the same memorized and retrained
    models (before/, retrained_audit/), so that they are not redone (their identity is the
    same: the same models, texts and audit settings)."""
    import shutil

    from mnemoscope.runs import MARKER_FILE

    if target.exists():
        return
    target.mkdir(parents=True)
    (target / MARKER_FILE).touch()
    for stage in ("before", "retrained_audit"):
        shutil.copytree(first / stage, target / stage)


def unlearn_run(out: Path, name: str, sets, qa, args) -> dict:
    from mnemoscope.data import DataConfig
    from mnemoscope.models import ModelConfig
    from mnemoscope.unlearning import AuditConfig, UnlearnConfig, UnlearnSpec, run_unlearn
    from mnemoscope.unlearning.config import JudgeConfig

    method, init, max_steps = run_kind(name, args.max_steps)
    # the audits of the memorized and retrained models come from the first run (of this
    # call's, then of the known ones) that has them
    first = finished_run(out, [*args.runs.split(","), *RUNS])
    if first is not None and out / name != first:
        seed_from(first, out / name)
    train = UnlearnConfig(method=method, lora_init=init, lora_rank=32, lora_alpha=64,
                          learning_rate=args.lr, batch_size=8, seed=args.seed, stop="parity",
                          check_every=args.check_every, max_steps=max_steps,
                          privleak_tol=5.0)
    spec = UnlearnSpec(forget=DataConfig(str(sets["forget"])),
                       retain=DataConfig(str(sets["retain"])),
                       holdout=DataConfig(str(sets["holdout"])), out=str(out / name),
                       model=ModelConfig(model=str(out / "memorized"), dtype="float32"),
                       train=train,
                       audit=AuditConfig(bootstrap=args.bootstrap,
                                         signals=tuple(args.signals.split(","))),
                       judge=JudgeConfig(retrained=str(out / "retrained"),
                                         forget_qa=str(qa["forget"]), retain_qa=str(qa["retain"]),
                                         answer_tokens=args.answer_tokens))
    print(f"== {name}", flush=True)
    return run_unlearn(spec).summary


def table(summary: dict) -> str:
    from mnemoscope.unlearning.run import judged_table

    return (judged_table(summary["judged"]["table"])
            + f"\nsteps {summary['steps']}, stopped: {summary['stopped']}")


if __name__ == "__main__":
    raise SystemExit(main())
