"""Unlearning judged against a retrained model, on a tiny random model: with the retrained
model equal to the original (same weights) and no unlearning step, every PrivLeak is
exactly 0 and forget quality exactly 1; --stop parity stops at the first check then;
--retrain-reference trains the reference once and reuses it; bad input is one line."""

from __future__ import annotations

import json
import random

import pytest

from _tiny_model import WORDS
from mnemoscope.cli import main

ALPHA_WORDS = [w for w in WORDS if w.isalpha()]


def _write(path, count, seed, prefix):
    rng = random.Random(seed)
    texts = [" ".join(rng.choice(ALPHA_WORDS) for _ in range(16)) for _ in range(count)]
    path.write_text("".join(json.dumps({"id": f"{prefix}{i}", "text": t}) + "\n"
                            for i, t in enumerate(texts)), encoding="utf-8")
    return path, texts


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("judge-data")
    forget, forget_texts = _write(folder / "forget.jsonl", 4, 1, "f")
    retain, _ = _write(folder / "retain.jsonl", 8, 2, "r")
    holdout, _ = _write(folder / "holdout.jsonl", 4, 3, "h")
    qa = folder / "qa.jsonl"
    qa.write_text("".join(json.dumps({
        "id": f"q{i}", "question": f"What is word {i}?", "answer": t.split()[i],
        "paraphrased_answer": "It is " + t.split()[i],
        "perturbed_answers": ["It is " + t.split()[i + 1], "It is " + t.split()[i + 2]]}) + "\n"
        for i, t in enumerate(forget_texts)), encoding="utf-8")
    return {"forget": forget, "retain": retain, "holdout": holdout, "qa": qa}


def _cli(data, model, out, *extra):
    return main(["-q", "unlearn", "--model", str(model), "--forget", str(data["forget"]),
                 "--retain", str(data["retain"]), "--holdout", str(data["holdout"]),
                 "--out", str(out), "--lora-rank", "4", "--lora-alpha", "8",
                 "--train-batch-size", "4", "--prefix-tokens", "8", "--suffix-tokens", "8",
                 "--bootstrap", "20", "--answer-tokens", "4", *extra])


def test_retrained_equal_to_the_model_gives_privleak_zero_and_forget_quality_one(
        data, tiny_model_dir, tmp_path):
    out = tmp_path / "run"
    assert _cli(data, tiny_model_dir, out, "--retrained", str(tiny_model_dir), "--steps", "0",
                "--lora-init", "default", "--forget-qa", str(data["qa"]),
                "--retain-qa", str(data["qa"])) == 0
    summary = json.loads((out / "summary.json").read_text())
    judged = summary["judged"]
    assert judged["forget_quality_statistic"] == "truth_ratio"
    columns = judged["columns"]
    assert set(columns) == {"original", "unlearned", "retrained"}
    for name, column in columns.items():
        # every signal of the audit, MUSE's AUC the same for both models: exactly 0
        assert set(column["privleak"]) == {"loss", "zlib", "lowercase", "min_k",
                                           "min_k_plus_plus"}
        assert all(v["privleak"] == 0.0 for v in column["privleak"].values()), name
        assert column["privleak"]["min_k_plus_plus"]["privleak_ci"] == [0.0, 0.0]
        assert column["forget_quality"] == {"statistic": "truth_ratio", "p_value": 1.0}
        assert column["forget_quality_loss"] == 1.0
        assert column["retain_perplexity_ratio"] == 1.0
        assert column["verbmem"] == columns["original"]["verbmem"]
    rows = {row["metric"]: row for row in judged["table"]}
    assert rows["PrivLeak % (min_k_plus_plus)"]["unlearned"] == 0.0
    assert judged["table"][3]["metric"] == "PrivLeak % (min_k_plus_plus)"   # headline first
    criteria = json.loads((out / "after" / "criteria.json").read_text())
    assert len(criteria["truth_ratio_forget"]) == 4
    assert len(criteria["knowmem_forget"]["per_question"]) == 4
    html = (out / "report.html").read_text()
    assert "against a model retrained without the forget set" in html


def test_stop_parity_stops_at_the_first_check(data, tiny_model_dir, tmp_path):
    # a rate of 1e-9 leaves the model as it was, which is the retrained model here: the
    # first check (step 2) finds PrivLeak 0 and the forget rate at the held-out rate (0)
    out = tmp_path / "parity"
    assert _cli(data, tiny_model_dir, out, "--retrained", str(tiny_model_dir), "--lr", "1e-9",
                "--lora-init", "default", "--stop", "parity", "--check-every", "2",
                "--steps", "6") == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stopped"] == "parity_reached" and summary["steps"] == 2
    (point,) = summary["trajectory"]
    assert point["step"] == 2 and point["forget_rate"] == 0.0
    assert point["privleak_loss"] == 0.0 and point["privleak_min_k_plus_plus"] == 0.0
    assert point["forget_quality_loss"] == 1.0
    assert summary["judged"]["forget_quality_statistic"] == "loss"   # no QA given


