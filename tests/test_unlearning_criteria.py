"""The numbers that judge unlearning against a retrained model, each pinned to a value
worked by hand: ROUGE-L, MUSE's AUC orientation and PrivLeak, TOFU's forget quality (KS
p-value) and truth ratio; the QA file reader and the synthetic QA generator."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from mnemoscope.lab.synthetic import synthetic_texts
from mnemoscope.lab.synthetic_qa import parse_record, record_questions, synthetic_qa
from mnemoscope.metrics import auroc
from mnemoscope.types import InputError
from mnemoscope.unlearning.criteria import (forget_quality, lcs_length, mean_rouge_l_f1,
                                            muse_auc, privleak, privleak_ci, ratio, rouge_l,
                                            rouge_words, truth_ratio)
from mnemoscope.unlearning.qa import load_qa


def test_rouge_words_lowercase_and_split_on_non_alphanumerics():
    assert rouge_words("The cat's 2 mats, e-mail!") == ["the", "cat", "s", "2", "mats", "e", "mail"]


def test_rouge_l_worked_examples():
    # LCS of [the cat sat on the mat] and [the cat is on the mat] is "the cat on the mat": 5
    assert lcs_length("the cat sat on the mat".split(), "the cat is on the mat".split()) == 5
    assert rouge_l("The cat sat on the mat.", "the cat is on the mat") == pytest.approx(
        {"precision": 5 / 6, "recall": 5 / 6, "f1": 5 / 6})
    # candidate [a b], reference [a b c d]: LCS 2, P = 1, R = 1/2, F1 = 2 * 1 * 0.5 / 1.5
    assert rouge_l("a b", "a b c d") == pytest.approx({"precision": 1.0, "recall": 0.5,
                                                       "f1": 2 / 3})
    # order matters: [c b a] vs [a b c] share one word in order
    assert rouge_l("c b a", "a b c")["f1"] == pytest.approx(1 / 3)
    assert rouge_l("", "a b") == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert rouge_l("x y", "a b")["f1"] == 0.0
    assert mean_rouge_l_f1(["a b", "x"], ["a b c d", "x"]) == pytest.approx((2 / 3 + 1) / 2)
    assert mean_rouge_l_f1([], []) is None


def test_muse_auc_orientation_and_ties():
    # held-out [2, 0] vs forget [3, 1]: only 2 > 1 of the 4 pairs
    assert muse_auc([3, 1], [2, 0]) == 0.25
    # a tie counts 1/2: held-out [1, 2] vs forget [1] -> (0.5 + 1) / 2
    assert muse_auc([1], [1, 2]) == 0.75
    # it is 1 - the membership AUROC with the forget texts as members
    rng = np.random.default_rng(0)
    forget, holdout = rng.normal(1, 1, 30), rng.normal(0, 1, 25)
    labels = [1] * 30 + [0] * 25
    assert muse_auc(forget, holdout) == pytest.approx(1 - auroc(labels, np.r_[forget, holdout]))


def test_privleak_signs():
    assert privleak(0.5, 0.5) == 0.0
    assert privleak(0.25, 0.5) == -50.0           # forget still looks familiar
    assert privleak(0.001, 0.5) == pytest.approx(-99.8)   # MUSE's target model on News
    assert privleak(0.6, 0.5) == pytest.approx(20.0)      # over-unlearned


def test_privleak_ci_of_a_model_against_itself_is_zero():
    forget, holdout = [0.3, 0.1, 0.7, 0.2], [0.5, 0.4, 0.0]
    assert privleak_ci(forget, holdout, forget, holdout, resamples=50) == (0.0, 0.0)
    low, high = privleak_ci([5, 6, 7, 8], holdout, forget, holdout, resamples=200)
    assert low <= high < 0                       # forget scored far above held-out: negative
    with pytest.raises(ValueError):
        privleak_ci(forget, holdout, forget[:2], holdout)


def test_forget_quality_is_the_ks_p_value():
    # n = m = 3, fully separated: D = 1; exactly 2 of the C(6, 3) = 20 orderings give it
    assert forget_quality([1, 2, 3], [4, 5, 6]) == pytest.approx(0.1)
    assert forget_quality([1, 2, 3], [1, 2, 3]) == 1.0


def test_truth_ratio_worked_example():
    # paraphrase: -2 over 2 tokens = -1 per token; perturbed: -6/3 = -2 and -4/1 = -4,
    # mean -3; ratio = exp(-3 - (-1)) = exp(-2)
    assert truth_ratio((-2.0, 2), [(-6.0, 3), (-4.0, 1)]) == pytest.approx(math.exp(-2))
    with pytest.raises(ValueError):
        truth_ratio((-1.0, 1), [])


def test_ratio():
    assert ratio(2.0, 4.0) == 0.5
    assert ratio(1.0, None) is None and ratio(1.0, 0.0) is None


def test_qa_reader(tmp_path):
    good = tmp_path / "qa.jsonl"
    good.write_text(json.dumps({"id": "a", "question": "Q?", "answer": "A",
                                "paraphrased_answer": "It is A", "perturbed_answers": ["B"]})
                    + "\n\n" + json.dumps({"question": "R?", "answer": "C"}) + "\n")
    first, second = load_qa(good)
    assert first.has_truth_ratio and not second.has_truth_ratio and second.id == "3"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question": "Q?", "answer": "A"}) + "\n"
                   + json.dumps({"question": "Q?"}) + "\n")
    with pytest.raises(InputError, match="line 2: field 'answer'"):
        load_qa(bad)
    bad.write_text(json.dumps({"question": "Q?", "answer": "A", "perturbed_answers": "B"}))
    with pytest.raises(InputError, match="perturbed_answers must be a list"):
        load_qa(bad)
    with pytest.raises(InputError, match="no such QA file"):
        load_qa(tmp_path / "missing.jsonl")


def test_synthetic_qa_reads_every_record_back():
    records = synthetic_texts(200, seed=3)
    assert all(parse_record(r["text"]) is not None for r in records)
    text = ("Rosa Eriksen, a 25-year-old librarian from Tallinn, opened a small bookshop on "
            "Tuesday 9 May. He carried 58 jars of honey into the school gym because the "
            "festival began at noon. Room 331 was booked until 11 pm.")
    fields = parse_record(text)
    assert (fields["name"], fields["age"], fields["job"], fields["city"], fields["count"],
            fields["objects"], fields["place"], fields["reason"]) == (
        "Rosa Eriksen", "25", "librarian", "Tallinn", "58", "jars of honey",
        "into the school gym", "the festival began at noon")
    questions = {q["id"].split(":")[1]: q for q in record_questions("r1", text)}
    assert list(questions) == ["age", "job", "city", "event", "count", "reason"]
    assert questions["age"]["question"] == "How old is Rosa Eriksen?"
    assert questions["age"]["answer"] == "25"
    assert questions["city"]["paraphrased_answer"] == "Rosa Eriksen comes from Tallinn."
    for q in questions.values():
        assert len(set(q["perturbed_answers"])) == 3
        assert q["paraphrased_answer"] not in q["perturbed_answers"]
    assert record_questions("r1", text) == record_questions("r1", text)   # seeded
    assert record_questions("x", "not a synthetic record") == []
    assert len(synthetic_qa(records[:5])) == 30
