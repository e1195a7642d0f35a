"""Token classes (signals/function_tokens.py): the rules on pieces, the classes of a
sequence, the per-class breakdown by hand, and a score run that reports it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mnemoscope.signals.function_tokens import (CONTENT_AFTER_CONTENT, CONTENT_AFTER_FUNCTION,
                                                FUNCTION, TokenClassTable, class_breakdown,
                                                is_function_piece)


@pytest.mark.parametrize("piece, expected", [
    (" the", True), ("The", True), (",", True), (" .)", True), ("\n", True), ("  ", True),
    (" would", True), (" river", False), ("ing", False), (" 1999", False), ("\ufffd", False),
])
def test_function_pieces(piece, expected):
    assert is_function_piece(piece) is expected


def test_classes_follow_the_previous_token():
    table = TokenClassTable(np.array([True, False, False]))
    # the first token follows the document start (a function token)
    assert table.classes(np.array([1, 2, 0, 2, 1])).tolist() == [
        CONTENT_AFTER_FUNCTION, CONTENT_AFTER_CONTENT, FUNCTION, CONTENT_AFTER_FUNCTION,
        CONTENT_AFTER_CONTENT]
    with pytest.raises(ValueError, match="no real token ids"):
        table.classes(np.array([-1]))


def test_breakdown_worked_example():
    # id 0 is a function token. Member text: [0, 1, 2] with log p [-1, -1, -1];
    # non-member text: [0, 1, 2] with log p [-1, -3, -5].
    # member losses by class (sum / 3 tokens): function 1/3, after-function 1/3, after-content 1/3
    # non-member: 1/3, 3/3, 5/3 -> gap terms 0, 2/3, 4/3 of a total gap 2 -> shares 0, 1/3, 2/3
    table = TokenClassTable(np.array([True, False, False]))
    rows = pd.DataFrame({"label": [1, 0], "token_ids": [[0, 1, 2], [0, 1, 2]],
                         "token_logprobs": [[-1.0, -1.0, -1.0], [-1.0, -3.0, -5.0]]})
    out = class_breakdown(rows, table, resamples=10)
    classes = out["classes"]
    assert out["loss_gap"] == pytest.approx(2.0)
    assert classes["function"]["gap_share"] == pytest.approx(0.0)
    assert classes["content_after_function"]["gap_share"] == pytest.approx(1 / 3)
    assert classes["content_after_content"]["gap_share"] == pytest.approx(2 / 3)
    assert classes["content_after_content"]["mean_logprob_nonmembers"] == pytest.approx(-5.0)
    assert classes["content_after_content"]["auroc"] == 1.0 and classes["function"]["auroc"] == 0.5
    assert classes["function"]["token_share"] == pytest.approx(1 / 3)


def test_score_summary_and_report_show_the_breakdown(tmp_path, tiny_model_dir):
    from mnemoscope.cli import main
    from mnemoscope.runs import read_rows

    words = "the river city king old night song water stone field road house light".split()
    rng = np.random.default_rng(3)
    data = tmp_path / "d.jsonl"
    with open(data, "w", encoding="utf-8") as handle:
        for i in range(12):
            text = " ".join(rng.choice(words, size=8)) + " ."
            handle.write(json.dumps({"id": f"s{i}", "text": text, "label": i % 2}) + "\n")
    out = tmp_path / "run"
    assert main(["-q", "score", str(data), "--model", str(tiny_model_dir), "--out", str(out),
                 "--signals", "loss,loss(tokens=content_after_function)", "--bootstrap", "20"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    classes = summary["token_classes"]["classes"]
    assert set(classes) == {"function", "content_after_function", "content_after_content"}
    assert sum(c["tokens"] for c in classes.values()) == int(read_rows(out)["n_tokens"].sum())
    assert sum(c["gap_share"] for c in classes.values()) == pytest.approx(1.0)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Where the signal sits: token classes" in html and "content after function" in html
    # the restricted loss is the breakdown's class AUROC
    assert summary["loss(tokens=content_after_function)"]["auroc"] == pytest.approx(
        classes["content_after_function"]["auroc"])
