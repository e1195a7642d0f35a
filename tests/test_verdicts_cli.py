"""The verdicts through `mnemoscope score` and `mnemoscope lab` on the tiny model: the
summary keys, --no-blind, the sentence under the CLI table and above the report's table,
and a lab's combined weights applied by `score --calibration`."""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pytest

from _tiny_model import WORDS
from mnemoscope.cli import main
from mnemoscope.runs import read_rows
from mnemoscope.verdicts.calibration import WEIGHTS_FILE, apply_weights, load_weights

TINY = [w for w in WORDS if w.isalpha()]


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def shifted(path, n=40):
    """Members end in a year of the 2020s, non-members in one of the 1990s: a split a
    text-only classifier reads at a glance."""
    rng = random.Random(0)
    return write(path, [{"id": f"s{i}", "label": i % 2,
                         "text": " ".join(rng.choice(TINY) for _ in range(8)) +
                         (f" in {2020 + i % 5}" if i % 2 else f" in {1990 + i % 5}")}
                        for i in range(n)])


@pytest.fixture(scope="module")
def shifted_run(tmp_path_factory, tiny_model_dir):
    folder = tmp_path_factory.mktemp("verdicts")
    data = shifted(folder / "d.jsonl")
    out = folder / "run"
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["-q", "score", str(data), "--model", str(tiny_model_dir), "--out", str(out),
                     "--bootstrap", "100"])
    assert code == 0
    return data, out, printed.getvalue()


def test_labelled_score_reports_baseline_combined_and_split_check(shifted_run):
    _, out, printed = shifted_run
    summary = json.loads((out / "summary.json").read_text())
    for key in ("blind_baseline", "combined"):
        assert {"auroc", "auroc_ci", "tpr_at_1pct_fpr", "tpr_at_0.1pct_fpr"} <= set(summary[key])
    check = summary["split_check"]
    assert {"blind_auroc", "model_gain", "model_gain_ci", "warning", "message"} <= set(check)
    assert summary["blind_baseline"]["auroc"] == 1.0 and check["warning"] is True
    lines = printed.splitlines()
    table_end = max(i for i, line in enumerate(lines) if line.startswith("blind_baseline"))
    assert lines[table_end + 1] == "WARNING: " + check["message"]
    frame = pd.read_parquet(out / "verdicts" / "out_of_fold.parquet")
    assert list(frame.columns) == ["id", "label", "combined", "blind_baseline",
                                   "text_and_signals"]
    assert len(frame) == 40


def test_report_shows_the_split_check_above_the_table(shifted_run):
    _, out, _ = shifted_run
    page = (out / "report.html").read_text()
    assert "id='split-check'" in page
    assert page.index("id='split-check'") < page.index('id="verdict-table"')
    table = page[page.index('id="verdict-table"'):]
    table = table[: table.index("</table>")]
    assert "<td>combined" in table and "<td>blind_baseline" in table
    assert 'id="roc-verdicts"' in page and 'id="reliability-combined"' in page


def test_no_blind_keeps_combined_only(tmp_path, tiny_model_dir):
    data = shifted(tmp_path / "d.jsonl")
    out = tmp_path / "run"
    assert main(["-q", "score", str(data), "--model", str(tiny_model_dir), "--out", str(out),
                 "--bootstrap", "50", "--no-report", "--no-blind"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert "combined" in summary
    assert "blind_baseline" not in summary and "split_check" not in summary


def test_lab_saves_weights_and_score_applies_them(tmp_path, tiny_model_dir, capsys):
    rng = random.Random(1)
    texts = write(tmp_path / "texts.jsonl", [
        {"id": f"t{i}", "text": " ".join(rng.choice(TINY) for _ in range(16))} for i in range(32)])
    lab = tmp_path / "lab"
    assert main(["-q", "lab", str(texts), "--out", str(lab), "--model", str(tiny_model_dir),
                 "--epochs", "2", "--lr", "3e-3", "--secret-digits", "2",
                 "--canaries-per-repetition", "0", "--no-extraction", "--bootstrap", "50",
                 "--chunk-size", "8", "--exact-limit", "100"]) == 0
    printed = capsys.readouterr().out
    summary = json.loads((lab / "summary.json").read_text())
    assert {"blind_baseline", "combined", "split_check"} <= set(summary)
    assert "combined" in printed and summary["split_check"]["message"] in printed
    weights = load_weights(lab)
    assert weights["columns"] == ["loss", "zlib", "lowercase", "min_k", "min_k_plus_plus",
                                  "reference"]
    assert weights["out_of_fold"]["auroc"] == summary["combined"]["auroc"]
    # unlabelled texts, scored by the lab's model with the lab's signals (its reference is
    # the base model)
    unlabelled = write(tmp_path / "new.jsonl", [
        {"id": f"n{i}", "text": " ".join(rng.choice(TINY) for _ in range(16))} for i in range(6)])
    out = tmp_path / "applied"
    assert main(["-q", "score", str(unlabelled), "--model", str(lab / "model"), "--out",
                 str(out), "--reference-model", str(tiny_model_dir), "--calibration",
                 str(lab)]) == 0
    printed = capsys.readouterr().out
    assert "calibrated membership probability" in printed
    calibrated = pd.read_parquet(out / "verdicts" / "calibrated.parquet")
    rows = read_rows(out).set_index("id").loc[calibrated["id"]]       # the file is in id order
    expected = apply_weights(weights, rows[weights["columns"]].to_numpy(dtype=float))
    np.testing.assert_allclose(calibrated["membership_probability"], expected)
    entry = json.loads((out / "summary.json").read_text())["calibrated"]
    assert entry["same_model"] is True and entry["n"] == 6
    assert entry["signals"] == weights["columns"]
    page = (out / "report.html").read_text()
    assert 'id="reliability-calibrated"' in page and 'id="hist-calibrated"' in page


def test_calibration_errors_are_one_line(tmp_path, tiny_model_dir, capsys):
    data = shifted(tmp_path / "d.jsonl", n=6)
    code = main(["-q", "score", str(data), "--model", str(tiny_model_dir), "--out",
                 str(tmp_path / "o"), "--calibration", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and f"no {WEIGHTS_FILE} there" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / WEIGHTS_FILE).write_text(json.dumps({
        "format": "mnemoscope.combined_weights/1", "columns": ["loss", "reference"],
        "mean": [0, 0], "scale": [1, 1], "coef": [1, 1], "intercept": 0}))
    code = main(["-q", "score", str(data), "--model", str(tiny_model_dir), "--out",
                 str(tmp_path / "o2"), "--signals", "loss", "--calibration",
                 str(tmp_path / "lab")])
    err = capsys.readouterr().err
    assert code == 2 and "need the signals reference" in err
