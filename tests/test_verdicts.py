"""Verdicts that hold up (docs/verdicts.md): every statistic on a hand-worked example,
cross-fitting that cannot see its own labels, the split check's rule, the combined
weights as JSON, and the example set's warning (a regression test)."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from mnemoscope.metrics import auroc, summarize_signal
from mnemoscope.types import InputError
from mnemoscope.verdicts.calibration import (WEIGHTS_FILE, apply_weights, fit_weights,
                                             load_weights, save_weights)
from mnemoscope.verdicts.classifiers import (blind_fit_predict, fit_signal_model,
                                             text_and_signals_fit_predict)
from mnemoscope.verdicts.crossfit import TooFewLabelled, fold_indices, out_of_fold
from mnemoscope.verdicts.split_check import split_check
from mnemoscope.verdicts.stats import (median_p_value, paired_auroc_difference_ci, reliability,
                                       welch_t_test_greater)
from mnemoscope.verdicts.summary import (VerdictConfig, best_name, blind_permutation_p_value,
                                        labelled_verdicts)
from mnemoscope.verdicts.text_features import simple_features

from conftest import EXAMPLE

FIXTURE = Path(__file__).parent / "fixtures" / "verdicts" / "famous_vs_fresh_scores.json"


# ------------------------------------------------------------------ statistics, by hand
def test_welch_t_test_worked_example_and_scipy():
    # a = 1,2,3,4: mean 2.5, s^2 = 5/3, s^2/n = 5/12; b = 0,1,2: mean 1, s^2 = 1, s^2/n = 1/3
    # t = 1.5 / sqrt(5/12 + 1/3) = 1.5 / sqrt(0.75) = 1.7320508
    # df = 0.75^2 / ((5/12)^2 / 3 + (1/3)^2 / 2) = 0.5625 / (0.0578704 + 0.0555556) = 4.959184
    result = welch_t_test_greater([1, 2, 3, 4], [0, 1, 2])
    assert result["t"] == pytest.approx(math.sqrt(3))
    assert result["df"] == pytest.approx(0.5625 / (25 / 432 + 1 / 18))
    assert result["mean_difference"] == 1.5
    from scipy.stats import ttest_ind

    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = rng.normal(0.3, 1.0, rng.integers(3, 40)), rng.normal(0, 2.0, rng.integers(3, 40))
        expected = ttest_ind(a, b, equal_var=False, alternative="greater")
        got = welch_t_test_greater(a, b)
        assert got["p_value"] == pytest.approx(expected.pvalue, rel=1e-10)
        assert got["t"] == pytest.approx(expected.statistic, rel=1e-10)


def test_welch_t_test_edge_cases():
    assert welch_t_test_greater([2, 2], [1, 1])["p_value"] == 0.0
    assert welch_t_test_greater([1, 1], [1, 1])["p_value"] == 1.0
    with pytest.raises(ValueError):
        welch_t_test_greater([1], [1, 2])


def test_median_p_value_is_twice_the_median_capped_at_one():
    assert median_p_value([0.01, 0.04, 0.2]) == pytest.approx(0.08)
    assert median_p_value([0.01, 0.03, 0.05, 0.2]) == pytest.approx(0.08)   # median 0.04
    assert median_p_value([0.6, 0.7]) == 1.0


def test_paired_bootstrap_of_an_auroc_difference():
    labels = np.array([0, 0, 0, 1, 1, 1])
    perfect = np.array([1.0, 2, 3, 4, 5, 6])
    # same scores: every resample's difference is exactly 0
    assert paired_auroc_difference_ci(labels, perfect, perfect, resamples=200) == (0.0, 0.0)
    # perfect (AUROC 1) against reversed (AUROC 0): 1 in every resample with both classes
    assert paired_auroc_difference_ci(labels, perfect, -perfect, resamples=200) == (1.0, 1.0)
    # against a direct loop over the same seeded resamples
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=30), rng.normal(size=30)
    y = np.array([0, 1] * 15)
    draws = np.random.default_rng(7)
    manual = []
    for _ in range(300):
        pick = draws.integers(0, 30, 30)
        if len(set(y[pick])) == 2:
            manual.append(auroc(y[pick], a[pick]) - auroc(y[pick], b[pick]))
    low, high = paired_auroc_difference_ci(y, a, b, resamples=300, seed=7)
    assert (low, high) == pytest.approx(tuple(np.percentile(manual, [2.5, 97.5])))


def test_reliability_worked_example():
    # 2 bins: [0.1, 0.2] -> predicted 0.15, observed 1/2; [0.8, 0.9] -> 0.85, observed 1
    # ECE = 2/4 * |0.5 - 0.15| + 2/4 * |1 - 0.85| = 0.175 + 0.075 = 0.25
    # Brier = (0.01 + 0.64 + 0.04 + 0.01) / 4 = 0.175
    table = reliability([0, 1, 1, 1], [0.1, 0.2, 0.8, 0.9], bins=2)
    assert table["ece"] == pytest.approx(0.25)
    assert table["brier"] == pytest.approx(0.175)
    assert [(b["n"], b["mean_predicted"], b["observed_rate"]) for b in table["bins"]] == \
        [(2, pytest.approx(0.15), 0.5), (2, pytest.approx(0.85), 1.0)]
    assert reliability([1], [1.0], bins=10)["bins"][0]["low"] == 0.9    # p = 1 in the last bin


def test_simple_features_worked_example():
    text = "In 1999 and 2024, on 1 March 2024: a b a."
    features = simple_features(text)
    words = ["in", "1999", "and", "2024", "on", "1", "march", "2024", "a", "b", "a"]
    assert features == pytest.approx([
        math.log1p(len(text)), math.log1p(11),
        13.0,                         # digits: 4 + 4 + 1 + 4
        3.0,                          # years: 1999, 2024, 2024
        1.0,                          # dates: "1 March 2024"
        2024 - 1600.0,                # the latest year named
        3 / len(text),                # , : .
        len(set(words)) / 11])
    assert simple_features("")[5] == 0.0 and simple_features("")[7] == 0.0


# ------------------------------------------------------------------ cross-fitting
def test_no_fold_sees_its_own_labels():
    """A model that memorises the labels it is given scores a text it has seen 0 or 1 and
    one it has not 0.5. Out of fold, every score is therefore exactly 0.5: one leaked label
    would move the AUROC off 0.5."""
    rng = np.random.default_rng(0)
    labels = rng.permutation([0, 1] * 20)

    def memoriser(train, train_labels, test):
        seen = dict(zip(train.tolist(), train_labels.tolist()))
        assert not set(test.tolist()) & set(seen)
        assert np.array_equal(train_labels, labels[train])
        return np.array([seen.get(i, 0.5) for i in test.tolist()])

    scores = out_of_fold(memoriser, labels, folds=5, repeats=3, seed=1)
    assert np.all(scores == 0.5)
    assert auroc(labels, scores) == 0.5

    def leaky(train, train_labels, test):              # what out_of_fold must never do
        return labels[test].astype(float)

    assert auroc(labels, out_of_fold(leaky, labels)) == 1.0   # the check would catch it


def test_folds_are_stratified_seeded_and_cover_every_text_once():
    labels = np.array([0] * 12 + [1] * 8)
    folds = fold_indices(labels, 5, seed=4)
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested.tolist()) == list(range(20))
    assert all(set(labels[test]) == {0, 1} for _, test in folds)
    again = fold_indices(labels, 5, seed=4)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(folds, fold_indices(labels, 5, 5)))
    assert len(fold_indices(np.array([0, 0, 0, 1, 1, 0]), 5, 0)) == 2      # k <= smaller class
    with pytest.raises(TooFewLabelled):
        fold_indices(np.array([0, 0, 0, 1]), 5, 0)


def _unique_words(n: int) -> list[str]:
    """n distinct six-letter words: the same length, no digit or punctuation, so their
    simple features are identical and only TF-IDF could tell them apart."""
    letters = "abcdefghij"
    return ["".join(w) for w in itertools.islice(itertools.product(letters, repeat=6), n)]


@pytest.mark.parametrize("with_signals", [False, True])
def test_text_classifiers_cannot_learn_a_test_fold(with_signals):
    """Each text is one word seen nowhere else. Fitted on its training fold only, the
    TF-IDF part knows no test word and the simple features are equal: every out-of-fold
    score is the same, AUROC exactly 0.5. A vectorizer or model fitted on the test texts
    with their labels would separate them perfectly."""
    texts = _unique_words(40)
    labels = np.array([0, 1] * 20)
    if with_signals:
        fit_predict = text_and_signals_fit_predict(texts, np.zeros((40, 2)))
    else:
        fit_predict = blind_fit_predict(texts)
    scores = out_of_fold(fit_predict, labels, folds=5, seed=0)
    assert auroc(labels, scores) == 0.5
    leaked = fit_predict(np.arange(40), labels, np.arange(40))    # fitted on everything
    assert auroc(labels, leaked) == 1.0


# ------------------------------------------------------------------ the split check
def _summary(auroc_value, low, high):
    return {"auroc": auroc_value, "auroc_ci": [low, high]}


def test_split_check_rule():
    labels = np.array([0, 1] * 20)
    rng = np.random.default_rng(0)
    noise = rng.normal(size=40)
    # blind at chance (permutation p 0.6): a fair split, no warning even though the baseline
    # reaches every signal's lower bound and the model adds nothing
    fair = split_check(labels, noise, noise, {"loss": _summary(0.52, 0.40, 0.64)},
                       _summary(0.50, 0.41, 0.60), 0.6, resamples=100)
    assert fair["warning"] is False and "does not separate" in fair["message"]
    assert fair["model_gain"] == 0.0 and fair["model_gain_ci"] == [0.0, 0.0]
    # the baseline separates the classes and reaches the signal's lower bound
    separated = labels + 0.8 * noise
    shifted = split_check(labels, separated, separated, {"loss": _summary(0.83, 0.74, 0.92)},
                          _summary(0.78, 0.66, 0.88), 0.05, resamples=100)
    assert shifted["warning"] is True and shifted["signals_reached_by_blind"] == ["loss"]
    assert shifted["message"].startswith("a text-only classifier separates these members "
                                         "from non-members about as well as the model does "
                                         "(0.78 vs 0.83 for loss")
    # the baseline separates somewhat, the model adds a clear gain, no signal reached
    strong = labels * 10.0 + noise
    fine = split_check(labels, separated, strong, {"loss": _summary(0.99, 0.97, 1.0)},
                       _summary(0.60, 0.52, 0.68), 0.05, resamples=100)
    assert fine["warning"] is False and fine["model_gain_ci"][0] > 0
    # ... but a weak signal it reaches is named, and warned about
    weak = split_check(labels, separated, strong, {"loss": _summary(0.99, 0.97, 1.0),
                                                   "zlib": _summary(0.62, 0.50, 0.74)},
                       _summary(0.60, 0.52, 0.68), 0.05, resamples=100)
    assert weak["warning"] is True and weak["signals_reached_by_blind"] == ["zlib"]
    assert "zlib" in weak["message"] and "loss" in weak["message"]


def test_blind_permutation_p_value_by_hand():
    """p = (1 + #{shuffled AUROC >= observed}) / 20. Unique one-word texts: every
    cross-fitted AUROC, observed or shuffled, is exactly 0.5, so p = 20/20. Texts that name
    their label: observed 1.0, and a shuffle reaches 1.0 only by reproducing the labels."""
    config = VerdictConfig(permutations=19)
    labels = np.array([0, 1] * 20)
    assert blind_permutation_p_value(_unique_words(40), labels, config) == 1.0
    named = [("old" if y == 0 else "new") + " " + w for y, w in zip(labels, _unique_words(40))]
    assert blind_permutation_p_value(named, labels, config) == 0.05


def _example():
    rows = json.loads(FIXTURE.read_text())["rows"]
    texts = {json.loads(line)["id"]: json.loads(line)["text"]
             for line in EXAMPLE.read_text().splitlines()}
    columns = ["loss", "zlib", "lowercase", "min_k", "min_k_plus_plus"]
    labels = np.array([r["label"] for r in rows])
    signals = {c: np.array([r[c] for r in rows]) for c in columns}
    summaries = {c: summarize_signal(labels, signals[c]) for c in columns}
    return [texts[r["id"]] for r in rows], labels, signals, summaries


def test_the_example_set_warns(tmp_path):
    """Regression: examples/famous_vs_fresh.jsonl with the embedded model's scores (saved in
    tests/fixtures/verdicts): loss 0.833 [0.742, 0.921], and a text-only classifier close
    behind. The split check must say so."""
    texts, labels, signals, summaries = _example()
    assert summaries["loss"]["auroc"] == 0.8325
    entries, frame = labelled_verdicts(texts, labels, signals, summaries, VerdictConfig())
    check = entries["split_check"]
    assert check["warning"] is True
    assert check["blind_auroc"] == pytest.approx(0.76125)
    assert check["model_gain"] == pytest.approx(0.085625)
    assert check["model_gain_ci"][0] < 0 < check["model_gain_ci"][1]
    assert check["message"].startswith("a text-only classifier separates these members from "
                                       "non-members about as well as the model does (0.76 vs "
                                       "0.83 for loss; model gain +0.09")
    assert list(frame.columns) == ["label", "combined", "blind_baseline", "text_and_signals"]
    combined = entries["combined"]
    assert combined["auroc"] == pytest.approx(0.84)
    assert combined["named_best"] is False and combined["best_single_signal"] == "loss"
    assert {"auroc", "auroc_ci", "tpr_at_1pct_fpr", "tpr_at_0.1pct_fpr"} <= set(combined)


def test_best_name_picks_combined_only_above_the_best_single_auroc():
    summary = {"loss": {"auroc": 0.8}, "zlib": {"auroc": 0.7},
               "combined": {"auroc": 0.9, "named_best": False}}
    assert best_name(summary, ["loss", "zlib"]) == "loss"
    summary["combined"]["named_best"] = True
    assert best_name(summary, ["loss", "zlib"]) == "combined"


def test_too_few_labelled_texts_give_a_reason_not_a_crash():
    entries, frame = labelled_verdicts(["a", "b", "c"], [0, 0, 1], {"loss": np.ones(3)},
                                       {"loss": {"auroc": 0.5, "auroc_ci": [0.5, 0.5]}})
    assert frame is None and entries["split_check"]["warning"] is None
    assert "at least 2 members" in entries["split_check"]["message"]


# ------------------------------------------------------------------ combined weights
def test_apply_weights_worked_example():
    # z = ((3 - 1) / 2, (6 - 2) / 4) = (1, 1); logit = 0.5 + 1 - 1 = 0.5
    weights = {"mean": [1.0, 2.0], "scale": [2.0, 4.0], "coef": [1.0, -1.0], "intercept": 0.5}
    assert apply_weights(weights, np.array([[3.0, 6.0]]))[0] == pytest.approx(
        1 / (1 + math.exp(-0.5)))


def test_saved_weights_reproduce_the_fitted_model_and_refuse_bad_files(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.array([0, 1] * 30)
    signals = np.column_stack([labels + rng.normal(size=60), rng.normal(size=60)])
    weights = fit_weights(signals, labels, ["loss", "zlib"], model={"file_hash": "abc"})
    save_weights(tmp_path, weights)
    loaded = load_weights(tmp_path)
    assert loaded["columns"] == ["loss", "zlib"] and loaded["lab"] == str(tmp_path)
    scaler, model = fit_signal_model(signals, labels)
    np.testing.assert_allclose(apply_weights(loaded, signals),
                               model.predict_proba(scaler.transform(signals))[:, 1], rtol=1e-12)
    text = (tmp_path / WEIGHTS_FILE).read_text()
    assert json.loads(text)["format"] == "mnemoscope.combined_weights/1"
    (tmp_path / WEIGHTS_FILE).write_text(text.replace('"coef": [', '"coef": [1.0, '))
    with pytest.raises(InputError, match="damaged"):
        load_weights(tmp_path)
    with pytest.raises(InputError, match="no combined_weights.json"):
        load_weights(tmp_path / "elsewhere")


@pytest.mark.integration
def test_the_example_set_warns_on_the_embedded_model(tmp_path, real_model):
    """The same, end to end: `score` on the example with the embedded model."""
    import mnemoscope

    result = mnemoscope.score(str(EXAMPLE), model=real_model, out=str(tmp_path / "run"),
                              progress=False, report=False, save_tokens=False)
    check = result.summary["split_check"]
    assert result.summary["loss"]["auroc"] == pytest.approx(0.8325, abs=1e-3)
    assert check["warning"] is True
    assert check["model_gain_ci"][0] < 0 < check["model_gain_ci"][1]
    assert "WARNING: a text-only classifier separates" in result.table()
