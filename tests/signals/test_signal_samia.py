"""SaMIA: ROUGE-1 recall and the zlib weighting by hand, the split, and runs on the tiny
HF model and through the OpenAI-compatible backend of a real llama-cpp server."""

from __future__ import annotations

import json
import zlib

import pytest

from mnemoscope.signals import Context, parse_signal
from mnemoscope.signals.samia import SaMIA, Samples, rouge_n_recall, split_in_half
from mnemoscope.types import InputError


def test_samia_worked_example():
    # reference words: the river ran past the mill (6)
    # sample 1: "the river ran fast" -> cut to 6 words (4): the, river, ran match -> 3/6
    # sample 2: "a mill by the the river" -> the (x1 of 2), river, mill match, 'the' clipped
    #           by the reference's two -> the, the, river, mill = 4/6
    ctx = Context(views={"samples": Samples(" the river ran past the mill",
                                            (" the river ran fast", " a mill by the the river"))})
    assert SaMIA()(None, ctx) == pytest.approx((3 / 6 + 4 / 6) / 2)
    z1 = len(zlib.compress(b"the river ran fast"))
    z2 = len(zlib.compress(b"a mill by the the river"))
    assert SaMIA(zlib=True)(None, ctx) == pytest.approx((3 / 6 * z1 + 4 / 6 * z2) / 2)


def test_rouge_bigrams_and_cut():
    assert rouge_n_recall("a b c".split(), "a b c d".split(), n=2) == pytest.approx(2 / 3)
    # a sample longer than the reference is cut to its length: no recall bought by length
    ctx = Context(views={"samples": Samples("x y", ("z z z x y",))})
    assert SaMIA()(None, ctx) == 0.0


def test_split_keeps_the_original_spacing():
    assert split_in_half("One two\nthree  four five") == ("One two", "\nthree  four five")
    assert split_in_half("alone") == ("alone", "")


@pytest.mark.parametrize("spec, message", [("samia(n=0)", "n must be"),
                                           ("samia(zlib=1)", "zlib must be True or False")])
def test_bad_parameters(spec, message):
    with pytest.raises(InputError, match=message):
        parse_signal(spec)


def _data(path, n=6):
    words = "the river city king old night song water stone field road house light".split()
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            text = " ".join(words[i:] + words[:i])
            handle.write(json.dumps({"id": f"s{i}", "text": text, "label": i % 2}) + "\n")
    return path


def test_score_on_the_tiny_model_is_seeded_per_id(tmp_path, tiny_model_dir):
    from mnemoscope.cli import main
    from mnemoscope.runs import read_rows

    data = _data(tmp_path / "d.jsonl")
    runs = []
    for chunk in ("6", "2"):
        out = tmp_path / f"run{chunk}"
        assert main(["-q", "score", str(data), "--model", str(tiny_model_dir), "--out", str(out),
                     "--signals", "samia,samia(zlib=True)", "--samia-samples", "3",
                     "--chunk-size", chunk, "--bootstrap", "20", "--no-report"]) == 0
        runs.append(read_rows(out).set_index("id").sort_index())
    assert (runs[0]["samia_samples"].map(len) == 3).all()
    assert runs[0]["samia_samples"].map(list).tolist() == runs[1]["samia_samples"].map(list).tolist()
    assert "n_tokens" not in runs[0].columns           # no scoring pass was made
