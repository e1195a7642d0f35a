"""summary.json of a knowledge run, from its rows: accuracy per probe per epoch with
Clopper-Pearson CIs, the generalization gaps with paired bootstrap CIs, locality as the
change from the base model (epoch 0). Pure functions of the rows."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..metrics import clopper_pearson

# (name, the probe it is measured against reliability/cloze with): reliability minus each,
# on the same facts, exact match (all three are open probes: chance is 0 for each)
GAPS = (("reliability - generality/qa", "generality/qa"),
        ("reliability - generality/cloze", "generality/cloze"),
        ("reliability - reverse/cloze", "reverse/cloze"))


def _rate(values: Sequence[bool]) -> dict[str, Any]:
    hits, n = int(sum(bool(v) for v in values)), len(values)
    return {"accuracy": hits / n if n else None, "ci": list(clopper_pearson(hits, n))}


def paired_gap(first: Sequence[bool], second: Sequence[bool], *, resamples: int,
               seed: int) -> dict[str, Any]:
    """mean(first) - mean(second) over the same facts, with a percentile bootstrap CI that
    resamples facts (the two probes of one fact stay together)."""
    a = np.asarray(first, dtype=float)
    b = np.asarray(second, dtype=float)
    if a.size == 0:
        return {"gap": None, "ci": [None, None], "n": 0}
    diff = a - b
    rng = np.random.default_rng(seed)
    draws = [float(diff[rng.integers(0, diff.size, diff.size)].mean())
             for _ in range(resamples)]
    low, high = (np.percentile(draws, [2.5, 97.5]).tolist() if draws else [None, None])
    return {"gap": float(diff.mean()), "ci": [low, high], "n": int(diff.size)}


def tf_margin_auroc(rows) -> float | None:
    """True/false without the model's bias towards one word: the AUROC of the margin
    log p(True) - log p(False) between true and false statements (0.5 = no knowledge, even
    when every answer is the same word). None when the statements are all true or all
    false."""
    import json

    from ..metrics import auroc

    labels, margins = [], []
    for _, row in rows.iterrows():
        choices, scores = json.loads(row["choices"]), json.loads(row["choice_logprobs"])
        if "True" not in choices or "False" not in choices:
            return None
        labels.append(int(row["answer"] == "True"))
        margins.append(scores[choices.index("True")] - scores[choices.index("False")])
    if len(set(labels)) < 2:
        return None
    return auroc(labels, margins)


def probe_key(row) -> str:
    """What a row is counted as: `<type>/<format>` for a trained fact's probe,
    `locality/unseen-<type>/<format>` for a held-out fact's, `locality/general`."""
    if row["group"] == "general":
        return "locality/general"
    key = f"{row['type']}/{row['format']}"
    return key if row["group"] == "train" else f"locality/unseen-{key}"


TYPE_ORDER = ("reliability", "generality", "reverse", "multihop", "locality")
FORMAT_ORDER = ("cloze", "qa", "tf", "mc")


def _reading_order(key: str) -> tuple:
    """reliability, generality, reverse, multi-hop, then locality; cloze, qa, tf, mc."""
    parts = key.split("/")
    kind = parts[0]
    fmt = parts[-1]
    return (TYPE_ORDER.index(kind) if kind in TYPE_ORDER else len(TYPE_ORDER), key.count("/"),
            parts[1] if len(parts) > 2 else "",
            FORMAT_ORDER.index(fmt) if fmt in FORMAT_ORDER else len(FORMAT_ORDER))


def summarize(rows, *, epochs: int, resamples: int = 1000, seed: int = 0) -> dict[str, Any]:
    """`rows`: a DataFrame with epoch, group, fact_id, type, format, exact, lenient, chance."""
    rows = rows.copy()
    rows["key"] = [probe_key(r) for _, r in rows.iterrows()]
    probes: dict[str, Any] = {}
    for key in sorted(rows["key"].unique(), key=_reading_order):
        mine = rows[rows["key"] == key]
        by_epoch = []
        for epoch in sorted(mine["epoch"].unique()):
            at = mine[mine["epoch"] == epoch]
            exact, lenient = _rate(at["exact"].tolist()), _rate(at["lenient"].tolist())
            entry = {"epoch": int(epoch), "n": len(at),
                     "exact": exact["accuracy"], "exact_ci": exact["ci"],
                     "lenient": lenient["accuracy"], "lenient_ci": lenient["ci"]}
            if at["format"].iloc[0] == "tf" and "choice_logprobs" in at.columns:
                entry["margin_auroc"] = tf_margin_auroc(at)
            by_epoch.append(entry)
        probes[key] = {"format": str(mine["format"].iloc[0]),
                       "chance": float(mine["chance"].mean()), "by_epoch": by_epoch}
    return {"epochs": epochs, "probes": probes, "base_at_chance": _base_at_chance(probes),
            "gaps": _gaps(rows, resamples, seed), "locality": _locality(probes, rows)}


def _base_at_chance(probes: dict[str, Any]) -> dict[str, bool]:
    """For each probe of invented facts: does the base model's (epoch 0) 95% CI hold the
    chance level? False anywhere means the facts were not new to the model (or a probe
    has a bias the choices do not cancel)."""
    out = {}
    for key, probe in probes.items():
        first = probe["by_epoch"][0]
        if key != "locality/general" and first["epoch"] == 0:
            low, high = first["exact_ci"]
            out[key] = bool(low <= probe["chance"] <= high)
    return out


def _gaps(rows, resamples: int, seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    base = rows[rows["key"] == "reliability/cloze"]
    for name, other_key in GAPS:
        other = rows[rows["key"] == other_key]
        if other.empty:
            continue
        series = []
        for epoch in sorted(base["epoch"].unique()):
            a = base[base["epoch"] == epoch].set_index("fact_id")["exact"]
            b = other[other["epoch"] == epoch].set_index("fact_id")["exact"]
            shared = sorted(set(a.index) & set(b.index))
            gap = paired_gap(a.loc[shared].tolist(), b.loc[shared].tolist(),
                             resamples=resamples, seed=seed)
            series.append({"epoch": int(epoch), **gap})
        if series:
            out[name] = series
    return out


def _locality(probes: dict[str, Any], rows) -> dict[str, Any]:
    """Each locality probe's accuracy minus its epoch-0 (base model) accuracy; for the
    general prompts also the retention: the share of the prompts the base model answered
    (lenient) that it still answers."""
    out: dict[str, Any] = {}
    for key, probe in probes.items():
        if not key.startswith("locality/"):
            continue
        first = probe["by_epoch"][0]
        if first["epoch"] != 0:
            continue
        out[key] = [{"epoch": e["epoch"], "change_exact": e["exact"] - first["exact"],
                     "change_lenient": e["lenient"] - first["lenient"]}
                    for e in probe["by_epoch"]]
    general = rows[rows["key"] == "locality/general"]
    if len(general) and (general["epoch"] == 0).any():
        known = set(general[(general["epoch"] == 0) & general["lenient"]]["fact_id"])
        retained = []
        for epoch in sorted(general["epoch"].unique()):
            at = general[(general["epoch"] == epoch) & general["fact_id"].isin(known)]
            retained.append({"epoch": int(epoch), "retained": int(at["lenient"].sum()),
                             "of": len(known)})
        out["general_retention"] = retained
    return out
