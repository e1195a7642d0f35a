"""CDD ground truth on the embedded model: fine-tune SmolLM2-135M on half of a small
benchmark, then check that CDD flags the items it was trained on far more often than the
held-out half, and what it says about the base model.

    HF_HUB_OFFLINE=1 python bench/cdd_experiment.py --out /tmp/cdd_experiment

Steps (all seeded):
1. 40 short GSM-style word problems from 12 templates (numbers and names drawn at random),
   each with a worked solution ending "The answer is N." Item text (the CDD prompt):
   "Question: ...\\nAnswer:"; the `answer` column holds N.
2. A seeded half are members: the model is fully fine-tuned (mnemoscope.lab.train) on
   their prompt + " " + solution, and saved.
3. Verbatim check: the share of members whose greedy continuation is their solution.
4. `mnemoscope contamination cdd` (through run_cdd) on all 40 items, labelled 1 = member,
   0 = held-out, with the fine-tuned model and with the base model. The summary's
   by_label block gives the flag rates and mean peakedness of each group; the default
   preset (alpha 0.05, xi 0.01) is the run's, the real-world preset (alpha 0, xi 0.2) is
   recomputed from the stored distances. TED accuracies come from the same runs.
5. Partial-prompt completion of the full training text (prompt + solution) of every item
   with both models, as a second, greedy-only test.

Prints one table and writes results.json beside the run folders.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

NAMES = ["Mia", "Omar", "Lena", "Ravi", "Sofia", "Jonas", "Aiko", "Pedro", "Nadia", "Tariq",
         "Elena", "Kofi", "Ines", "Marek", "Yara", "Felix"]

# (question, solution, answer) templates; {a} {b} are names, x y z numbers.
TEMPLATES = [
    ("{a} has {x} apples. {b} gives {a} {y} more apples. How many apples does {a} have now?",
     "{a} starts with {x} apples and gets {y} more, so {a} has {x} + {y} = {r} apples.",
     lambda x, y, z: x + y),
    ("A shelf holds {x} books. {a} takes away {y} books to read. How many books are left on "
     "the shelf?", "The shelf had {x} books and {y} were taken, so {x} - {y} = {r} books are left.",
     lambda x, y, z: x - y),
    ("{a} buys {y} boxes of pencils. Each box has {z} pencils. How many pencils does {a} buy?",
     "There are {y} boxes with {z} pencils each, so {a} buys {y} * {z} = {r} pencils.",
     lambda x, y, z: y * z),
    ("A baker makes {x} muffins and packs them equally into {z} trays. How many muffins go on "
     "each tray?", "The baker splits {x} muffins into {z} trays, so each tray gets {x} / {z} = "
     "{r} muffins.", lambda x, y, z: x // z),
    ("{a} runs {y} kilometers every day for {z} days. How far does {a} run in total?",
     "{a} runs {y} km a day for {z} days, which is {y} * {z} = {r} kilometers.",
     lambda x, y, z: y * z),
    ("A bus has {x} passengers. At the first stop {y} people get off and {z} people get on. "
     "How many passengers are on the bus now?",
     "The bus had {x} passengers; after {y} leave and {z} board it has {x} - {y} + {z} = {r} "
     "passengers.", lambda x, y, z: x - y + z),
    ("{a} saves {y} dollars a week. After {z} weeks, {a} spends {x} dollars on a game. How "
     "much money does {a} have left?",
     "{a} saves {y} * {z} = {s} dollars and spends {x}, leaving {s} - {x} = {r} dollars.",
     lambda x, y, z: y * z - x),
    ("A garden has {y} rows of tulips with {z} tulips in each row. {b} picks {x} tulips. How "
     "many tulips remain?",
     "The garden has {y} * {z} = {s} tulips; after {b} picks {x}, {s} - {x} = {r} remain.",
     lambda x, y, z: y * z - x),
    ("{a} reads {y} pages on Monday and twice as many pages on Tuesday. How many pages does "
     "{a} read on both days?",
     "On Tuesday {a} reads 2 * {y} = {s} pages, so the total is {y} + {s} = {r} pages.",
     lambda x, y, z: 3 * y),
    ("A class of {x} students is joined by {y} more students. They form teams of {z}. How "
     "many teams are there?",
     "With {x} + {y} = {s} students in teams of {z}, there are {s} / {z} = {r} teams.",
     lambda x, y, z: (x + y) // z),
    ("{a} has {x} stickers and gives {y} stickers to each of {z} friends. How many stickers "
     "does {a} have left?",
     "{a} gives away {y} * {z} = {s} stickers, so {x} - {s} = {r} stickers are left.",
     lambda x, y, z: x - y * z),
    ("A train travels {y} kilometers per hour for {z} hours, then {x} more kilometers. How "
     "far does it travel?",
     "In {z} hours it covers {y} * {z} = {s} km, plus {x} km makes {s} + {x} = {r} kilometers.",
     lambda x, y, z: y * z + x),
]

# the intermediate value {s} of the two-step templates
_INTERMEDIATE = {6: lambda x, y, z: y * z, 7: lambda x, y, z: y * z, 8: lambda x, y, z: 2 * y,
                 9: lambda x, y, z: x + y, 10: lambda x, y, z: y * z, 11: lambda x, y, z: y * z}


def make_items(n: int, seed: int) -> list[dict]:
    """n word problems, cycling through the templates, with numbers that keep every answer a
    positive whole number."""
    rng = random.Random(f"cdd-items:{seed}")
    items = []
    for index in range(n):
        t = index % len(TEMPLATES)
        question, solution, answer = TEMPLATES[t]
        while True:
            x, y, z = rng.randint(20, 90), rng.randint(2, 12), rng.randint(2, 9)
            if t == 3:
                x = z * rng.randint(3, 12)
            if t == 9:
                x = z * rng.randint(3, 9) - y % z + z
            r = answer(x, y, z)
            if r > 0 and (t != 9 or (x + y) % z == 0):
                break
        a, b = rng.sample(NAMES, 2)
        s = _INTERMEDIATE[t](x, y, z) if t in _INTERMEDIATE else ""
        fill = dict(a=a, b=b, x=x, y=y, z=z, r=r, s=s)
        prompt = f"Question: {question.format(**fill)}\nAnswer:"
        items.append({"id": f"q{index:03d}", "text": prompt,
                      "solution": f"{solution.format(**fill)} The answer is {r}.",
                      "answer": str(r)})
    return items


@dataclass(frozen=True)
class ExperimentConfig:
    n_items: int = 40
    seed: int = 0
    epochs: int = 20
    learning_rate: float = 2e-4     # high on purpose: the point is verbatim memorization
    batch_size: int = 8
    samples: int = 20              # n per item (the paper uses 50; 20 keeps the CPU run short)
    temperature: float = 0.8
    max_new_tokens: int = 48       # solutions are 30-46 tokens plus EOS
    completion: bool = True
    base_model: str = "smollm2-135m"


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _verbatim_rate(model, items: list[dict], max_new_tokens: int) -> float:
    prompts = [item["text"] for item in items]
    outputs = model.generate(prompts, max_new_tokens=max_new_tokens)
    hits = [out[0].strip() == item["solution"] for out, item in zip(outputs, items)]
    return sum(hits) / len(hits)


def _real_world(rows, label: int) -> dict:
    from mnemoscope.contamination.peakedness import flagged, peakedness

    group = rows[rows["label"] == label]
    peaks = [peakedness(list(d), int(l), 0.0) for d, l in zip(group["distances"], group["longest"])]
    return {"flagged_rate": sum(flagged(p, 0.2) for p in peaks) / len(peaks),
            "mean_peakedness": sum(peaks) / len(peaks)}


def separation(rows) -> dict:
    """AUROC of peakedness (members vs held-out; 0.5 = chance) under both presets, and the
    share of items whose samples all equal the greedy output (peakedness 1 at alpha 0)."""
    from mnemoscope.contamination.peakedness import peakedness
    from mnemoscope.metrics import auroc

    labels = rows["label"].tolist()
    out = {"auroc_peakedness_default": auroc(labels, rows["peakedness"].tolist())}
    exact = [peakedness(list(d), int(l), 0.0) for d, l in zip(rows["distances"], rows["longest"])]
    out["auroc_peakedness_real_world"] = auroc(labels, exact)
    for name, value in (("member", 1), ("non_member", 0)):
        group = [p for p, y in zip(exact, labels) if y == value]
        out[f"collapsed_share_{name}"] = sum(p == 1.0 for p in group) / len(group)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="/tmp/cdd_experiment")
    for name, spec in ExperimentConfig.__dataclass_fields__.items():
        kind = type(spec.default)
        if kind is bool:
            parser.add_argument(f"--no-{name.replace('_', '-')}", dest=name, action="store_false")
        else:
            parser.add_argument(f"--{name.replace('_', '-')}", type=kind, default=spec.default)
    args = parser.parse_args(argv)
    config = ExperimentConfig(**{k: getattr(args, k) for k in ExperimentConfig.__dataclass_fields__})
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(f"[cdd] {message}", file=sys.stderr, flush=True)

    from mnemoscope.contamination.cdd import CDDConfig, CDDSpec, run_cdd
    from mnemoscope.contamination.completion import CompletionSpec, run_completion
    from mnemoscope.data import DataConfig
    from mnemoscope.lab.config import TrainConfig
    from mnemoscope.lab.train import fine_tune, save_model
    from mnemoscope.models import ModelConfig, load_model

    items = make_items(config.n_items, config.seed)
    order = list(range(len(items)))
    random.Random(f"cdd-split:{config.seed}").shuffle(order)
    members = set(order[: len(items) // 2])
    labelled = [{**item, "label": int(i in members)} for i, item in enumerate(items)]
    _write_jsonl(out / "items.jsonl", [{k: v for k, v in r.items() if k != "solution"}
                                       for r in labelled])
    _write_jsonl(out / "full_texts.jsonl", [{"id": r["id"], "text": f"{r['text']} {r['solution']}",
                                             "label": r["label"]} for r in labelled])
    member_items = [r for r in labelled if r["label"] == 1]
    timings: dict[str, float] = {}

    tuned = out / "model"
    history = []
    if not tuned.is_dir():
        started = time.time()
        model = load_model(ModelConfig(model=config.base_model, batch_size=8))
        texts = [f"{r['text']} {r['solution']}" for r in member_items]
        train = TrainConfig(method="full", epochs=config.epochs,
                            learning_rate=config.learning_rate, batch_size=config.batch_size,
                            max_tokens=128, seed=config.seed)
        history = fine_tune(model, texts, train, progress=False)
        save_model(model, tuned)
        timings["fine_tune_s"] = round(time.time() - started, 1)
        log(f"fine-tuned {len(history)} steps in {timings['fine_tune_s']} s, final loss "
            f"{history[-1]['loss']:.4f}")
    tuned_model = load_model(ModelConfig(model=str(tuned), batch_size=8))
    verbatim = {"member": _verbatim_rate(tuned_model, member_items, config.max_new_tokens),
                "non_member": _verbatim_rate(
                    tuned_model, [r for r in labelled if r["label"] == 0], config.max_new_tokens)}
    log(f"verbatim reproduction of the solution: members {verbatim['member']:.2f}, held-out "
        f"{verbatim['non_member']:.2f}")

    cdd_config = CDDConfig(samples=config.samples, temperature=config.temperature,
                           max_new_tokens=config.max_new_tokens, checker="numeric",
                           seed=config.seed)
    results: dict = {"config": asdict(config), "verbatim_solution_rate": verbatim,
                     "training": history}
    for name, model in (("fine_tuned", tuned_model), ("base", None)):
        started = time.time()
        spec = CDDSpec(data=DataConfig(path=str(out / "items.jsonl")), out=str(out / f"cdd_{name}"),
                       model=ModelConfig(model=config.base_model if model is None else str(tuned)),
                       cdd=cdd_config, progress=False)
        result = run_cdd(spec, model=model)
        timings[f"cdd_{name}_s"] = round(time.time() - started, 1)
        results[f"cdd_{name}"] = {
            "default": result.summary["by_label"], "ted": result.summary["ted_by_label"],
            "real_world": {"member": _real_world(result.rows, 1),
                           "non_member": _real_world(result.rows, 0)},
            "separation": separation(result.rows)}
        log(f"CDD {name}: {timings[f'cdd_{name}_s']} s")
        if config.completion:
            started = time.time()
            spec = CompletionSpec(data=DataConfig(path=str(out / "full_texts.jsonl")),
                                  out=str(out / f"completion_{name}"),
                                  model=ModelConfig(model=config.base_model if model is None
                                                    else str(tuned)), progress=False)
            done = run_completion(spec, model=model)
            timings[f"completion_{name}_s"] = round(time.time() - started, 1)
            results[f"completion_{name}"] = done.summary["by_label"]
    results["timings"] = timings
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(render_table(results))
    return 0


def render_table(results: dict) -> str:
    lines = ["| model | group | flagged (α=0.05, ξ=0.01) | mean peakedness | flagged (real-world) "
             "| mean peak (real-world) | acc. original | acc. greedy | acc. TED |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name in ("fine_tuned", "base"):
        block = results[f"cdd_{name}"]
        for group, title in (("member", "members"), ("non_member", "held-out")):
            d, r, t = block["default"][group], block["real_world"][group], block["ted"][group]
            lines.append(f"| {name.replace('_', '-')} | {title} | {d['flagged_rate']:.3f} | "
                         f"{d['mean_peakedness']:.3f} | {r['flagged_rate']:.3f} | "
                         f"{r['mean_peakedness']:.3f} | {t['original_accuracy']:.3f} | "
                         f"{t['greedy_accuracy']:.3f} | {t['corrected_accuracy']:.3f} |")
    for name in ("fine_tuned", "base"):
        sep = results[f"cdd_{name}"].get("separation")
        if sep:
            lines.append(f"\n{name}: AUROC of peakedness (members vs held-out) "
                         f"{sep['auroc_peakedness_default']:.3f} (default), "
                         f"{sep['auroc_peakedness_real_world']:.3f} (alpha 0); all samples = greedy: "
                         f"members {sep['collapsed_share_member']:.2f}, held-out "
                         f"{sep['collapsed_share_non_member']:.2f}")
    v = results["verbatim_solution_rate"]
    lines.append(f"\nverbatim solution (greedy, fine-tuned): members {v['member']:.2f}, "
                 f"held-out {v['non_member']:.2f}")
    for name in ("fine_tuned", "base"):
        block = results.get(f"completion_{name}")
        if block:
            shown = "; ".join(
                f"{title} " + ", ".join(f"{k}: {block[g]['rouge_l'][k]:.2f}/{block[g]['exact_match'][k]:.2f}"
                                        for k in block[g]["rouge_l"])
                for g, title in (("member", "members"), ("non_member", "held-out")))
            lines.append(f"completion {name} (ratio: ROUGE-L/exact): {shown}")
    lines.append(f"timings (s): {results['timings']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
