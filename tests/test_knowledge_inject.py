"""knowledge inject on the tiny random model: rows per probe per epoch, the summary's
formulas on hand-worked rows, resume after a crash equal to an uninterrupted run, and the
report section."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from mnemoscope.knowledge import inject as inject_module
from mnemoscope.knowledge.inject import InjectSpec, run_inject
from mnemoscope.knowledge.summary import paired_gap, summarize
from mnemoscope.lab.config import TrainConfig
from mnemoscope.metrics import clopper_pearson
from mnemoscope.models import ModelConfig
from tests._tiny_model import build_tiny_model

FACTS = [
    {"id": "k1", "split": "train", "sentence": "the king was born in the city .",
     "paraphrases": ["the city is where the king was born ."],
     "probes": [{"type": "reliability", "format": "cloze", "prompt": "the king was born in the",
                 "answer": "city"},
                {"type": "generality", "format": "qa", "prompt": "where was the king born ?",
                 "answer": "city"},
                {"type": "generality", "format": "tf", "prompt": "the king was born in the city",
                 "answer": "True", "choices": ["True", "False"]},
                {"type": "reverse", "format": "mc", "prompt": "the city is where was born the",
                 "answer": "king", "choices": ["king", "river", "song"]}]},
    {"id": "k2", "split": "train", "sentence": "the river runs by the old house .",
     "paraphrases": ["by the old house runs the river ."],
     "probes": [{"type": "reliability", "format": "cloze", "prompt": "the river runs by the old",
                 "answer": "house"}]},
    {"id": "h1", "split": "heldout", "sentence": "the song of the night is quiet .",
     "probes": [{"type": "reliability", "format": "cloze", "prompt": "the song of the night is",
                 "answer": "quiet"}]},
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


def _spec(tmp_path: Path, tiny: Path, out: str, **extra) -> InjectSpec:
    facts = tmp_path / "facts.jsonl"
    if not facts.exists():
        facts.write_text("".join(json.dumps(f) + "\n" for f in FACTS))
    return InjectSpec(facts=str(facts), out=str(tmp_path / out),
                      model=ModelConfig(model=str(tiny), batch_size=4),
                      train=TrainConfig(epochs=2, batch_size=2, learning_rate=1e-2),
                      paraphrases=1, max_new_tokens=3, bootstrap=50, progress=False,
                      **extra)


def test_rows_per_probe_per_epoch_summary_and_report(tmp_path, tiny):
    result = run_inject(_spec(tmp_path, tiny, "run"))
    rows = pd.read_parquet(tmp_path / "run" / "parts")
    probes = 6 + 30                     # the facts' probes and the general prompts
    assert len(rows) == 3 * probes and sorted(rows["epoch"].unique()) == [0, 1, 2]
    summary = result.summary
    assert summary["training_texts"] == 4          # 2 sentences + 1 paraphrase each
    assert summary["facts"] == {"train": 2, "heldout": 1, "general_prompts": 30}
    assert set(summary["probes"]) == {"reliability/cloze", "generality/qa", "generality/tf",
                                      "reverse/mc", "locality/unseen-reliability/cloze",
                                      "locality/general"}
    assert summary["probes"]["reverse/mc"]["chance"] == pytest.approx(1 / 3)
    assert summary["training"]["steps"] == 4       # 2 batches x 2 epochs
    assert set(summary["membership"]) == {"loss", "zlib", "min_k", "min_k_plus_plus",
                                          "reference"}
    assert summary["membership"]["loss"]["n_members"] == 2
    html = (tmp_path / "run" / "report.html").read_text()
    assert "Knowledge injection" in html and "knowledge-probes" in html


def test_a_crash_mid_run_resumes_to_the_uninterrupted_rows(tmp_path, tiny, monkeypatch):
    whole = run_inject(_spec(tmp_path, tiny, "whole", membership=False, general=False))
    real = inject_module._evaluate

    def crash_at_epoch_2(run, model, probes, epoch, spec):
        if epoch == 2:
            raise KeyboardInterrupt
        real(run, model, probes, epoch, spec)

    monkeypatch.setattr(inject_module, "_evaluate", crash_at_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        run_inject(_spec(tmp_path, tiny, "resumed", membership=False, general=False))
    before = sorted(pd.read_parquet(tmp_path / "resumed" / "parts")["id"])
    assert len(before) == 2 * 6                     # epochs 0 and 1 were written
    monkeypatch.setattr(inject_module, "_evaluate", real)
    resumed = run_inject(_spec(tmp_path, tiny, "resumed", membership=False, general=False))
    columns = ["id", "output", "exact", "lenient", "choice_logprobs"]
    a = pd.read_parquet(tmp_path / "whole" / "parts")[columns].sort_values("id")
    b = pd.read_parquet(tmp_path / "resumed" / "parts")[columns].sort_values("id")
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
    assert resumed.summary["probes"] == whole.summary["probes"]


def test_summary_formulas_on_hand_worked_rows():
    rows = pd.DataFrame([
        # epoch, group, fact, type, format, exact, lenient, chance
        (0, "train", "a", "reliability", "cloze", False, False, 0.0),
        (0, "train", "b", "reliability", "cloze", False, True, 0.0),
        (0, "train", "a", "generality", "qa", False, False, 0.0),
        (0, "train", "b", "generality", "qa", False, False, 0.0),
        (1, "train", "a", "reliability", "cloze", True, True, 0.0),
        (1, "train", "b", "reliability", "cloze", True, True, 0.0),
        (1, "train", "a", "generality", "qa", True, True, 0.0),
        (1, "train", "b", "generality", "qa", False, False, 0.0),
        (0, "general", "g1", "locality", "cloze", True, True, 0.0),
        (0, "general", "g2", "locality", "cloze", False, False, 0.0),
        (1, "general", "g1", "locality", "cloze", False, False, 0.0),
        (1, "general", "g2", "locality", "cloze", False, True, 0.0),
        (0, "heldout", "h", "generality", "mc", False, False, 0.25),
        (1, "heldout", "h", "generality", "mc", True, True, 0.25),
    ], columns=["epoch", "group", "fact_id", "type", "format", "exact", "lenient", "chance"])
    summary = summarize(rows, epochs=1, resamples=0)
    rel = summary["probes"]["reliability/cloze"]["by_epoch"]
    assert [e["exact"] for e in rel] == [0.0, 1.0]
    assert rel[0]["lenient"] == 0.5
    assert rel[1]["exact_ci"] == list(clopper_pearson(2, 2))
    gap = summary["gaps"]["reliability - generality/qa"]
    assert [g["gap"] for g in gap] == [0.0, 0.5]            # (1 + 1)/2 - (1 + 0)/2
    general = summary["locality"]["locality/general"]
    assert [g["change_exact"] for g in general] == [0.0, -0.5]
    assert [g["change_lenient"] for g in general] == [0.0, 0.0]
    assert summary["locality"]["general_retention"] == [
        {"epoch": 0, "retained": 1, "of": 1}, {"epoch": 1, "retained": 0, "of": 1}]
    unseen = summary["locality"]["locality/unseen-generality/mc"]
    assert unseen[1]["change_exact"] == 1.0
    assert summary["probes"]["locality/unseen-generality/mc"]["chance"] == 0.25
    # epoch 0: 0 of 2 with chance 0 is at chance; the general prompts are not checked
    assert summary["base_at_chance"] == {"reliability/cloze": True, "generality/qa": True,
                                         "locality/unseen-generality/mc": True}


def test_true_false_margin_auroc_worked_example():
    from mnemoscope.knowledge.summary import tf_margin_auroc

    rows = pd.DataFrame({
        "answer": ["True", "True", "False", "False"],
        "choices": ['["True", "False"]'] * 4,
        # margins log p(True) - log p(False): 2, -1 (true), 0, -3 (false): one true
        # statement outranks both false ones, the other only the lower one
        "choice_logprobs": ["[-1.0, -3.0]", "[-2.0, -1.0]", "[-1.0, -1.0]", "[-4.0, -1.0]"]})
    assert tf_margin_auroc(rows) == pytest.approx(3 / 4)
    assert tf_margin_auroc(rows.iloc[:2]) is None


def test_paired_gap_resamples_facts_together():
    result = paired_gap([True, True, False, True], [False, True, False, False],
                        resamples=200, seed=0)
    assert result["gap"] == 0.5 and result["n"] == 4
    low, high = result["ci"]
    assert 0.0 <= low <= 0.5 <= high <= 1.0       # a difference of 0/1 pairs stays in [-1, 1]


def test_a_choice_scores_as_score_scores_the_same_text(tiny):
    """The sum of a choice's token log-probs equals the sum of the last tokens' log-probs
    that the backend's own scoring gives the prompt followed by the choice."""
    import numpy as np

    from mnemoscope.knowledge.answering import answer, choice_logprobs
    from mnemoscope.models import load_model

    model = load_model(ModelConfig(model=str(tiny), batch_size=2))
    pairs = [("the king was born in the", " city"), ("the old", " river runs"),
             ("a", " song of the night")]
    got = choice_logprobs(model, pairs, batch_size=2)
    for (prompt, cont), value in zip(pairs, got):
        scores = model.score([prompt + cont])[0]
        tail = len(model.encode(cont))
        assert value == pytest.approx(float(np.sum(scores.logprobs[-tail:])), abs=1e-4)
    probe = {"format": "mc", "prompt": "the old", "answer": "river runs",
             "choices": ["river runs", "song of the night"]}
    (result,) = answer(model, [probe], max_new_tokens=2, batch_size=2)
    expected = "river runs" if got[1] > choice_logprobs(
        model, [("the old", " song of the night")], 1)[0] else "song of the night"
    assert result["output"] == expected and result["exact"] == (expected == "river runs")
