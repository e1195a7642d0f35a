"""Every audit gives the rows and summary saved from the code before the architecture
refactor (tests/fixtures/same_results/, written by `python bench/same_results.py save`),
to float noise. About ten seconds: the tiny model, a few dozen texts per audit."""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import same_results  # noqa: E402


def test_every_audit_gives_the_saved_rows_and_summary(tmp_path):
    saved = same_results.load(same_results.GOLDEN)
    assert set(saved) == set(same_results.CASES)
    fresh = same_results.run_all(tmp_path)
    assert same_results.compare(saved, fresh) == []


def test_compare_allows_float_noise_only():
    saved = {"a": {"summary": {"auroc": 0.75, "n": 4, "nan": math.nan, "verdict": "no"},
                   "rows": {"parts": [{"id": "x", "loss": -2.0, "hit": True}]}}}
    noise = {"a": {"summary": {"auroc": 0.75 + 1e-9, "n": 4, "nan": math.nan, "verdict": "no"},
                   "rows": {"parts": [{"id": "x", "loss": -2.0 * (1 + 1e-7), "hit": True}]}}}
    assert same_results.compare(saved, noise) == []
    changed = {"a": {"summary": {"auroc": 0.76, "n": 5, "nan": 0.0, "verdict": "no"},
                     "rows": {"parts": [{"id": "x", "loss": -2.0, "hit": 1, "new": 0}]}}}
    assert same_results.compare(saved, changed) == [
        "a.rows.parts[0].hit: True -> 1", "a.rows.parts[0].new: new key",
        "a.summary.auroc: 0.75 -> 0.76", "a.summary.n: 4 -> 5", "a.summary.nan: nan -> 0.0"]
    assert same_results.compare(saved, {}) == ["a: not run now"]
