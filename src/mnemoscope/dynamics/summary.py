"""From a dynamics run's rows to curves against the step, the step at which each curve
first crosses its threshold, and the generalization indicators.

summary.json of a `dynamics` run:

    steps                [0, 9, 18, ...]                    the checked steps
    curves               {name: [value per step]}           see CURVE_NAMES below
    errors               {name: [standard error per step]}  where one is known
    first_crossing       {name: {"threshold", "step"}}      step None: never crossed
    indicators           the loss gap and pathway indicators: trend, first move (paired
                         standard errors, `paired_errors`), and the held-out loss's turn
                         (docs/dynamics.md explains each)
    overhead             seconds in checks vs in training, and the share
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from ..metrics import summarize_signal
from .config import DynamicsConfig

# A move counts when it exceeds this many paired standard errors of the change.
MOVE_SIGMAS = 3.0
TREND_CHECKS = 3            # the trend is the least-squares slope over the last checks


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _by_step(rows, kind: str):
    if rows is None or not len(rows) or "kind" not in rows.columns:
        return {}
    picked = rows[rows["kind"] == kind]
    return {int(step): group for step, group in picked.groupby("step")}


def curves_from_rows(rows, signals: Sequence[str], config: DynamicsConfig) -> dict[str, Any]:
    """steps, curves and errors (see the module docstring)."""
    texts, canaries = _by_step(rows, "text"), _by_step(rows, "canary")
    pathways, checks = _by_step(rows, "pathway"), _by_step(rows, "check")
    steps = sorted(set(texts) | set(canaries) | set(pathways))
    curves: dict[str, list] = {}
    errors: dict[str, list] = {}

    def put(name: str, index: int, value, error=None) -> None:
        curves.setdefault(name, [None] * len(steps))[index] = _clean(value)
        if error is not None:
            errors.setdefault(name, [None] * len(steps))[index] = _clean(error)

    for i, step in enumerate(steps):
        group = texts.get(step)
        if group is not None:
            labels = group["label"].astype(int).to_numpy()
            members, held = group[labels == 1], group[labels == 0]
            for signal in signals:
                if signal in group.columns:
                    stats = summarize_signal(labels, group[signal].to_numpy(dtype=float),
                                             resamples=config.bootstrap, seed=config.seed)
                    put(f"auroc/{signal}", i, stats.get("auroc"))
                    low, high = stats.get("auroc_ci") or (None, None)
                    put(f"auroc_low/{signal}", i, low)
                    put(f"auroc_high/{signal}", i, high)
            for name, part in (("member", members), ("held_out", held)):
                losses = part["text_loss"].to_numpy(dtype=float)
                put(f"loss/{name}", i, losses.mean(), losses.std(ddof=1) / np.sqrt(len(losses)))
                put(f"extraction/{name}", i, part["exact_match"].astype(float).mean())
                suffix = part["suffix_tokens"].to_numpy(dtype=float)
                put(f"longest_match/{name}", i,
                    float((part["longest_match"].to_numpy(dtype=float)
                           / np.maximum(suffix, 1)).mean()))
            gap = held["text_loss"].mean() - members["text_loss"].mean()
            member_se, held_se = errors["loss/member"][i], errors["loss/held_out"][i]
            put("loss_gap", i, gap, None if member_se is None or held_se is None
                else math.hypot(member_se, held_se))
        group = canaries.get(step)
        if group is not None:
            for reps, part in group.groupby("repetitions"):
                put(f"exposure/x{int(reps)}", i, part["exposure"].astype(float).mean())
                if "empirical_exposure" in part.columns:
                    put(f"empirical_exposure/x{int(reps)}", i,
                        part["empirical_exposure"].astype(float).mean())
        group = pathways.get(step)
        if group is not None:
            for _, row in group.iterrows():
                suffix = "" if row["group"] == "members" else "/held_out"
                put(f"pathway_similarity{suffix}", i, row["pathway_similarity"],
                    row["pathway_similarity_se"])
                put(f"pathway_consistency{suffix}", i, row["pathway_consistency"],
                    row["pathway_consistency_se"])
        check = checks.get(step)
        if check is not None:
            for column in ("train_loss", "check_seconds", "epoch"):
                if column in check.columns:
                    put(column, i, check[column].iloc[0])
    return {"steps": steps, "curves": curves, "errors": errors}


def first_crossing(steps: Sequence[int], values: Sequence[float | None],
                   threshold: float) -> int | None:
    """The first step whose value is at least `threshold` (None: never)."""
    for step, value in zip(steps, values):
        if value is not None and value >= threshold:
            return int(step)
    return None


def crossings(steps, curves: dict[str, list], config: DynamicsConfig) -> dict[str, Any]:
    out = {}
    for name, values in curves.items():
        kind = name.split("/")[0]
        threshold = {"auroc": config.auroc_threshold, "exposure": config.exposure_threshold,
                     "extraction": config.extraction_threshold}.get(kind)
        if threshold is not None and not name.endswith("held_out"):
            out[name] = {"threshold": threshold, "step": first_crossing(steps, values, threshold)}
    return out


def trend(steps: Sequence[int], values: Sequence[float | None],
          last: int = TREND_CHECKS) -> float | None:
    """Least-squares slope per 100 steps over the last `last` checks with a value."""
    points = [(s, v) for s, v in zip(steps, values) if v is not None][-last:]
    if len(points) < 2:
        return None
    x, y = np.array(points, dtype=float).T
    if np.ptp(x) == 0:
        return None
    return float(np.polyfit(x, y, 1)[0] * 100)


PairedError = Callable[[int, int], "float | None"]


def paired_errors(rows) -> dict[str, PairedError]:
    """For each indicator, the standard error of its *change* between two checks. The
    probe is the same texts at every check, so the change is measured on pairs: the
    standard error of the mean per-text difference (losses, consistency), or the jackknife
    of the per-sample leave-one-out differences (similarity). Texts differ in difficulty
    far more than one text changes between checks, so these are much smaller than each
    check's own error."""
    texts = _by_step(rows, "text")
    pathways = _by_step(rows, "pathway")

    def losses(label: int) -> dict[int, np.ndarray]:
        return {step: group[group["label"].astype(int) == label].sort_values("sample_id")
                ["text_loss"].to_numpy(dtype=float) for step, group in texts.items()}

    def pieces(column: str) -> dict[int, np.ndarray]:
        out = {}
        for step, group in pathways.items():
            picked = group[group["group"] == "members"]
            if len(picked) and column in picked.columns and picked[column].iloc[0] is not None:
                out[step] = np.asarray(picked[column].iloc[0], dtype=float)
        return out

    def mean_se(values: dict[int, np.ndarray]) -> PairedError:
        def se(a: int, b: int):
            if a not in values or b not in values or len(values[a]) != len(values[b]):
                return None
            d = values[b] - values[a]
            return float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else None
        return se

    def jackknife(values: dict[int, np.ndarray]) -> PairedError:
        from .pathways import jackknife_se

        def se(a: int, b: int):
            if a not in values or b not in values or len(values[a]) != len(values[b]):
                return None
            value = jackknife_se(values[b] - values[a])
            return value if math.isfinite(value) else None
        return se

    held, members = mean_se(losses(0)), mean_se(losses(1))

    def gap(a: int, b: int):
        first, second = held(a, b), members(a, b)
        return None if first is None or second is None else math.hypot(first, second)

    return {"loss/held_out": held, "loss/member": members, "loss_gap": gap,
            "pathway_similarity": jackknife(pieces("pathway_similarity_loo")),
            "pathway_consistency": mean_se(pieces("pathway_consistency_each"))}


