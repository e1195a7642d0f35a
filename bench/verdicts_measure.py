"""The measurements behind docs/verdicts.md, from run folders already scored (nothing here
loads a model; each command takes seconds to a few minutes at one thread).

    python bench/verdicts_measure.py noshift RUN DATA [--seeds 20]
        RUN: `score DATA` of texts from one distribution under a model that never saw
        them; labels drawn at random (half members) per seed -> blind_baseline CI and how
        often the split check warns
    python bench/verdicts_measure.py split RUN DATA
        a labelled run: signals, blind_baseline, combined, split_check
    python bench/verdicts_measure.py lab LABDIR
        the same on a lab's calibration rows (LABDIR/calibration, LABDIR/lab_data.jsonl)
    python bench/verdicts_measure.py tokens LABDIR BASERUN
        what token-level comparisons with the reference would add to `combined`: BASERUN is
        a `score` run (tokens kept) of some of the lab's texts under the base model
    python bench/verdicts_measure.py di RUN [--drop reference] [--seeds 10]
        RUN: `dataset-inference MEMBERS --validation NONMEMBERS` of a lab: p-value against
        the number of suspect texts, the false-positive rate of non-members against
        non-members, and power and false positives against the size of VAL
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from mnemoscope.dataset_inference.linear_test import dataset_inference_test  # noqa: E402
from mnemoscope.metrics import summarize_signal  # noqa: E402
from mnemoscope.runs import read_rows  # noqa: E402
from mnemoscope.verdicts.summary import VerdictConfig, labelled_verdicts  # noqa: E402

SIGNALS = ("loss", "zlib", "lowercase", "min_k", "min_k_plus_plus", "reference")


def texts_of(path: str) -> dict[str, str]:
    return {r["id"]: r["text"] for r in map(json.loads, Path(path).read_text().splitlines())}


def line(name: str, s: dict) -> str:
    low, high = s["auroc_ci"]
    return (f"{name:<18} {s['auroc']:.3f} [{low:.3f}, {high:.3f}]  TPR@1%FPR "
            f"{s['tpr_at_1pct_fpr']:.3f}  TPR@0.1%FPR {s['tpr_at_0.1pct_fpr']:.3f}")


def in_id_order(rows):
    """As `score` takes them (verdicts/summary.py): folds do not depend on part order."""
    return rows.assign(id=rows["id"].astype(str)).sort_values("id", kind="stable") \
        .reset_index(drop=True)


def verdicts(rows, texts: dict[str, str], labels, seed: int = 0, quiet: bool = False):
    columns = [c for c in SIGNALS if c in rows.columns]
    signals = {c: rows[c].to_numpy(dtype=float) for c in columns}
    summaries = {c: summarize_signal(labels, signals[c], seed=seed) for c in columns}
    entries, _ = labelled_verdicts([texts[i] for i in rows["id"]], labels, signals, summaries,
                                   VerdictConfig(seed=seed))
    if not quiet:
        for c in columns:
            print(line(c, summaries[c]))
        for key in ("combined", "blind_baseline"):
            print(line(key, entries[key]))
        check = entries["split_check"]
        print(f"model_gain {check['model_gain']:+.3f} [{check['model_gain_ci'][0]:+.3f}, "
              f"{check['model_gain_ci'][1]:+.3f}]  warning {check['warning']}")
        print(check["message"])
    return entries


def cmd_noshift(args) -> None:
    rows = in_id_order(read_rows(args.run))
    texts = texts_of(args.data)
    n = len(rows)
    warnings, covers, aurocs = 0, 0, []
    for seed in range(args.seeds):
        labels = np.zeros(n, dtype=int)
        labels[np.random.default_rng((17, seed)).permutation(n)[: n // 2]] = 1
        entries = verdicts(rows, texts, labels, seed=seed, quiet=True)
        blind = entries["blind_baseline"]
        low, high = blind["auroc_ci"]
        covers += low <= 0.5 <= high
        warnings += entries["split_check"]["warning"]
        aurocs.append(blind["auroc"])
        print(f"seed {seed:2d}: blind {blind['auroc']:.3f} [{low:.3f}, {high:.3f}]  permutation "
              f"p {entries['split_check']['blind_permutation_p_value']:.2f}  warning "
              f"{entries['split_check']['warning']}")
    print(f"{n} texts, {args.seeds} random labellings: blind CI holds 0.5 in {covers}/"
          f"{args.seeds}; warning in {warnings}/{args.seeds}; blind AUROC mean "
          f"{np.mean(aurocs):.3f} (min {min(aurocs):.3f}, max {max(aurocs):.3f})")


def cmd_split(args) -> None:
    rows = in_id_order(read_rows(args.run))
    verdicts(rows, texts_of(args.data), rows["label"].to_numpy(dtype=int))


def cmd_lab(args) -> None:
    lab = Path(args.lab)
    rows = in_id_order(read_rows(lab / "calibration"))
    verdicts(rows, texts_of(str(lab / "lab_data.jsonl")), rows["label"].to_numpy(dtype=int))


def cmd_tokens(args) -> None:
    from mnemoscope.verdicts.classifiers import signals_fit_predict
    from mnemoscope.verdicts.crossfit import out_of_fold

    lab = read_rows(Path(args.lab) / "calibration")
    base = read_rows(args.base, columns=["id", "token_ids", "token_logprobs"])
    rows = lab.merge(base, on="id", suffixes=("", "_base"))
    assert all(np.array_equal(a, b) for a, b in zip(rows["token_ids"], rows["token_ids_base"]))
    labels = rows["label"].to_numpy(dtype=int)
    columns = [c for c in SIGNALS if c in rows.columns]
    signals = rows[columns].to_numpy(dtype=float)

    def token_features(target, reference):
        gain = np.asarray(target, dtype=float) - np.asarray(reference, dtype=float)   # (T,)
        lowest = np.sort(gain)[: max(1, len(gain) // 5)]
        return [lowest.mean(), np.median(gain), (gain > 0.5).mean(), (gain > 1.0).mean()]

    tokens = np.array([token_features(t, r) for t, r in
                       zip(rows["token_logprobs"], rows["token_logprobs_base"])])
    print(f"{len(rows)} texts ({labels.sum()} members)")
    for i, name in enumerate(("min-20% token gain", "median token gain", "share gain > 0.5",
                              "share gain > 1")):
        print(line(name, summarize_signal(labels, tokens[:, i])))
    print(line("reference", summarize_signal(labels, rows["reference"].to_numpy(dtype=float))))
    for name, matrix in (("combined", signals),
                         ("combined + token gain", np.column_stack([signals, tokens]))):
        scores = out_of_fold(signals_fit_predict(matrix), labels, repeats=5)
        print(line(name, summarize_signal(labels, scores)))


def p_value(suspect, validation, seed) -> float:
    return dataset_inference_test(suspect, validation, splits=10, seed=seed)["p_value"]


def cmd_di(args) -> None:
    rows = read_rows(args.run)
    summary = json.loads((Path(args.run) / "summary.json").read_text())
    features = [f for f in summary["features"] if f not in args.drop]
    matrix = rows[features].to_numpy(dtype=float)
    labels = rows["label"].to_numpy(dtype=int)
    members, nonmembers = matrix[labels == 1], matrix[labels == 0]
    print(f"{len(features)} features; {len(members)} members, {len(nonmembers)} non-members")
    print("p-value against suspect size (suspect = N members, VAL = every non-member):")
    for n in (25, 50, 100, 200):
        ps = [p_value(members[np.random.default_rng((1, s)).permutation(len(members))[:n]],
                      nonmembers, s) for s in range(args.seeds)]
        print(f"  N={n:<4} seed 0: p = {ps[0]:.3g}; over {args.seeds} seeds: median "
              f"{np.median(ps):.3g}, max {max(ps):.3g}, p<0.01 in {sum(p < 0.01 for p in ps)}, "
              f"p<0.05 in {sum(p < 0.05 for p in ps)}")
    fp = []
    for s in range(20):
        order = np.random.default_rng((2, s)).permutation(len(nonmembers))
        half = len(order) // 2
        fp.append(p_value(nonmembers[order[:half]], nonmembers[order[half:]], s))
    print(f"false positives, {half} non-members vs the other {len(nonmembers) - half}, 20 "
          f"seeds: p<0.05 in {sum(p < 0.05 for p in fp)}/20 (rate "
          f"{sum(p < 0.05 for p in fp) / 20:.2f}); smallest p {min(fp):.3g}")
    print("against the size of VAL (suspect: 100 members for power, 100 non-members for "
          "false positives; VAL drawn from the other non-members), 20 seeds:")
    for n_val in (8, 10, 16, 20, 30, 40, 60, 100):
        power, false, medians = 0, 0, []
        for s in range(20):
            rng = np.random.default_rng((3, s))
            order = rng.permutation(len(nonmembers))
            pool_suspect, pool_val = order[:100], order[100:]
            val = nonmembers[rng.choice(pool_val, n_val, replace=False)]
            suspect = members[rng.permutation(len(members))[:100]]
            p = p_value(suspect, val, s)
            medians.append(p)
            power += p < 0.05
            false += p_value(nonmembers[pool_suspect], val, s) < 0.05
        print(f"  VAL={n_val:<4} power (p<0.05) {power}/20, median p {np.median(medians):.3g}; "
              f"false positives {false}/20")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    noshift = commands.add_parser("noshift")
    noshift.add_argument("run")
    noshift.add_argument("data")
    noshift.add_argument("--seeds", type=int, default=20)
    split = commands.add_parser("split")
    split.add_argument("run")
    split.add_argument("data")
    lab = commands.add_parser("lab")
    lab.add_argument("lab")
    tokens = commands.add_parser("tokens")
    tokens.add_argument("lab")
    tokens.add_argument("base")
    di = commands.add_parser("di")
    di.add_argument("run")
    di.add_argument("--drop", nargs="*", default=[])
    di.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args(argv)
    {"noshift": cmd_noshift, "split": cmd_split, "lab": cmd_lab, "tokens": cmd_tokens,
     "di": cmd_di}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
