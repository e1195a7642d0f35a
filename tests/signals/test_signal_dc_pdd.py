"""DC-PDD: the calibrated mean by hand, the smoothing, the two table sources (wordfreq and
a corpus file) built once and cached, and a run that records the table's identity."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from mnemoscope.signals import Context
from mnemoscope.signals.dc_pdd import DCPDD
from mnemoscope.text.token_frequency import TokenFrequencies, load_or_build, smoothed
from mnemoscope.types import TokenScores


def test_dc_pdd_worked_example():
    # ids 5, 7, 5, 9: first occurrences at positions 0, 1, 3 (the second 5 is skipped)
    # f_5 = 0.01, f_7 = f_9 = 1e-4
    # 0.5 * ln 100 = 2.30 -> capped at 0.01; 0.001 * ln 1e4 = 0.00921; 0.002 * ln 1e4 = 0.0184 -> 0.01
    neg_log_freq = np.zeros(10)
    neg_log_freq[5], neg_log_freq[7], neg_log_freq[9] = math.log(100), math.log(1e4), math.log(1e4)
    s = TokenScores(np.array([5, 7, 5, 9], dtype=np.int32),
                    np.log(np.array([0.5, 0.001, 0.9, 0.002], dtype=np.float32)))
    ctx = Context(views={"token_frequency": TokenFrequencies(neg_log_freq, {})})
    assert DCPDD()(s, ctx) == pytest.approx((0.01 + 0.001 * math.log(1e4) + 0.01) / 3, rel=1e-5)
    assert DCPDD(a=10.0)(s, ctx) == pytest.approx(
        (0.5 * math.log(100) + 0.001 * math.log(1e4) + 0.002 * math.log(1e4)) / 3, rel=1e-5)


def test_laplace_smoothing_by_hand():
    # counts 3, 0, 1: total 4, V = 3 -> f = 4/7, 1/7, 2/7
    assert np.exp(-smoothed(np.array([3.0, 0.0, 1.0]))) == pytest.approx([4 / 7, 1 / 7, 2 / 7])


def test_ids_outside_the_table_say_why():
    with pytest.raises(ValueError, match="no real token ids"):
        TokenFrequencies(np.zeros(3), {}).lookup(np.array([-1, 0]))


@pytest.fixture
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_model_dir))


def test_wordfreq_table_is_built_once_and_cached(tokenizer, tmp_path, monkeypatch):
    monkeypatch.setenv("MNEMOSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    first = load_or_build(tokenizer)
    assert first.identity["source"] == "wordfreq" and first.identity["words"] > 100_000
    cached = list((tmp_path / "cache" / "token-frequencies").iterdir())
    again = load_or_build(tokenizer)
    assert again.identity == first.identity and list(cached[0].parent.iterdir()) == cached
    vocab = tokenizer.get_vocab()
    # 'the' is common, 'mountain' is not, '!' is in no wordfreq word (the smoothing floor)
    assert first.neg_log_freq[vocab["the"]] < first.neg_log_freq[vocab["mountain"]] \
        < first.neg_log_freq[vocab["!"]] == pytest.approx(first.neg_log_freq.max())


def test_corpus_table_counts_tokens(tokenizer, tmp_path, monkeypatch):
    monkeypatch.setenv("MNEMOSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the river the\n\nthe king\n", encoding="utf-8")
    table = load_or_build(tokenizer, [corpus])
    vocab, size = tokenizer.get_vocab(), len(table.neg_log_freq)
    total = 5 + size                               # 5 tokens counted, + V for the smoothing
    assert math.exp(-table.neg_log_freq[vocab["the"]]) == pytest.approx(4 / total)
    assert math.exp(-table.neg_log_freq[vocab["king"]]) == pytest.approx(2 / total)
    assert math.exp(-table.neg_log_freq[vocab["city"]]) == pytest.approx(1 / total)
    assert table.identity["source"] == "corpus" and table.identity["records"] == 2


def test_score_records_the_table_identity(tmp_path, tiny_model_dir, monkeypatch):
    from mnemoscope.cli import main
    from mnemoscope.runs import read_rows

    monkeypatch.setenv("MNEMOSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "d.jsonl"
    corpus = tmp_path / "corpus.jsonl"
    with open(data, "w", encoding="utf-8") as handle:
        for i, text in enumerate(["the old king", "a river in the night", "the city light",
                                  "stone house road"]):
            handle.write(json.dumps({"id": f"s{i}", "text": text, "label": i % 2}) + "\n")
    corpus.write_text(json.dumps({"text": "the king and the river"}) + "\n", encoding="utf-8")
    out = tmp_path / "run"
    assert main(["-q", "score", str(data), "--model", str(tiny_model_dir), "--out", str(out),
                 "--signals", "dc_pdd", "--freq-corpus", str(corpus), "--bootstrap", "20",
                 "--no-report"]) == 0
    identity = json.loads((out / "spec.json").read_text())["identity"]["views"]["token_frequency"]
    assert identity["source"] == "corpus" and identity["tokens"] == 5
    assert len(identity["sha256"]) == len(identity["table_sha256"]) == 64
    assert (read_rows(out)["dc_pdd"] > 0).all()
