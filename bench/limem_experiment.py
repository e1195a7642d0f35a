"""Memorization experiment: fine-tune the embedded SmolLM2-135M on K&K puzzles until it
solves most of them, then measure LiMem under math (leaf, statement) and language (names,
reorder, roles) perturbations of those same training puzzles.

    HF_HUB_OFFLINE=1 python bench/limem_experiment.py --out /tmp/limem_experiment

Two training recipes, both supervised fine-tuning (mnemoscope.lab.train.fine_tune, AdamW,
loss on the answer line only, plain prompts as evaluated; the bottom layers frozen and
cached, lab/frozen.py, so that it fits a CPU budget):

  plain      the training puzzles, each in its one wording (Xie et al. 2024's setup).
  augmented  the training puzzles plus `variants` fresh wordings of each (kk_augment.py):
             new names, a random presentation order, half of them other role words; by
             default half of those names and role words are invented from syllables and
             every epoch gets new variants, so no variant string repeats. The pools are
             disjoint from the test perturbations' (no test prompt is a training prompt;
             checked below), so the model is pushed to memorize the puzzle rather than the
             string. (docs/benchmarks.md has every recipe tried and its figures.)

Expected if the model memorized the puzzles: LiMem clearly above 0 under leaf/statement
(it repeats the answer it learned, which is now wrong) and near 0 under perturbations that
keep the solution. A control set of fresh puzzles (none equal to a training puzzle, even
with the people renumbered) says whether the model learned to solve K&K at all.
Each stage is saved (models, resumable runs), so a re-run continues where it stopped.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from mnemoscope.benchmarks import generate, perturb, read_items, write_items
from mnemoscope.benchmarks.harness import EvalSpec, run_eval
from mnemoscope.benchmarks.kk import LANGUAGE_PERTURBATIONS, MATH_PERTURBATIONS, Puzzle
from mnemoscope.benchmarks.kk_augment import AugmentConfig, logic_key, training_variants
from mnemoscope.benchmarks.kk_text import parse_roles
from mnemoscope.benchmarks.limem import limem, limem_score
from mnemoscope.benchmarks.prompting import render_chat
from mnemoscope.models import ModelConfig, load_model

PERTURBATIONS = MATH_PERTURBATIONS + LANGUAGE_PERTURBATIONS
RECIPES = ("plain", "augmented")


@dataclass(frozen=True)
class ExperimentConfig:
    model: str = "smollm2-135m"    # the model fine-tuned (a name or a folder)
    n_puzzles: int = 100           # training puzzles (all are trained on and graded)
    people: int = 2
    seed: int = 0
    n_perturbed_sources: int = 100  # the first N training puzzles get perturbed twins
    n_fresh: int = 30              # unseen control puzzles
    recipes: str = "plain,augmented"   # comma-separated
    plain_epochs: int = 12
    plain_frozen_layers: int = 18  # plain trains the top 12 layers ...
    plain_learning_rate: float = 5e-4   # ... at this rate (see docs/benchmarks.md)
    augmented_epochs: int = 6      # over originals + variants: 1 + variants views per epoch
    variants: int = 4
    other_roles: float = 0.5
    invented: float = 0.5          # share of made-up names / role words in the variants
    new_words_each_epoch: int = 1  # 1: every epoch gets its own variants (no string repeats)
    batch_size: int = 8
    # The bottom 18 of SmolLM2's 30 layers stay fixed and their output is cached
    # (lab/frozen.py), so a step runs only the top 12 and costs a fraction of a full one;
    # that is what makes 3,000 training passes fit in a CPU budget. With the top 6 only
    # (24 frozen, 7e-4, 3 epochs x 3 variants) the fine-tune stalled at a constant answer.
    frozen_layers: int = 18
    learning_rate: float = 5e-4    # high on purpose: we want memorization
    max_new_tokens: int = 32       # the answer line is at most 27 tokens here


def structure_key(item) -> str:
    return logic_key(Puzzle.from_item(item))


def make_items(config: ExperimentConfig, out: Path) -> dict[str, list]:
    originals = generate("kk", config.n_puzzles, config.seed, level=config.people)
    sources = originals[:config.n_perturbed_sources]
    perturbed = [p for how in PERTURBATIONS for p in perturb(sources, how, config.seed)]
    seen = {structure_key(i) for i in originals}
    fresh = [i for i in generate("kk", 4 * config.n_fresh, config.seed + 1, level=config.people)
             if structure_key(i) not in seen][:config.n_fresh]
    sets = {"train": originals, "perturbed": perturbed, "fresh": fresh}
    for name, items in sets.items():
        with open(out / f"{name}.jsonl", "w", encoding="utf-8") as handle:
            write_items(items, handle)
    return sets


def training_items(recipe: str, originals, config: ExperimentConfig) -> tuple[list, int]:
    """The sequences to train on and the number of passes over them. With
    new_words_each_epoch the list holds every epoch's sequences (the originals once per
    epoch, each time with new variants) and is passed over once."""
    if recipe == "plain":
        return list(originals), config.plain_epochs
    augment = AugmentConfig(variants=config.variants, other_roles=config.other_roles,
                            invented=config.invented)
    if not config.new_words_each_epoch:
        return (list(originals) + training_variants(originals, augment, config.seed),
                config.augmented_epochs)
    items = []
    for epoch in range(config.augmented_epochs):
        items += [dataclasses.replace(o, id=f"{o.id}@{epoch}") for o in originals]
        items += training_variants(originals, augment, config.seed, round=epoch)
    return items, 1


def check_no_leak(train, tests) -> None:
    overlap = {i.prompt for i in train} & {i.prompt for i in tests}
    if overlap:
        raise RuntimeError(f"{len(overlap)} test prompts are also training prompts; "
                           "the augmentation pools must stay disjoint from the test pools")


def train_recipe(recipe: str, items, epochs: int, config: ExperimentConfig, directory: Path,
                 log) -> dict:
    from mnemoscope.lab.config import TrainConfig
    from mnemoscope.lab.train import fine_tune, save_model

    if (directory / "config.json").exists():
        log(f"{recipe}: reusing the fine-tuned model in {directory}")
        return json.loads((directory.parent / "training.json").read_text(encoding="utf-8"))
    plain = recipe == "plain"
    train = TrainConfig(method="full", epochs=epochs, batch_size=config.batch_size,
                        learning_rate=config.plain_learning_rate if plain else config.learning_rate,
                        frozen_layers=config.plain_frozen_layers if plain else config.frozen_layers,
                        max_tokens=64, seed=config.seed)
    model = load_model(ModelConfig(model=config.model))
    prompts = [render_chat(model, [{"role": "user", "content": i.prompt}], use_template=False)
               for i in items]
    started = time.time()
    curve = fine_tune(model, [i.meta["answer"] for i in items], train, progress=True,
                      prompts=prompts)
    record = {"recipe": recipe, "sequences": len(items), "epochs": epochs,
              "frozen_layers": train.frozen_layers, "learning_rate": train.lr,
              "steps": len(curve), "train_s": round(time.time() - started, 1),
              "final_loss": sum(p["loss"] for p in curve[-10:]) / min(10, len(curve)),
              "loss_by_epoch": loss_by_epoch(
                  curve, epochs, 0 if plain or not config.new_words_each_epoch
                  else config.augmented_epochs)}
    log(f"{recipe}: {record['steps']} steps on {len(items)} sequences in {record['train_s']} s, "
        f"loss by epoch {record['loss_by_epoch']}")
    save_model(model, directory)
    (directory.parent / "training.json").write_text(json.dumps(record, indent=2) + "\n",
                                                    encoding="utf-8")
    return record


def loss_by_epoch(curve, epochs: int, chunks: int = 0) -> list[float]:
    """Mean loss per epoch, or with `chunks` (one pass over every epoch's variants) per
    1/chunks of the steps, the share an epoch's worth of sequences takes."""
    if chunks:
        size = -(-len(curve) // chunks)
        groups = [curve[i:i + size] for i in range(0, len(curve), size)]
    else:
        groups = [[p for p in curve if p["epoch"] == e] for e in range(1, epochs + 1)]
    return [round(sum(p["loss"] for p in g) / len(g), 4) for g in groups if g]


CLAUSE = re.compile(r"\((\d+)\)\s*(.+?)\s+is\s+an?\s+([A-Za-z-]+)")


def solved_by_position(output: str, item) -> bool:
    """A lenient reading of an answer, for diagnosis only (the benchmark's checker is
    kk.check): clause (k) is taken to be about the k-th person shown, whatever name it
    writes, and either the puzzle's role words or knight/knave count. True when every
    position gets the right truth value. It separates "recalled the solution but
    misspelled a new name or fell back to knight/knave" from "did not recall it"."""
    truth, liar = (w.lower() for w in item.meta["roles"])
    said = {}
    for index, _name, word in CLAUSE.findall(output):
        word = word.lower()
        value = True if word in (truth, "knight") else False if word in (liar, "knave") else None
        said.setdefault(int(index), value)
    names, order = item.meta["names"], item.meta["order"]
    return all(said.get(k + 1) is item.gold[names[i]] for k, i in enumerate(order))


def lenient_limem(originals: dict, perturbed: dict, base, rows) -> dict[str, dict]:
    """LiMem per perturbation with solved_by_position() grading both runs (`base`: the
    originals' run rows, `rows`: the perturbed run's)."""
    solved = {i: solved_by_position(o, originals[i]) for i, o in zip(base["id"], base["output"])}
    found = {}
    for how, group in rows.groupby("perturbation"):
        pairs = [(solved[perturbed[i].source_id], solved_by_position(o, perturbed[i]))
                 for i, o in zip(group["id"], group["output"])]
        acc, cr, score = limem_score([a for a, _ in pairs], [b for _, b in pairs])
        found[str(how)] = {"accuracy": acc, "consistency": cr, "limem": score}
    return found


def diagnostics(out: Path, run_dir: Path) -> dict[str, dict]:
    """Per perturbation: how often the model gave the ORIGINAL's answer (math types; a
    memorizer does this), and how often it used knight/knave words under `roles`."""
    import pandas as pd

    originals = {i.id: i for i in read_items(out / "train.jsonl")}
    perturbed = {i.id: i for i in read_items(out / "perturbed.jsonl")}
    seen = {structure_key(i) for i in originals.values()}
    solved_rows = pd.read_parquet(run_dir.parent / "run_train" / "parts")
    solved = dict(zip(solved_rows["id"], solved_rows["correct"].astype(bool)))
    rows = pd.read_parquet(run_dir / "parts")
    lenient = lenient_limem(originals, perturbed, solved_rows, rows)
    found: dict[str, dict] = {}
    for how, group in rows.groupby("perturbation"):
        old_answer = default_words = 0
        novel = [(solved[perturbed[i].source_id], bool(c))
                 for i, c in zip(group["id"], group["correct"])
                 if structure_key(perturbed[i]) not in seen]
        for item_id, output in zip(group["id"], group["output"]):
            item = perturbed[item_id]
            source = originals[item.source_id]
            if how in MATH_PERTURBATIONS:
                said = parse_roles(output, list(source.gold), source.meta["roles"])
                old_answer += said == source.gold
            if how == "roles":
                default_words += bool(parse_roles(output, list(item.gold), ("knight", "knave")))
        entry = {"accuracy_perturbed": float(group["correct"].mean())}
        if how in MATH_PERTURBATIONS:
            entry["gave_original_answer"] = old_answer / len(group)
            # twins whose logic is no training puzzle's (a memorizer can't get them for free)
            acc, cr, score = limem_score([b for b, _ in novel], [a for _, a in novel])
            entry["novel_twins"] = {"n_pairs": len(novel), "accuracy": acc, "consistency": cr,
                                    "limem": score}
        if how == "roles":
            entry["used_knight_knave"] = default_words / len(group)
        entry["lenient"] = lenient[str(how)]
        found[str(how)] = entry
    return found


def evaluate(recipe: str, directory: Path, out: Path, config: ExperimentConfig, log) -> dict:
    model = load_model(ModelConfig(model=str(directory / "model"), batch_size=16))
    summaries, started = {}, time.time()
    for name in ("train", "perturbed", "fresh"):
        spec = EvalSpec(items=str(out / f"{name}.jsonl"), out=str(directory / f"run_{name}"),
                        model=ModelConfig(model=str(directory / "model"), batch_size=16),
                        max_new_tokens=config.max_new_tokens, chat_template=False,
                        progress=False, report=False)
        summaries[name] = run_eval(spec, model=model).summary
        log(f"{recipe}: {name} accuracy {summaries[name]['accuracy']:.3f} "
            f"({round(time.time() - started)} s so far)")
    results = sorted(limem(directory / "run_train", directory / "run_perturbed"),
                     key=lambda r: PERTURBATIONS.index(r.perturbation))
    extra = diagnostics(out, directory / "run_perturbed")
    return {"eval_s": round(time.time() - started, 1),
            "train_accuracy": summaries["train"]["accuracy"],
            "fresh_accuracy": summaries["fresh"]["accuracy"],
            "limem": [{**r.as_dict(), **extra.get(r.perturbation, {})} for r in results]}


def table(recipe: str, result: dict) -> str:
    lines = [f"### {recipe}: training accuracy {result['train_accuracy']:.2f}, fresh puzzles "
             f"{result['fresh_accuracy']:.2f}",
             "| perturbation | pairs | Acc (original) | Acc (perturbed) | CR | LiMem | note |",
             "|---|---|---|---|---|---|---|"]
    for r in result["limem"]:
        note = ""
        if "gave_original_answer" in r:
            novel = r["novel_twins"]
            note = (f"original's answer {r['gave_original_answer']:.2f}; twins unlike any "
                    f"training puzzle: {novel['n_pairs']} pairs, CR {novel['consistency']:.3f}, "
                    f"LiMem {novel['limem']:.3f}")
        if "used_knight_knave" in r:
            note = f"answered knight/knave {r['used_knight_knave']:.2f}"
        if "lenient" in r:
            lenient = f"lenient grading (by position, any role words): LiMem {r['lenient']['limem']:.3f}"
            note = f"{note}; {lenient}" if note else lenient
        lines.append(f"| {r['perturbation']} | {r['n_pairs']} | {r['accuracy']:.3f} | "
                     f"{r['accuracy_perturbed']:.3f} | {r['consistency']:.3f} | "
                     f"**{r['limem']:.3f}** | {note} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="/tmp/limem_experiment")
    for name, field in ExperimentConfig.__dataclass_fields__.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(field.default),
                            default=field.default)
    args = parser.parse_args(argv)
    fields = ExperimentConfig.__dataclass_fields__
    config = ExperimentConfig(**{k: getattr(args, k) for k in fields})
    recipes = [r for r in config.recipes.split(",") if r]
    unknown = set(recipes) - set(RECIPES)
    if unknown:
        parser.error(f"unknown recipe(s) {', '.join(sorted(unknown))}; use {', '.join(RECIPES)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(f"[limem {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    sets = make_items(config, out)
    seen = {structure_key(i) for i in sets["train"]}
    collide = {how: sum(structure_key(p) in seen for p in sets["perturbed"]
                        if p.perturbation == how) for how in MATH_PERTURBATIONS}
    log(f"{len(sets['train'])} training puzzles, {len(sets['perturbed'])} perturbed, "
        f"{len(sets['fresh'])} fresh; math twins equal to some training puzzle: {collide}")
    report = {"config": asdict(config), "math_twins_equal_to_a_training_puzzle": collide,
              "recipes": {}}
    results_path = out / "results.json"
    if results_path.exists():
        report["recipes"] = json.loads(results_path.read_text(encoding="utf-8"))["recipes"]
    for recipe in recipes:
        items, epochs = training_items(recipe, sets["train"], config)
        check_no_leak(items, sets["perturbed"] + sets["fresh"])
        directory = out / recipe
        directory.mkdir(exist_ok=True)
        training = train_recipe(recipe, items, epochs, config, directory / "model", log)
        result = {"training": training, **evaluate(recipe, directory, out, config, log)}
        report["recipes"][recipe] = result
        results_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(table(recipe, result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
