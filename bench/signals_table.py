"""The AUROC table of docs/signals.md and the README: every signal of several score runs,
AUROC with its bootstrap 95% CI, one column per run; plus, per run, a cross-fitted
combination of all its signals (logistic regression on standardised scores, 5 folds
stratified and seeded, each text scored by the model fitted without its fold) with the
same bootstrap CI.

`--base NAME=RUN` gives, for run NAME, a run of the same signals on the same texts under
the fine-tune's base model: each signal then also enters the combination as its
difference target - base (the reference-model idea of Carlini et al. 2021 applied to every
signal; `reference` is that difference for the loss), and a second combination row shows
what those differences add.

    python bench/signals_table.py fvf=RUN1 weak=RUN2 default=RUN3 [--base weak=RUN4]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def cross_fitted(rows, columns, folds: int = 5, seed: int = 0) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features = rows[columns].to_numpy(dtype=float)
    features = np.where(np.isfinite(features), features, np.nanmedian(features, axis=0))
    labels = rows["label"].to_numpy()
    out = np.zeros(len(rows))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(features, labels):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
        model.fit(features[train], labels[train])
        out[test] = model.decision_function(features[test])
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="NAME=RUN_DIR")
    parser.add_argument("--base", action="append", default=[], help="NAME=RUN of the base model")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    from mnemoscope.metrics import auroc, bootstrap_auroc_ci
    from mnemoscope.runs import read_rows

    table: dict[str, dict[str, tuple[float, float, float, int]]] = {}
    names = []
    bases = dict(item.partition("=")[::2] for item in args.base)
    for item in args.runs:
        name, _, folder = item.partition("=")
        names.append(name)
        summary = json.loads((Path(folder) / "summary.json").read_text())
        rows = read_rows(folder)
        columns = [c for c, v in summary.items() if isinstance(v, dict) and "auroc" in v]
        for c in columns:
            v = summary[c]
            table.setdefault(c, {})[name] = (v["auroc"], *v["auroc_ci"], v["n"] - v["n_not_finite"])
        combined = cross_fitted(rows, columns)
        labels = rows["label"].to_numpy()
        low, high = bootstrap_auroc_ci(labels, combined)
        table.setdefault("combination (cross-fitted)", {})[name] = (auroc(labels, combined), low,
                                                                  high, len(rows))
        if name in bases:
            base = read_rows(bases[name]).set_index("id")
            shared = [c for c in columns if c in base.columns]
            rows = rows.set_index("id")
            deltas = []
            for c in shared:
                rows[c + " - base"] = rows[c] - base.loc[rows.index, c]
                deltas.append(c + " - base")
            with_deltas = cross_fitted(rows.reset_index(), columns + deltas)
            low, high = bootstrap_auroc_ci(labels, with_deltas)
            table.setdefault("combination + every signal minus its base-model value", {})[name] = (
                auroc(labels, with_deltas), low, high, len(rows))
    print("| signal | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for signal, cells in table.items():
        best = {n: max(v[n][0] for v in table.values() if n in v) for n in names}
        shown = []
        for n in names:
            if n not in cells:
                shown.append("—")
                continue
            value, low, high, count = cells[n]
            text = f"{value:.3f} [{low:.3f}, {high:.3f}]"
            shown.append(f"**{text}**" if value == best[n] else text)
        print(f"| {signal} | " + " | ".join(shown) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
