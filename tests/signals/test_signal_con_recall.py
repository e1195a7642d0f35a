"""CON-ReCall: the contrast by hand, gamma = 0 is ReCaLL, and a run with both kinds of
shots drawn from the data."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _scores import scores

from mnemoscope.signals import Context, parse_signal
from mnemoscope.signals.con_recall import ConRecall
from mnemoscope.signals.recall import Recall
from mnemoscope.types import InputError

WORDS = "the river city king old night song water stone field road house light".split()


def test_con_recall_worked_example():
    # NLL(x) = 2, NLL(x | non-members) = 3, NLL(x | members) = 1, gamma = 0.5
    # -> (3 - 0.5 * 1) / 2 = 1.25
    ctx = Context(views={"recall_prefix": scores([-3.0, -3.0]),
                         "member_prefix": scores([-0.5, -1.5])})
    assert ConRecall()(scores([-1.0, -3.0]), ctx) == pytest.approx(1.25)
    assert ConRecall(gamma=0.0)(scores([-1.0, -3.0]), ctx) == \
        pytest.approx(Recall()(scores([-1.0, -3.0]), ctx))


def test_bad_gamma_is_refused():
    with pytest.raises(InputError, match="gamma must be a number >= 0"):
        parse_signal("con_recall(gamma=-1)")


def test_score_with_member_and_non_member_shots(tmp_path, tiny_model_dir):
    from mnemoscope.cli import main
    from mnemoscope.runs import read_rows

    rng = np.random.default_rng(1)
    data = tmp_path / "d.jsonl"
    with open(data, "w", encoding="utf-8") as handle:
        for i in range(14):
            text = " ".join(rng.choice(WORDS, size=int(rng.integers(3, 9))))
            handle.write(json.dumps({"id": f"s{i}", "text": text, "label": i % 2}) + "\n")
    out = tmp_path / "run"
    args = ["-q", "score", str(data), "--model", str(tiny_model_dir), "--out", str(out),
            "--signals", "recall,con_recall", "--recall-shots", "2", "--bootstrap", "20",
            "--no-report"]
    assert main(args) == 2                            # the member prefix is missing
    assert main(args + ["--member-shots", "1"]) == 0
    views = json.loads((out / "spec.json").read_text())["identity"]["views"]
    used = set(views["recall_prefix"]["shot_ids"]) | set(views["member_prefix"]["shot_ids"])
    rows = read_rows(out)
    assert len(used) == 3 and len(rows) == 11 and not used & set(rows["id"])
    assert all(int(i[1:]) % 2 == 1 for i in views["member_prefix"]["shot_ids"])
    assert np.isfinite(rows["con_recall"]).all()
