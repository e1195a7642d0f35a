"""The summary of a benchmark run, computed from its rows on disk (never from memory, so a
resumed run summarises exactly what a fresh one would)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..runs import read_rows, write_summary
from .complexity import gap_by_level


def _groups(rows, keys: list[str]) -> list[dict[str, Any]]:
    out = []
    for values, group in rows.groupby(keys, dropna=False, sort=True):
        record = {k: (None if v != v else v) for k, v in zip(keys, values)}   # NaN -> None
        record.update(n=int(len(group)), accuracy=float(group["correct"].mean()),
                      mean_score=float(group["score"].mean()))
        out.append(record)
    return out


def summarize_rows(rows) -> dict[str, Any]:
    if rows.empty:
        return {"n_items": 0, "accuracy": 0.0, "mean_score": 0.0, "by_level": [],
                "by_task_level": []}
    rows = rows.assign(level=rows["level"].astype(int), correct=rows["correct"].astype(bool))
    summary: dict[str, Any] = {
        "n_items": int(len(rows)),
        "accuracy": float(rows["correct"].mean()),
        "mean_score": float(rows["score"].mean()),
        "by_level": _groups(rows, ["kind", "level", "split", "perturbation"]),
        "by_task_level": _groups(rows, ["kind", "task", "level", "split", "perturbation"]),
    }
    complexity = rows[rows["kind"] == "complexity"]
    if not complexity.empty:
        accuracy: dict[int, dict[str, float]] = {}
        for (level, split), group in complexity.groupby(["level", "split"]):
            accuracy.setdefault(int(level), {})[str(split)] = float(group["correct"].mean())
        gap = gap_by_level(accuracy)
        summary["complexity"] = {"accuracy": {str(k): v for k, v in accuracy.items()},
                                 "gap": {str(k): v for k, v in gap["gap"].items()},
                                 "critical_level": gap["critical_level"],
                                 "critical_complexity": gap["critical_complexity"]}
    wilt = rows[rows["kind"] == "wilt"]
    if not wilt.empty:
        summary["wilt"] = {"mean_points": float(wilt["points"].astype(float).mean()),
                           "mean_tests_used": float(wilt["tests_used"].astype(float).mean()),
                           "guess_rate": float((wilt["parsed"].fillna("") != "").mean())}
    return summary


