"""Dataset inference: the split test wired as the paper's (fit on halves, Welch on the other
halves), its combination over seeds, the false-positive check, the feature list, and the
command (exit 2 on a small VAL before any model loads; resume; report)."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from _tiny_model import WORDS
from mnemoscope.cli import main
from mnemoscope.dataset_inference.audit import MIN_VALIDATION
from mnemoscope.dataset_inference.features import K_SWEEP, feature_signals
from mnemoscope.dataset_inference.linear_test import (InferenceConfig, dataset_inference_test,
                                                      false_positive_check, one_split)
from mnemoscope.runs import read_rows
from mnemoscope.types import Capabilities
from mnemoscope.verdicts.stats import welch_t_test_greater

TINY = [w for w in WORDS if w.isalpha()]


def test_one_split_is_welch_on_the_held_out_halves():
    """With one feature the fitted linear score is a positive affine map of it (suspect
    higher), and Welch's t is invariant under such maps: the split's p-value is Welch's
    on the raw feature of the halves the model was not fitted on."""
    rng = np.random.default_rng(0)
    suspect, validation = rng.normal(1.0, 1.0, (30, 1)), rng.normal(0.0, 1.0, (41, 1))
    result = one_split(suspect, validation, np.random.default_rng(5))
    order = np.random.default_rng(5)
    a, b = order.permutation(30), order.permutation(41)
    expected = welch_t_test_greater(suspect[a[15:], 0], validation[b[20:], 0])
    assert result["p_value"] == pytest.approx(expected["p_value"], rel=1e-9)
    assert result["t"] == pytest.approx(expected["t"], rel=1e-9)


def test_p_value_combines_the_splits_by_twice_the_median():
    rng = np.random.default_rng(1)
    suspect, validation = rng.normal(0.4, 1, (40, 3)), rng.normal(0, 1, (60, 3))
    result = dataset_inference_test(suspect, validation, splits=7, seed=3)
    assert len(result["split_p_values"]) == 7
    assert result["p_value"] == min(1.0, 2 * float(np.median(result["split_p_values"])))
    again = dataset_inference_test(suspect, validation, splits=7, seed=3)
    assert again["split_p_values"] == result["split_p_values"]          # seeded


def test_a_trained_set_is_found_and_an_untrained_one_is_not():
    rng = np.random.default_rng(2)
    validation = rng.normal(0, 1, (100, 5))
    trained = rng.normal(0, 1, (100, 5)) + np.array([1.0, 0, 0, 0, 0])
    assert dataset_inference_test(trained, validation, seed=0)["p_value"] < 1e-4
    fresh = rng.normal(0, 1, (100, 5))
    assert dataset_inference_test(fresh, validation, seed=0)["p_value"] > 0.05


def test_false_positive_check_uses_only_validation_halves():
    rng = np.random.default_rng(4)
    validation = rng.normal(0, 1, (60, 4))
    check = false_positive_check(validation, InferenceConfig(false_positive_repeats=40,
                                                             splits=5, seed=0))
    assert check["repeats"] == 40 and len(check["p_values"]) == 40
    assert check["rate"] == sum(p < 0.05 for p in check["p_values"]) / 40
    assert check["rate"] <= 0.05                # 2 x median is conservative under the null


def test_features_are_every_supported_signal_with_the_k_sweep():
    names = [s.column for s in feature_signals({}, Capabilities.LOGPROBS)]
    assert "loss" in names and "zlib" in names and "lowercase" in names
    assert not any(n.startswith("min_k_plus_plus") for n in names)      # needs vocab stats
    assert "reference" not in names                                       # needs a model
    assert [n for n in names if n.startswith("min_k")] == \
        ["min_k"] + [f"min_k(k={k})" for k in K_SWEEP if k != 0.2]
    full = [s.column for s in feature_signals({"reference_model": "x"},
                                              Capabilities.LOGPROBS | Capabilities.VOCAB_STATS)]
    assert "reference" in full and "min_k_plus_plus(k=0.6)" in full


def write(path, texts):
    path.write_text("".join(json.dumps({"id": f"r{i}", "text": t}) + "\n"
                            for i, t in enumerate(texts)), encoding="utf-8")
    return path


def sentences(n, seed):
    rng = random.Random(seed)
    return [" ".join(rng.choice(TINY) for _ in range(10)) for _ in range(n)]


def test_small_validation_set_exits_2_before_any_model_loads(tmp_path, capsys):
    suspect = write(tmp_path / "s.jsonl", sentences(20, 0))
    validation = write(tmp_path / "v.jsonl", sentences(MIN_VALIDATION - 1, 1))
    code = main(["-q", "dataset-inference", str(suspect), "--validation", str(validation),
                 "--model", str(tmp_path / "no-such-model"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert f"{MIN_VALIDATION - 1} texts" in err and f"at least {MIN_VALIDATION}" in err
    assert not (tmp_path / "o").exists()


def test_command_end_to_end_resumes_and_reports(tmp_path, tiny_model_dir, capsys):
    suspect = write(tmp_path / "s.jsonl", sentences(12, 0))
    validation = write(tmp_path / "v.jsonl", sentences(MIN_VALIDATION, 1))
    out = tmp_path / "di"
    argv = ["-q", "dataset-inference", str(suspect), "--validation", str(validation), "--model",
            str(tiny_model_dir), "--out", str(out), "--signals", "loss,zlib,min_k",
            "--splits", "4", "--false-positive-repeats", "5", "--bootstrap", "50",
            "--chunk-size", "16"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert {"p_value", "verdict", "n_suspect", "n_validation", "alpha",
            "false_positive_check"} <= set(summary)
    assert summary["n_suspect"] == 12 and summary["n_validation"] == MIN_VALIDATION
    assert summary["verdict"] in ("trained on this data", "no evidence")
    assert summary["false_positive_check"]["repeats"] == 5
    assert summary["features"] == ["loss", "zlib", "min_k"]
    assert f"p = {summary['p_value']:.3g}" in printed
    rows = read_rows(out)
    assert sorted(rows["id"])[:2] == ["suspect:r0", "suspect:r1"] and len(rows) == 52
    parts = sorted(p.name for p in (out / "parts").glob("*.parquet"))
    assert main(argv) == 0                                   # resumed: nothing recomputed
    assert sorted(p.name for p in (out / "parts").glob("*.parquet")) == parts
    assert json.loads((out / "summary.json").read_text())["p_value"] == summary["p_value"]
    page = (out / "report.html").read_text()
    assert "<h2>Dataset inference</h2>" in page and "False-positive check" in page
    capsys.readouterr()
    skipped = [str(tmp_path / "di2") if a == str(out) else a for a in argv]
    assert main(skipped + ["--false-positive-repeats", "0"]) == 0      # the last one wins
    assert "false-positive check: skipped" in capsys.readouterr().out


def test_distribution_check_warns_when_the_sets_differ_in_text():
    import pandas as pd

    from mnemoscope.dataset_inference.audit import DatasetInferenceSpec, _blind_check
    from mnemoscope.data import DataConfig

    texts = {f"suspect:{i}": t + " in 1999" for i, t in enumerate(sentences(30, 0))}
    texts.update({f"validation:{i}": t + " in 2024" for i, t in enumerate(sentences(30, 1))})
    rows = pd.DataFrame({"id": sorted(texts)})
    labels = np.array([int(i.startswith("suspect")) for i in rows["id"]])
    spec = DatasetInferenceSpec(suspect=DataConfig("s"), validation=DataConfig("v"), out="o",
                                bootstrap=100)
    check = _blind_check(rows, labels, texts, spec)
    assert check["warning"] is True and check["blind_auroc"] == 1.0
    assert check["blind_permutation_p_value"] == 0.05
    assert check["message"].startswith("a text-only classifier tells the suspect texts from "
                                       "the validation texts (AUROC 1.00")
