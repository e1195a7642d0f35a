"""ReCaLL: the ratio by hand, the prefix view's options, and a run that draws its shots
from the data and leaves them out."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _scores import scores

from mnemoscope.signals import Context, ViewSetup
from mnemoscope.signals.recall import Recall, RecallPrefixView
from mnemoscope.types import InputError, Sample

WORDS = "the river city king old night song water stone field road house light".split()


def test_recall_worked_example():
    # NLL(x) = mean(1.0, 3.0) = 2.0; NLL(x | P) = mean(2.0, 4.0) = 3.0 -> 3.0 / 2.0 = 1.5
    ctx = Context(views={"recall_prefix": scores([-2.0, -4.0])})
    assert Recall()(scores([-1.0, -3.0]), ctx) == pytest.approx(1.5)


def _setup(options, samples=()):
    return ViewSetup(options, prepare_model=lambda given: (None, {}, None), samples=samples)


@pytest.mark.parametrize("options, message", [
    ({}, "needs a non-member prefix: pass --recall-prefix FILE"),
    ({"recall_prefix": "/no/such/file", "recall_shots": 2}, "not both"),
    ({"recall_prefix": "/no/such/file"}, "no such file"),
    ({"recall_shots": "two"}, "whole number"),
    ({"recall_shots": 0}, "at least 1"),
])
def test_bad_options_fail_before_any_model_loads(options, message):
    with pytest.raises(InputError, match=message):
        RecallPrefixView.check(options)


def test_shots_are_seeded_non_members_independent_of_file_order():
    samples = [Sample(f"s{i}", f"text {i}", i % 2) for i in range(20)]
    first = RecallPrefixView.prepare(_setup({"recall_shots": 3}, samples))
    again = RecallPrefixView.prepare(_setup({"recall_shots": "3"}, list(reversed(samples))))
    assert first == again and len(first.shot_ids) == 3
    assert all(int(i[1:]) % 2 == 0 for i in first.shot_ids)          # label 0 only
    assert first.excluded_ids() == frozenset(first.shot_ids)
    assert first.identity()["shot_ids"] == list(first.shot_ids)
    with pytest.raises(InputError, match="only 10 labelled non-members"):
        RecallPrefixView.prepare(_setup({"recall_shots": 11}, samples))
    with pytest.raises(InputError, match="no labels"):
        RecallPrefixView.prepare(_setup({"recall_shots": 1}, [Sample("a", "t")]))


def test_prefix_file_is_read_and_hashed(tmp_path):
    path = tmp_path / "prefix.txt"
    path.write_text("the old king .\n", encoding="utf-8")
    view = RecallPrefixView.prepare(_setup({"recall_prefix": str(path)}))
    assert view.prefix == "the old king ." and view.excluded_ids() == frozenset()
    assert view.identity()["source"] == "file" and len(view.identity()["sha256"]) == 64


def test_score_draws_shots_excludes_them_and_reuses_the_prefix(tmp_path, tiny_model_dir, capsys):
    from mnemoscope.cli import main
    from mnemoscope.models import load_model
    from mnemoscope.runs import read_rows

    rng = np.random.default_rng(0)
    data = tmp_path / "d.jsonl"
    with open(data, "w", encoding="utf-8") as handle:
        for i in range(16):
            text = " ".join(rng.choice(WORDS, size=int(rng.integers(3, 9))))
            handle.write(json.dumps({"id": f"s{i}", "text": text, "label": i % 2}) + "\n")
    out = tmp_path / "run"
    assert main(["-q", "score", str(data), "--model", str(tiny_model_dir), "--out", str(out),
                 "--signals", "loss,recall", "--recall-shots", "2", "--bootstrap", "20",
                 "--no-report"]) == 0
    rows = read_rows(out)
    spec = json.loads((out / "spec.json").read_text())
    shot_ids = spec["identity"]["views"]["recall_prefix"]["shot_ids"]
    assert len(shot_ids) == 2 and not set(shot_ids) & set(rows["id"]) and len(rows) == 14
    summary = json.loads((out / "summary.json").read_text())
    assert summary["recall"]["n_excluded"] == summary["loss"]["n_excluded"] == 2
    # the run's value is the ratio of the two scorings, the second after the joined shots
    model = load_model(str(tiny_model_dir))
    texts = {json.loads(line)["id"]: json.loads(line)["text"] for line in open(data)}
    prefix = "\n\n".join(texts[i] for i in shot_ids)
    first = rows.iloc[0]
    plain = model.score([texts[first["id"]]])[0]
    after = model.score([texts[first["id"]]], prefix=prefix)[0]
    assert first["recall"] == pytest.approx(after.mean_nll / plain.mean_nll, rel=1e-5)
    capsys.readouterr()
    main(["score", "--help"])
    assert {"--recall-shots", "--recall-prefix"} <= set(capsys.readouterr().out.split())
