"""`mnemoscope contamination cutoff RESULTS`: accuracy around a knowledge cutoff.

Input: graded results from any evaluation, one row per item with a date and a correctness
flag (.jsonl, .csv/.tsv, .parquet, or a run folder whose rows have those columns). Output:
accuracy per period, the before/after gap in percentage points with a bootstrap CI around
`cutoff` (YYYY-MM, the last month the model may know), and an estimated change point
(see cutoff_stats.py). Without a cutoff, the gap is taken at the estimated change point
(its CI does not account for the search: read it as descriptive).

Dates: YYYY-MM-DD (optionally with a time), YYYY/MM/DD, YYYY-MM, or date/datetime values;
a bare year only with --period year. Correctness: true/false, 1/0, yes/no, correct/incorrect.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

from ..types import InputError
from .cutoff_stats import PERIODS, month_index, month_label

_DATE = re.compile(r"^\s*(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?(?:[T ][\d:.+\-Z ]*)?\s*$")
_TRUE = {"1", "true", "yes", "correct", "y", "t"}
_FALSE = {"0", "false", "no", "incorrect", "wrong", "n", "f"}


@dataclass(frozen=True)
class CutoffConfig:
    date_column: str = "date"
    correct_column: str = "correct"
    id_column: str | None = None      # default: "id" when present, else the row number
    period: str = "month"             # month | quarter | year
    cutoff: str | None = None         # YYYY-MM; None: estimate a change point
    min_segment: int | None = None    # None: max(3, ceil(10% of the rows))
    bootstrap: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise InputError(f"period {self.period!r} is unknown; use {', '.join(PERIODS)}")
        if self.cutoff is not None:
            cutoff_month(self.cutoff)
        if self.bootstrap < 1:
            raise InputError("bootstrap must be at least 1 resample")
        if self.min_segment is not None and self.min_segment < 1:
            raise InputError("min_segment must be at least 1")


def cutoff_month(text: str) -> int:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InputError(f"cutoff {text!r} is not a month; write it as YYYY-MM, e.g. 2024-06")
    return month_index(int(match.group(1)), int(match.group(2)))


def parse_month(value: Any, where: str, column: str, period: str) -> int:
    """The month index of a date value, or InputError naming where it is."""
    if isinstance(value, (dt.date, dt.datetime)):
        return month_index(value.year, value.month)
    if hasattr(value, "year") and hasattr(value, "month"):     # pandas / numpy timestamps
        return month_index(int(value.year), int(value.month))
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == "":
        raise InputError(f"{where}: no date in column {column!r}. Every row needs one; drop "
                         "undated rows first.")
    text = str(value)
    match = _DATE.match(text)
    if not match:
        raise InputError(f"{where}: cannot read the date {text!r} in column {column!r}; use "
                         "YYYY-MM-DD or YYYY-MM.")
    year, month, day = match.group(1), match.group(2), match.group(3)
    if month is None:
        if period != "year":
            raise InputError(f"{where}: the date {text!r} has no month; pass --period year, "
                             "or give months.")
        return month_index(int(year), 1)
    try:
        dt.date(int(year), int(month), int(day or 1))
    except ValueError:
        raise InputError(f"{where}: {text!r} in column {column!r} is not a real date.") from None
    return month_index(int(year), int(month))


def parse_correct(value: Any, where: str, column: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError(f"{where}: correctness {value!r} in column {column!r} is not true/false "
                     "or 1/0. Pass --correct-column NAME for another column.")


def _records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    if path.is_dir() and (path / "parts").is_dir():
        from ..runs import read_rows

        for number, record in enumerate(read_rows(path).to_dict("records")):
            yield f"{path} row {number}", record
        return
    from ..data import _records as data_records

    for where, record in data_records(path):
        yield f"{path} {where}", record


def read_results(path: str | Path, config: CutoffConfig) -> list[dict[str, Any]]:
    """[{id, date, month, correct}] for every row; InputError on the first bad one."""
    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"{path}: no such file or folder. Check the path.")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    id_column = config.id_column
    for index, (where, record) in enumerate(_records(path)):
        if index == 0 and id_column is None and "id" in record:
            id_column = "id"
        for column, flag in ((config.date_column, "--date-column"),
                             (config.correct_column, "--correct-column")):
            if column not in record:
                seen_cols = ", ".join(f'"{c}"' for c in record) or "none"
                raise InputError(f'{where}: column "{column}" is missing (columns seen: '
                                 f"{seen_cols}). Pass {flag} NAME.")
        item_id = str(record[id_column]) if id_column else str(index)
        if id_column and (id_column not in record or record[id_column] in (None, "")):
            raise InputError(f'{where}: id column "{id_column}" is missing or empty.')
        if item_id in seen:
            raise InputError(f"{where}: id {item_id!r} repeats. Ids must be unique.")
        seen.add(item_id)
        month = parse_month(record[config.date_column], where, config.date_column, config.period)
        rows.append({"id": item_id, "date": str(record[config.date_column]),
                     "month": month_label(month),
                     "correct": parse_correct(record[config.correct_column], where,
                                              config.correct_column)})
    if not rows:
        raise InputError(f"{path}: no rows. The cutoff analysis needs graded items with dates.")
    return rows


def analyse(rows: list[dict[str, Any]], config: CutoffConfig) -> dict[str, Any]:
    """The summary (see module doc) of rows from read_results."""
    import numpy as np

    from .cutoff_stats import (accuracy_by_period, bootstrap_gap_ci, change_point, gap_points,
                               period_label, period_of)

    months = [cutoff_month(r["month"]) for r in rows]
    correct = [bool(r["correct"]) for r in rows]
    periods = accuracy_by_period(months, correct, config.period)
    if len(periods) < 2:
        raise InputError(f"all {len(rows)} rows fall in one {config.period} "
                         f"({periods[0].period}); the analysis compares periods. Use a finer "
                         "--period, or add items from other dates.")
    min_segment = config.min_segment or max(3, math.ceil(0.1 * len(rows)))
    summary: dict[str, Any] = {
        "gap": None, "gap_ci": None, "gap_units": "percentage points (before - after)",
        "cutoff": None, "cutoff_source": None, "n_rows": len(rows), "period": config.period,
        "periods": [{"period": p.period, "n": p.n, "correct": p.correct,
                     "accuracy": p.accuracy} for p in periods],
        "estimator": "two-segment Bernoulli maximum likelihood over period boundaries, "
                     f"at least {min_segment} rows per side",
        "change_point": None, "bootstrap": config.bootstrap}
    one_class = len(set(correct)) == 1
    point = None if one_class else change_point(months, correct, config.period, min_segment)
    if point is not None:
        summary["change_point"] = asdict(point)
    elif one_class:
        summary["reason"] = (f"every row is {'correct' if correct[0] else 'incorrect'}: "
                             "accuracy is flat, so there is no change point")
    else:
        summary["reason"] = (f"no split between periods leaves {min_segment} rows on each side; "
                             "pass --min-segment or more data")
    if config.cutoff is not None:
        cut, source = cutoff_month(config.cutoff), "given"
    elif point is not None:
        cut, source = cutoff_month(point.cutoff_month), "estimated"
    else:
        return summary
    flags = np.asarray(correct, dtype=np.float64)
    before_mask = np.asarray(months) <= cut
    before, after = flags[before_mask], flags[~before_mask]
    if not before.size or not after.size:
        side = "before" if not before.size else "after"
        raise InputError(f"no rows fall {side} the cutoff {month_label(cut)} (dates run "
                         f"{month_label(min(months))} to {month_label(max(months))}). Pick a "
                         "cutoff inside that range.")
    low, high = bootstrap_gap_ci(before, after, resamples=config.bootstrap, seed=config.seed)
    summary.update(gap=gap_points(before, after), gap_ci=[low, high], cutoff=month_label(cut),
                   cutoff_source=source, accuracy_before=float(before.mean()),
                   accuracy_after=float(after.mean()), n_before=int(before.size),
                   n_after=int(after.size),
                   cutoff_period=period_label(period_of(cut, config.period), config.period))
    return summary


@dataclass
class CutoffResult:
    run_dir: Path
    rows: Any
    summary: dict[str, Any]

    def table(self) -> str:
        s = self.summary
        lines = [f"{'period':<10} {'n':>6} {'accuracy':>9}"]
        lines += [f"{p['period']:<10} {p['n']:>6} {p['accuracy']:9.3f}" for p in s["periods"]]
        if s["gap"] is not None:
            low, high = s["gap_ci"]
            lines.append(f"cutoff {s['cutoff']} ({s['cutoff_source']}): accuracy before "
                         f"{s['accuracy_before']:.3f} (n={s['n_before']}), after "
                         f"{s['accuracy_after']:.3f} (n={s['n_after']}); gap {s['gap']:+.1f} pp "
                         f"[{low:+.1f}, {high:+.1f}]")
        else:
            lines.append(f"no gap: {s.get('reason', '')}")
        lines.append(f"run: {self.run_dir}")
        return "\n".join(lines)


def run_cutoff(results: str, out: str, config: CutoffConfig = CutoffConfig(), *,
               report: bool = True) -> CutoffResult:
    """Run (or re-run) the knowledge-cutoff analysis of a results file into `out`."""
    from ..data import data_hash
    from ..runs import RunWriter

    rows = read_results(results, config)
    summary = analyse(rows, config)
    cut = summary["cutoff"]
    for row in rows:
        row["side"] = "" if cut is None else ("before" if row["month"] <= cut else "after")
    run = RunWriter.open(out, "cutoff", {
        "data": {"path": str(Path(results).resolve()), "hash": data_hash(results)},
        "cutoff": asdict(config)})
    run.write_missing(rows)
    run.finish(summary, report=report)
    return CutoffResult(Path(out), run.rows(), summary)


def knowledge_cutoff(results: str, *, out: str | None = None, cutoff: str | None = None,
                     report: bool = True, **config: Any) -> CutoffResult:
    """Python API: the same as `mnemoscope contamination cutoff`. `config` takes the fields
    of CutoffConfig (date_column, correct_column, period, min_segment, bootstrap, seed)."""
    out = out or str(Path("runs") / f"cutoff-{Path(results).stem}")
    return run_cutoff(results, out, CutoffConfig(cutoff=cutoff, **config), report=report)
