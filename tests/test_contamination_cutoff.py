"""Knowledge-cutoff analysis: accuracy per period, the gap and its bootstrap CI, the change
point on a constructed series, and bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from _contamination_stubs import write_jsonl

from mnemoscope.cli import main
from mnemoscope.contamination.cutoff import CutoffConfig, knowledge_cutoff
from mnemoscope.contamination.cutoff_stats import (accuracy_by_period, bootstrap_gap_ci,
                                                   change_point, month_index)
from mnemoscope.types import InputError


def series(tmp_path, per_month=None, name="results.jsonl"):
    """Jan-Jun 2024, four items a month: 3 of 4 correct up to March, 1 of 4 after."""
    per_month = per_month or {1: 3, 2: 3, 3: 3, 4: 1, 5: 1, 6: 1}
    rows = []
    for month, correct in per_month.items():
        for k in range(4):
            rows.append({"id": f"{month}-{k}", "date": f"2024-{month:02d}-{10 + k}",
                         "correct": k < correct})
    return write_jsonl(tmp_path / name, rows)


def test_gap_around_a_given_cutoff(tmp_path):
    result = knowledge_cutoff(str(series(tmp_path)), out=str(tmp_path / "run"), cutoff="2024-03")
    s = result.summary
    assert [p["accuracy"] for p in s["periods"]] == [0.75, 0.75, 0.75, 0.25, 0.25, 0.25]
    assert s["periods"][0]["period"] == "2024-01"
    # before (Jan-Mar, March included): 9/12; after: 3/12 -> 50 percentage points
    assert (s["accuracy_before"], s["accuracy_after"]) == (0.75, 0.25)
    assert (s["n_before"], s["n_after"]) == (12, 12)
    assert s["gap"] == pytest.approx(50.0) and s["cutoff_source"] == "given"
    low, high = s["gap_ci"]
    assert low < 50.0 < high and low > 0                  # the drop is clear even at n = 12
    rows = result.rows.set_index("id")
    assert rows.loc["3-0", "side"] == "before" and rows.loc["4-0", "side"] == "after"
    assert (tmp_path / "run" / "report.html").is_file()


def test_change_point_is_estimated_on_a_constructed_series(tmp_path):
    result = knowledge_cutoff(str(series(tmp_path)), out=str(tmp_path / "run"))
    s = result.summary
    point = s["change_point"]
    assert point["last_period_before"] == "2024-03" and s["cutoff"] == "2024-03"
    assert s["cutoff_source"] == "estimated" and s["gap"] == pytest.approx(50.0)
    # log-likelihood ratio of two segments (9/12 | 3/12) against one (12/24), by hand
    def ll(n, k):
        return k * math.log(k / n) + (n - k) * math.log((n - k) / n)

    assert point["log_likelihood_ratio"] == pytest.approx(ll(12, 9) + ll(12, 3) - ll(24, 12))


def test_change_point_respects_the_minimum_segment():
    months = [month_index(2024, m) for m in (1, 2, 2, 2, 2, 2)]
    correct = [True, False, False, False, False, False]
    # the best split (after January) leaves one row on its left
    assert change_point(months, correct, "month", min_segment=1).last_period_before == "2024-01"
    assert change_point(months, correct, "month", min_segment=2) is None


def test_quarters_and_years():
    months = [month_index(2023, 12), month_index(2024, 1), month_index(2024, 4)]
    cells = accuracy_by_period(months, [True, False, True], "quarter")
    assert [(c.period, c.n, c.correct) for c in cells] == [("2023-Q4", 1, 1), ("2024-Q1", 1, 0),
                                                           ("2024-Q2", 1, 1)]
    years = accuracy_by_period(months, [True, False, True], "year")
    assert [(c.period, c.n) for c in years] == [("2023", 1), ("2024", 2)]


def test_bootstrap_ci_contains_the_gap_and_is_seeded():
    before = np.array([1, 1, 0, 1, 0, 1, 1, 1], dtype=float)    # 0.75
    after = np.array([0, 0, 1, 0, 0, 1, 0, 0], dtype=float)     # 0.25
    ci = bootstrap_gap_ci(before, after, resamples=500, seed=3)
    assert ci[0] <= 50.0 <= ci[1]
    assert ci == bootstrap_gap_ci(before, after, resamples=500, seed=3)


def test_one_class_is_explained_not_an_error(tmp_path):
    path = series(tmp_path, {1: 4, 2: 4, 3: 4})
    s = knowledge_cutoff(str(path), out=str(tmp_path / "a")).summary
    assert s["gap"] is None and "every row is correct" in s["reason"]
    given = knowledge_cutoff(str(path), out=str(tmp_path / "b"), cutoff="2024-01").summary
    assert given["gap"] == 0.0 and given["gap_ci"] == [0.0, 0.0]


@pytest.mark.parametrize("rows, message", [
    ([{"id": 1, "correct": True}], 'column "date" is missing'),
    ([{"id": 1, "date": "last tuesday", "correct": True}], "cannot read the date"),
    ([{"id": 1, "date": "2024-02-30", "correct": True}], "not a real date"),
    ([{"id": 1, "date": "", "correct": True}], "no date"),
    ([{"id": 1, "date": "2024", "correct": True}], "--period year"),
    ([{"id": 1, "date": "2024-01-01", "correct": "maybe"}], "not true/false"),
    ([{"id": 1, "date": "2024-01-01", "correct": 1}, {"id": 2, "date": "2024-01-05",
                                                       "correct": 0}], "one month"),
])
def test_bad_input_is_a_clear_error(tmp_path, rows, message):
    path = write_jsonl(tmp_path / "r.jsonl", rows)
    with pytest.raises(InputError, match=message):
        knowledge_cutoff(str(path), out=str(tmp_path / "run"))


def test_empty_file_malformed_line_and_cutoff_outside_the_dates(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="no rows"):
        knowledge_cutoff(str(empty), out=str(tmp_path / "a"))
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"date": "2024-01-01", "correct": 1}\n{"date": 2024-02\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 2: invalid JSON"):
        knowledge_cutoff(str(broken), out=str(tmp_path / "b"))
    with pytest.raises(InputError, match="no rows fall after the cutoff 2025-01"):
        knowledge_cutoff(str(series(tmp_path)), out=str(tmp_path / "c"), cutoff="2025-01")
    with pytest.raises(InputError, match="YYYY-MM"):
        CutoffConfig(cutoff="June 2024")


def test_cli_csv_with_other_columns(tmp_path, capsys):
    path = tmp_path / "graded.csv"
    lines = ["question_id,published,is_correct"]
    for k in range(12):
        lines.append(f"q{k},2023-{1 + k // 3:02d}-01,{'yes' if k < 6 else 'no'}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "run"
    assert main(["contamination", "cutoff", str(path), "--out", str(out), "--date-column",
                 "published", "--correct-column", "is_correct", "--id-column", "question_id",
                 "--cutoff", "2023-02", "--json"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["gap"] == pytest.approx(100.0) and summary["cutoff"] == "2023-02"
    assert main(["contamination", "cutoff", str(path), "--out", str(tmp_path / "x")]) == 2
    assert 'column "date" is missing' in capsys.readouterr().err


def test_top_level_api_and_no_torch_on_import(tmp_path):
    import subprocess
    import sys

    import mnemoscope

    s = mnemoscope.knowledge_cutoff(str(series(tmp_path)), out=str(tmp_path / "run"),
                                    cutoff="2024-03", report=False).summary
    assert s["gap"] == pytest.approx(50.0)
    code = ("import sys, mnemoscope.contamination.cdd, mnemoscope.contamination.completion, "
            "mnemoscope.contamination.cutoff, mnemoscope.cli.contamination; "
            "print('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
