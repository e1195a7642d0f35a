"""Reproduce the watermark figures in docs/watermark.md with one command:

    /work/tools/cpuslot python bench/watermark_experiment.py --out /tmp/wm-exp

(or one phase at a time: --phase embed, then --phase tp and --phase null, which can run in
parallel, then --phase report to merge.)

1. Corpus: 100 seeded paragraphs (bench/watermark_corpus.py), split 50 members / 50
   non-members (seeded).
2. Embed: `watermark embed` on each half (k = 5, fixed seed).
3. Plain arm: fine-tune the embedded SmolLM2-135M on the 50 plain members (full, 2 epochs,
   lr 1e-5, batch 8); MIA AUROC members vs non-members.
4. Watermark arm: the same recipe on the 50 watermarked members. (a) `watermark verify` on
   the members: p-value and paired AUROC (published vs control); (b) the paper's comparison:
   MIA AUROC of watermarked members vs watermarked non-members; (c) verify on the
   non-members (never trained on: a false-alarm check under a fine-tuned model).
5. No false alarms: `watermark verify` of the base model (which never saw the data) on the
   members, for --trials fresh watermark/control draws (new seeds, same candidate sets).
Writes OUT/results.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from watermark_corpus import corpus  # noqa: E402

from mnemoscope.data import DataConfig  # noqa: E402
from mnemoscope.lab.config import TrainConfig  # noqa: E402
from mnemoscope.lab.train import fine_tune  # noqa: E402
from mnemoscope.membership import ScoreSpec, run_score  # noqa: E402
from mnemoscope.models import ModelConfig, load_model  # noqa: E402
from mnemoscope.runs import write_json_atomic  # noqa: E402
from mnemoscope.watermark.embed import KEY_FILE, EmbedSpec, run_embed  # noqa: E402
from mnemoscope.watermark.leximark import WatermarkConfig  # noqa: E402
from mnemoscope.watermark.redraw import redraw  # noqa: E402
from mnemoscope.watermark.verify import VerifySpec, run_verify  # noqa: E402

SIGNALS = ("loss", "zlib", "min_k", "min_k_plus_plus")


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def mia(model, members: list[str], nonmembers: list[str], out: Path,
        reference: str | None = None) -> dict:
    """AUROC of every signal, members (label 1) vs non-members (label 0)."""
    data = write_jsonl(out.with_suffix(".jsonl"),
                       [{"id": f"m{i}", "text": t, "label": 1} for i, t in enumerate(members)] +
                       [{"id": f"n{i}", "text": t, "label": 0} for i, t in enumerate(nonmembers)])
    signals = SIGNALS + (("reference",) if reference else ())
    result = run_score(ScoreSpec(data=DataConfig(str(data)), out=str(out), signals=signals,
                                 reference_model=reference, save_tokens=False, progress=False,
                                 report=False), model=model)
    return {s: result.summary[s]["auroc"] for s in signals}


def texts_of(path: Path) -> list[str]:
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]


def verify(model, directory: Path, out: Path, signal: str, reference: str | None = None) -> dict:
    summary = run_verify(VerifySpec(watermark_dir=str(directory), out=str(out), signal=signal,
                                    signals=SIGNALS, reference_model=reference, progress=False,
                                    report=True), model=model)
    return {"p_value": summary["p_value"], "auroc": summary["auroc"],
            "auroc_pooled": summary["auroc_pooled"], "verdict": summary["verdict"],
            "tests": {k: {"p_value": v["p_value"], "paired_auroc": v["paired_auroc"]}
                      for k, v in summary["tests"].items()}}


def load(name: str):
    return load_model(ModelConfig(model=name))


def phase_embed(args, out: Path, results: dict, started: float) -> None:
    records = corpus(args.texts, args.seed)
    order = list(range(len(records)))
    random.Random(args.seed).shuffle(order)
    half = len(records) // 2
    parts = {"members": [records[i] for i in sorted(order[:half])],
             "nonmembers": [records[i] for i in sorted(order[half:])]}
    for name, part in parts.items():
        data = write_jsonl(out / f"{name}.jsonl", part)
        results[f"embed_{name}"] = run_embed(EmbedSpec(
            data=DataConfig(str(data)), out=str(out / f"wm-{name}"),
            watermark=WatermarkConfig(k=args.k), seed=1000 + args.seed, progress=False))
    print(f"[{time.time() - started:.0f}s] embedded: "
          f"{results['embed_members']['n_substitutions']} substitutions in members, mean "
          f"similarity {results['embed_members']['mean_similarity']:.3f}", flush=True)


def phase_true_positive(args, out: Path, results: dict, started: float) -> None:
    dirs = {name: out / f"wm-{name}" for name in ("members", "nonmembers")}
    train = TrainConfig(method="full", epochs=args.epochs, learning_rate=args.lr, seed=args.seed)
    plain_members, plain_nonmembers = texts_of(out / "members.jsonl"), texts_of(out / "nonmembers.jsonl")
    wm_members = texts_of(dirs["members"] / "members.jsonl")
    wm_nonmembers = texts_of(dirs["nonmembers"] / "nonmembers.jsonl")

    model = load(args.model)
    fine_tune(model, plain_members, train, progress=False)
    results["plain_mia_auroc"] = mia(model, plain_members, plain_nonmembers, out / "mia-plain")
    print(f"[{time.time() - started:.0f}s] plain MIA AUROC {results['plain_mia_auroc']}", flush=True)

    model = load(args.model)
    fine_tune(model, wm_members, train, progress=False)
    results["watermarked_mia_auroc"] = mia(model, wm_members, wm_nonmembers, out / "mia-wm")
    results["verify_trained_members"] = verify(model, dirs["members"], out / "verify-members",
                                               args.signal)
    print(f"[{time.time() - started:.0f}s] watermarked: MIA {results['watermarked_mia_auroc']}; "
          f"verify members p={results['verify_trained_members']['p_value']:.3g} "
          f"auroc={results['verify_trained_members']['auroc']:.3f}", flush=True)
    results["verify_trained_nonmembers"] = verify(model, dirs["nonmembers"],
                                                  out / "verify-nonmembers", args.signal)
    # the same check with the base model as a reference (-(loss_target - loss_base)): what an
    # owner who can name the suspect's base model (or a close public one) can add
    results["verify_trained_members_reference"] = verify(
        model, dirs["members"], out / "verify-members-reference", "reference", args.model)
    print(f"[{time.time() - started:.0f}s] non-members p="
          f"{results['verify_trained_nonmembers']['p_value']:.3g}; with reference p="
          f"{results['verify_trained_members_reference']['p_value']:.3g}", flush=True)


def phase_reference(args, out: Path, results: dict, started: float) -> None:
    """The true-positive arm again with the base model as a reference for every MIA and for
    verify (signal `reference` = -(loss_target - loss_base)), so that both sides of the
    comparison use the same signal."""
    dirs = {name: out / f"wm-{name}" for name in ("members", "nonmembers")}
    train = TrainConfig(method="full", epochs=args.epochs, learning_rate=args.lr, seed=args.seed)
    plain_members, plain_nonmembers = texts_of(out / "members.jsonl"), texts_of(out / "nonmembers.jsonl")
    model = load(args.model)
    fine_tune(model, plain_members, train, progress=False)
    results["plain_mia_auroc"] = mia(model, plain_members, plain_nonmembers,
                                     out / "ref-mia-plain", reference=args.model)
    print(f"[{time.time() - started:.0f}s] plain MIA AUROC {results['plain_mia_auroc']}", flush=True)
    model = load(args.model)
    fine_tune(model, texts_of(dirs["members"] / "members.jsonl"), train, progress=False)
    results["verify_trained_members"] = verify(model, dirs["members"], out / "ref-verify-members",
                                               "reference", args.model)
    results["verify_trained_nonmembers"] = verify(model, dirs["nonmembers"],
                                                  out / "ref-verify-nonmembers", "reference",
                                                  args.model)
    print(f"[{time.time() - started:.0f}s] reference verify: members p="
          f"{results['verify_trained_members']['p_value']:.3g} auroc="
          f"{results['verify_trained_members']['auroc']:.3f}; non-members p="
          f"{results['verify_trained_nonmembers']['p_value']:.3g}", flush=True)
    results["watermarked_mia_auroc"] = mia(
        model, texts_of(dirs["members"] / "members.jsonl"),
        texts_of(dirs["nonmembers"] / "nonmembers.jsonl"), out / "ref-mia-wm", reference=args.model)


def phase_null(args, out: Path, results: dict, started: float) -> None:
    members = out / "wm-members"
    base = load(args.model)
    key = json.loads((members / KEY_FILE).read_text(encoding="utf-8"))
    trials = []
    for trial in range(args.trials):
        trial_dir = redraw(members, out / f"null-{trial}" / "wm", seed=50_000 + trial, key=key)
        verdict = verify(base, trial_dir, out / f"null-{trial}" / "verify", args.signal)
        trials.append({"seed": 50_000 + trial, **verdict})
        print(f"[{time.time() - started:.0f}s] null trial {trial}: p={verdict['p_value']:.3g}",
              flush=True)
        p_values = [t["p_value"] for t in trials]
        results["null_trials"] = trials
        results["null_rate_p_above_0.05"] = sum(p > 0.05 for p in p_values) / len(p_values)
        results["null_rate_p_below_0.01"] = sum(p < 0.01 for p in p_values) / len(p_values)
        write_json_atomic(out / "results-null.partial.json", results)   # kept if interrupted


PHASES = {"embed": phase_embed, "tp": phase_true_positive, "null": phase_null,
          "reference": phase_reference}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="LexiMark watermark experiment")
    parser.add_argument("--out", default="/tmp/wm-exp")
    parser.add_argument("--phase", choices=["all", "embed", "tp", "null", "reference", "report"],
                        default="all",
                        help="run one phase (tp and null need embed first; they can run in "
                             "parallel) or all; report merges the phases' results")
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--texts", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-5)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--signal", default="loss")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    phases = (list(PHASES) if args.phase == "all" else [] if args.phase == "report" else
              ["embed", args.phase] if args.phase in ("tp", "null", "reference") else [args.phase])
    for phase in phases:
        if phase == "embed" and args.phase != "embed" and (out / "results-embed.json").is_file():
            continue                      # embedded already (by this or a parallel run)
        results: dict = {"settings": vars(args)}
        PHASES[phase](args, out, results, started)
        results["seconds"] = time.time() - started
        write_json_atomic(out / f"results-{phase}.json", results)
    merged: dict = {}
    for phase in PHASES:
        path = out / f"results-{phase}.json"
        if path.is_file():
            merged[phase] = json.loads(path.read_text(encoding="utf-8"))
    write_json_atomic(out / "results.json", merged)
    print(json.dumps({p: {k: v for k, v in r.items() if k != "null_trials"}
                      for p, r in merged.items()}, indent=1, default=str)[:6000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