def test_retrain_reference_is_trained_once(data, tiny_model_dir, tmp_path, monkeypatch):
    out = tmp_path / "reference"
    flags = ("--retrain-reference", "--base", str(tiny_model_dir), "--retrain-epochs", "1",
             "--retrain-lr", "1e-3", "--retrain-batch-size", "4", "--steps", "0")
    assert _cli(data, tiny_model_dir, out, *flags) == 0
    assert (out / "retrained" / "config.json").is_file()
    trained = json.loads((out / "retrained_training.json").read_text())
    assert trained["texts"] == 8 and trained["steps"] == 2          # 8 retain texts, batch 4
    summary = json.loads((out / "summary.json").read_text())
    # trained on the retain texts, the reference is another model: retain perplexity fell
    columns = summary["judged"]["columns"]
    assert columns["retrained"]["retain_perplexity"] < columns["original"]["retain_perplexity"]
    import mnemoscope.lab.train as lab_train

    monkeypatch.setattr(lab_train, "fine_tune", lambda *a, **k: pytest.fail("retrained"))
    assert _cli(data, tiny_model_dir, out, *flags) == 0


def test_bad_reference_input_is_one_line(data, tiny_model_dir, tmp_path, capsys):
    cases = [
        (("--stop", "parity"), "--retrained PATH or --retrain-reference"),
        (("--retrain-reference",), "pass --base MODEL"),
        (("--forget-qa", str(data["qa"])), "only with a retrained reference"),
        (("--retrained", str(tiny_model_dir), "--forget-qa", str(tmp_path / "no.jsonl")),
         "no such file"),
        (("--retrained", str(tiny_model_dir), "--stop", "parity", "--parity-signals",
          "lowercase"), "--parity-signals"),
        (("--retrained", str(tiny_model_dir), "--stop", "parity", "--signals", "min_k"),
         "must be among the audit's --signals"),
        (("--retrained", str(tmp_path / "missing-model")), "missing-model"),
        (("--retrained", str(tiny_model_dir), "--retrain-reference", "--base",
          str(tiny_model_dir)), "not both"),
    ]
    for extra, message in cases:
        assert _cli(data, tiny_model_dir, tmp_path / "bad", *extra) == 2, extra
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, (extra, err)
    assert not (tmp_path / "bad").exists()
    # PrivLeak needs held-out texts
    code = main(["unlearn", "--model", str(tiny_model_dir), "--forget", str(data["forget"]),
                 "--retain", str(data["retain"]), "--out", str(tmp_path / "c"),
                 "--retrained", str(tiny_model_dir)])
    assert code == 2 and "--holdout FILE" in capsys.readouterr().err


class _EchoModel:
    """Answers every question with its prompt's last line but one (the shots' last answer),
    recording the prompts it was given."""

    def __init__(self):
        self.prompts = []

    def encode(self, text):
        self.prompts.append(text)
        return [len(self.prompts) - 1]

    def decode(self, ids):
        return " Mercury"

    def generate_tokens(self, prompts, **_):
        return [[[p[0]]] for p in prompts]


def test_knowmem_asks_after_the_shots_and_a_stale_cache_is_asked_again(tmp_path):
    from mnemoscope.unlearning.judge import criteria_stage
    from mnemoscope.unlearning.qa import KNOWMEM_PROMPT, SHOTS, Question

    questions = [Question("q0", "Which planet?", "Mercury"), Question("q1", "Who?", "Ada")]
    stage = tmp_path / "after"
    stage.mkdir()
    old = {"verbmem": 0.5, "member_scores": {"loss": {"forget": [1.0], "holdout": [2.0]}},
           "truth_ratio_forget": [0.25],
           "knowmem_forget": {"rouge_l_f1": 0.0, "questions": 2, "per_question": {}}}
    (stage / "criteria.json").write_text(json.dumps(old))
    model = _EchoModel()
    result = criteria_stage(stage, model, {}, {}, questions, None, 4)
    assert model.prompts == [SHOTS + "Question: Which planet?\nAnswer:",
                             SHOTS + "Question: Who?\nAnswer:"]
    # asked again (ROUGE-L F1 1 and 0), the rest of the cache kept as it was
    assert result["knowmem_forget"]["rouge_l_f1"] == 0.5
    assert result["knowmem_forget"]["prompt"] == KNOWMEM_PROMPT
    assert {k: result[k] for k in ("verbmem", "member_scores", "truth_ratio_forget")} == \
        {k: old[k] for k in ("verbmem", "member_scores", "truth_ratio_forget")}
    assert json.loads((stage / "criteria.json").read_text()) == result
    # a cache with today's prompt is read, not asked again
    again = _EchoModel()
    assert criteria_stage(stage, again, {}, {}, questions, None, 4) == result
    assert again.prompts == []
