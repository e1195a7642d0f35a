"""Extraction rates from a run's rows, overall and split by label.

Every rate comes with its counts and a Clopper-Pearson interval in `details`; the top-level
keys hold the rates alone so that `summary["exact_match_rate"]["member"]` is a number.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..metrics import clopper_pearson

GROUPS = {1: "member", 0: "non_member"}


def _groups(rows) -> dict[str, Any]:
    groups = {"all": rows}
    if "label" in rows.columns and rows["label"].notna().any():
        for label, name in GROUPS.items():
            groups[name] = rows[rows["label"] == label]
    return groups


def _rate(successes: int, trials: int) -> dict[str, Any]:
    return {"rate": successes / trials if trials else None, "successes": successes,
            "n": trials, "ci": list(clopper_pearson(successes, trials)) if trials else None}


def summarize_extraction(rows) -> dict[str, Any]:
    summary: dict[str, Any] = {"exact_match_rate": {}, "approx_match_rate": {},
                               "sampled_recall_at_n": {}, "pii_recovery_rate": {},
                               "mean_longest_match": {}, "mean_edit_distance": {}, "details": {}}
    for name, group in _groups(rows).items():
        usable = group[group["extractable"]] if len(group) else group
        n = len(usable)
        detail = {"texts": len(group), "skipped_too_short": len(group) - n,
                  "exact_match": _rate(int(usable["exact_match"].sum()), n),
                  "approx_match": _rate(int(usable["approx_match"].sum()), n)}
        if "sampled_hit" in usable.columns:
            detail["sampled_hit"] = _rate(int(usable["sampled_hit"].sum()), n)
            detail["sampled_top1_match"] = _rate(int(usable["sampled_top1_match"].sum()), n)
        if "pii_items" in group.columns:
            detail["pii_recovered"] = _rate(int(group["pii_recovered"].sum()),
                                            int(group["pii_items"].sum()))
        summary["details"][name] = detail
        summary["exact_match_rate"][name] = detail["exact_match"]["rate"]
        summary["approx_match_rate"][name] = detail["approx_match"]["rate"]
        summary["sampled_recall_at_n"][name] = detail.get("sampled_hit", {}).get("rate")
        summary["pii_recovery_rate"][name] = detail.get("pii_recovered", {}).get("rate")
        summary["mean_longest_match"][name] = float(np.mean(usable["longest_match"])) if n else None
        summary["mean_edit_distance"][name] = float(np.mean(usable["edit_distance"])) if n else None
    return summary
