"""The AUROC table of docs/signals.md and the README: every signal of several score runs,
AUROC with its bootstrap 95% CI and TPR at 1% FPR, one column per run; plus, per run, a
cross-fitted combination of all its signals (logistic regression on standardised scores, 5 folds
stratified and seeded, each text scored by the model fitted without its fold) with the
same bootstrap CI.

`--base NAME=RUN` gives, for run NAME, a run of the same signals on the same texts under
the fine-tune's base model: each signal then also enters the combination as its
difference target - base (the reference-model idea of Carlini et al. 2021 applied to every
signal; `reference` is that difference for the loss), and a second combination row shows
what those differences add.

`--without SIGNAL` adds a combination row without that signal (`--without reference`:
what the fine-tuned model alone reaches, no base model).

`--extra NAME=RUN` adds the signals of a run on a subset of NAME's texts (neighbourhood,
SaMIA: too costly for every text), each cell with its own n.

    python bench/signals_table.py fvf=RUN1 weak=RUN2 default=RUN3 [--base weak=RUN4] \\
        [--without reference] [--extra weak=RUN5]
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


def cell(labels, scores) -> tuple[float, float, float, int, float]:
    """(AUROC, CI low, CI high, n, TPR at 1% FPR) over the finite scores."""
    from mnemoscope.metrics import auroc, bootstrap_auroc_ci, tpr_at_fpr

    labels, scores = np.asarray(labels), np.asarray(scores, dtype=float)
    keep = np.isfinite(scores)
    labels, scores = labels[keep], scores[keep]
    return (auroc(labels, scores), *bootstrap_auroc_ci(labels, scores), int(keep.sum()),
            tpr_at_fpr(labels, scores, 0.01))


def signal_columns(folder: str, rows) -> list[str]:
    """The signal columns of a run: from its summary, or, for a run still going (no
    summary.json yet), every numeric column but the label."""
    summary_path = Path(folder) / "summary.json"
    if summary_path.exists():
        summary = json.loads(summary_path.read_text())
        return [c for c, v in summary.items() if isinstance(v, dict) and "auroc" in v]
    return [c for c in rows.columns if c not in ("id", "label") and rows[c].dtype.kind == "f"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="NAME=RUN_DIR")
    parser.add_argument("--base", action="append", default=[], help="NAME=RUN of the base model")
    parser.add_argument("--extra", action="append", default=[],
                        help="NAME=RUN on a subset of NAME's texts: its signals that the main run "
                             "lacks join column NAME with their own n (a partial run is read "
                             "as far as it got)")
    parser.add_argument("--without", action="append", default=[],
                        help="also a combination row without these signals (e.g. reference, "
                             "to see what one model alone reaches)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    from mnemoscope.runs import read_rows

    Cell = tuple[float, float, float, int, float]
    table: dict[str, dict[str, Cell]] = {}
    names = []
    bases = dict(item.partition("=")[::2] for item in args.base)
    for item in args.runs:
        name, _, folder = item.partition("=")
        names.append(name)
        rows = read_rows(folder)
        columns = signal_columns(folder, rows)
        labels = rows["label"].to_numpy()
        for c in columns:
            table.setdefault(c, {})[name] = cell(labels, rows[c])
        table.setdefault("combination (cross-fitted)", {})[name] = cell(
            labels, cross_fitted(rows, columns))
        if args.without:
            kept = [c for c in columns if c not in args.without]
            table.setdefault(f"combination without {', '.join(args.without)}", {})[name] = cell(
                labels, cross_fitted(rows, kept))
        if name in bases:
            base = read_rows(bases[name]).set_index("id")
            shared = [c for c in columns if c in base.columns]
            rows = rows.set_index("id")
            deltas = []
            for c in shared:
                rows[c + " - base"] = rows[c] - base.loc[rows.index, c]
                deltas.append(c + " - base")
            table.setdefault("combination + every signal minus its base-model value", {})[name] = \
                cell(labels, cross_fitted(rows.reset_index(), columns + deltas))
    for item in args.extra:
        name, _, folder = item.partition("=")
        rows = read_rows(folder)
        for c in signal_columns(folder, rows):
            if c not in table or name not in table[c]:
                table.setdefault(c, {})[name] = cell(rows["label"].to_numpy(), rows[c])
    full_n = {n: table["combination (cross-fitted)"][n][3] for n in names}
    print("AUROC [95% CI] / TPR at 1% FPR; (n=...) where a signal ran on a subset\n")
    print("| signal | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    best = {n: max(v[n][0] for v in table.values() if n in v) for n in names}
    for signal, cells in table.items():
        shown = []
        for n in names:
            if n not in cells:
                shown.append("—")
                continue
            value, low, high, count, tpr = cells[n]
            text = f"{value:.3f} [{low:.3f}, {high:.3f}]"
            text = f"**{text}**" if value == best[n] else text
            text += f" / {tpr:.2f}"
            shown.append(text + (f" (n={count})" if count != full_n[n] else ""))
        print(f"| {signal} | " + " | ".join(shown) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