def first_move(steps, values, paired: PairedError | None) -> int | None:
    """The first step whose value differs from the first check's by more than
    MOVE_SIGMAS paired standard errors of that change."""
    known = [(s, v) for s, v in zip(steps, values) if v is not None]
    if len(known) < 2 or paired is None:
        return None
    s0, v0 = known[0]
    for step, value in known[1:]:
        error = paired(s0, step)
        if error is not None and abs(value - v0) > MOVE_SIGMAS * error:
            return int(step)
    return None


def held_out_turn(steps, values, paired: PairedError | None) -> int | None:
    """The first step at which the held-out loss has risen above its lowest value so far
    by more than MOVE_SIGMAS paired standard errors: where overfitting shows on texts the
    model never saw (None: it never rose that much)."""
    best: tuple[int, float] | None = None
    for step, value in zip(steps, values):
        if value is None:
            continue
        if best is not None and paired is not None:
            error = paired(best[0], step)
            if error is not None and value - best[1] > MOVE_SIGMAS * error:
                return int(step)
        if best is None or value < best[1]:
            best = (int(step), value)
    return None


def indicators(steps, curves, paired: dict[str, PairedError]) -> dict[str, Any]:
    """The loss gap and the pathway indicators: trend, first move, extreme steps, and
    whether they moved before the held-out loss turned."""
    held = curves.get("loss/held_out")
    turn = held_out_turn(steps, held, paired.get("loss/held_out")) if held else None
    lowest = None
    if held and any(v is not None for v in held):
        lowest = int(steps[int(np.nanargmin([np.nan if v is None else v for v in held]))])
    out: dict[str, Any] = {"held_out_loss": {"lowest_at_step": lowest, "turn_step": turn}}
    for name in ("loss_gap", "pathway_similarity", "pathway_consistency"):
        values = curves.get(name)
        if not values or all(v is None for v in values):
            continue
        moved = first_move(steps, values, paired.get(name))
        filled = np.array([np.nan if v is None else v for v in values])
        out[name] = {"trend_per_100_steps": trend(steps, values), "first_move_step": moved,
                     "max_at_step": int(steps[int(np.nanargmax(filled))]),
                     "min_at_step": int(steps[int(np.nanargmin(filled))]),
                     "moved_before_held_out_turn": (None if moved is None or turn is None
                                                    else moved < turn)}
    return out


def summarize(rows, signals: Sequence[str], config: DynamicsConfig,
              overhead: dict[str, Any] | None = None) -> dict[str, Any]:
    table = curves_from_rows(rows, signals, config)
    summary = {**table,
               "first_crossing": crossings(table["steps"], table["curves"], config),
               "indicators": indicators(table["steps"], table["curves"], paired_errors(rows)),
               "signals": list(signals),
               "thresholds": {"auroc": config.auroc_threshold,
                              "exposure": config.exposure_threshold,
                              "extraction": config.extraction_threshold}}
    if overhead is not None:
        summary["overhead"] = overhead
    return summary
