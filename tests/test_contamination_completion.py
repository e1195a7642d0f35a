"""Partial-prompt completion: cut points, target truncation, the ROUGE-L exact-match rule,
the audit through a scripted model, resume, and the CLI on a tiny random model."""

from __future__ import annotations

import json

import pytest
from _contamination_stubs import WordModel, write_jsonl

from mnemoscope.cli import main
from mnemoscope.contamination import completion as completion_module
from mnemoscope.contamination.completion import (CompletionConfig, CompletionSpec,
                                                 partial_completion, run_completion)
from mnemoscope.contamination.prefix import cut_point, rouge_l, score_completion, split_text
from mnemoscope.data import DataConfig
from mnemoscope.runs import read_rows
from mnemoscope.types import InputError

FOX = "The quick brown fox jumps over the lazy dog."      # 44 characters


def test_cut_points_move_forward_to_a_word_boundary():
    assert len(FOX) == 44
    # 0.4: floor(17.6) = 17 is the "o" of "fox" -> the space at 19
    assert cut_point(FOX, 0.4) == 19
    assert split_text(FOX, 0.4) == ("The quick brown fox", " jumps over the lazy dog.")
    assert split_text(FOX, 0.6)[0] == "The quick brown fox jumps over"        # 26 -> 30
    assert split_text(FOX, 0.8)[0] == "The quick brown fox jumps over the lazy"  # 35 -> 39
    # punctuation is a boundary too: floor(12 * 0.3) = 3 -> the comma at 5
    assert split_text("Hello, world", 0.3) == ("Hello", ", world")
    # a cut already on a space stays; no boundary left -> the whole text
    assert cut_point("ab cd", 0.4) == 2
    assert cut_point("abcdef", 0.5) == 6


def test_target_is_the_remainder_truncated_to_the_prediction_words():
    remainder = " jumps over the lazy dog."
    short = score_completion(remainder, "jumps over")
    assert (short.compared_words, short.target) == (2, "jumps over")
    assert short.rouge_l == 1.0 and short.exact_match
    # a longer prediction is cut to the remainder's 5 words; LCS 4 of 5 -> P = R = F = 0.8
    long = score_completion(remainder, "jumps over a lazy dog. And then it slept")
    assert long.prediction == "jumps over a lazy dog." and long.compared_words == 5
    assert long.rouge_l == pytest.approx(0.8) and not long.exact_match
    empty = score_completion(remainder, "")
    assert (empty.rouge_l, empty.exact_match, empty.compared_words) == (0.0, False, 0)


def test_rouge_l_is_stemmed_and_exact_match_means_rouge_l_one():
    assert rouge_l("jumps over", "jumping over") == 1.0          # Porter: jump / jump
    assert rouge_l("jumps over", "jumping over", stem=False) == pytest.approx(0.5)
    # ROUGE-L tokenization ignores case and punctuation, so this is an exact match
    assert score_completion(" jumps over", "Jumps, over").exact_match
    assert not score_completion(" jumps over", "jumps under").exact_match


TEXTS = {"m1": "alpha beta gamma delta epsilon zeta eta theta iota kappa",
         "n1": "one two three four five six seven eight nine ten"}


def items(tmp_path):
    return write_jsonl(tmp_path / "items.jsonl", [
        {"id": k, "text": v, "label": int(k.startswith("m"))} for k, v in TEXTS.items()])


def test_audit_per_item_and_per_ratio(tmp_path):
    model = WordModel(memorized=[TEXTS["m1"]])
    result = partial_completion(str(items(tmp_path)), model=model, out=str(tmp_path / "run"),
                                progress=False)
    rows = result.rows.set_index("id")
    assert len(rows) == 6 and rows.loc["m1@0.6", "item_id"] == "m1"
    # 60% of 56 characters = 33 (inside "zeta") -> the space at 35
    assert rows.loc["m1@0.6", "cut_char"] == 35
    assert rows.loc["m1@0.6", "prefix"] == "alpha beta gamma delta epsilon zeta"
    assert rows.loc["m1@0.6", "exact_match"] and rows.loc["m1@0.6", "rouge_l"] == 1.0
    assert rows.loc["n1@0.4", "rouge_l"] == 0.0 and not rows.loc["n1@0.4", "exact_match"]
    s = result.summary
    assert s["rouge_l"] == {"0.4": 0.5, "0.6": 0.5, "0.8": 0.5}
    assert s["exact_match"] == {"0.4": 0.5, "0.6": 0.5, "0.8": 0.5}
    assert s["by_label"]["member"]["exact_match"]["0.8"] == 1.0
    assert s["by_label"]["non_member"]["rouge_l"]["0.4"] == 0.0
    # one greedy call per item, holding that item's three prefixes
    assert model.batches == [3, 3]
    assert (tmp_path / "run" / "report.html").is_file()


def test_config_is_validated():
    with pytest.raises(InputError, match="between 0 and 1"):
        CompletionConfig(ratios=(0.5, 1.0))
    with pytest.raises(InputError, match="repeat"):
        CompletionConfig(ratios=(0.5, 0.5))


def test_resume_after_a_crash(tmp_path, monkeypatch):
    spec = CompletionSpec(data=DataConfig(str(items(tmp_path))), out=str(tmp_path / "run"),
                          chunk_size=1, progress=False, report=False)
    real = completion_module.rows_for_chunk
    calls = []

    def crash_on_second_chunk(chunk, *args):
        calls.append(chunk[0].id)
        if len(calls) > 1:
            raise KeyboardInterrupt("simulated crash")
        return real(chunk, *args)

    monkeypatch.setattr(completion_module, "rows_for_chunk", crash_on_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        run_completion(spec, model=WordModel(memorized=[TEXTS["m1"]]))
    assert len(read_rows(tmp_path / "run")) == 3                 # one item, three ratios
    monkeypatch.setattr(completion_module, "rows_for_chunk", real)
    model = WordModel(memorized=[TEXTS["m1"]])
    resumed = run_completion(spec, model=model)
    assert model.batches == [3] and len(resumed.rows) == 6


def test_cli_on_a_tiny_model(tmp_path, tiny_model_dir):
    data = write_jsonl(tmp_path / "items.jsonl", [
        {"id": "a", "text": "the old king walked to the river and sang a long song"},
        {"id": "b", "text": "we need to find the road to the city before the night"}])
    out = tmp_path / "run"
    args = ["-q", "contamination", "completion", str(data), "--model", str(tiny_model_dir),
            "--out", str(out), "--ratios", "0.5,0.75", "--max-new-tokens", "12"]
    assert main(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["rouge_l"]) == {"0.5", "0.75"} == set(summary["exact_match"])
    assert summary["evaluable"] == {"0.5": 2, "0.75": 2}
    assert len(read_rows(out)) == 4 and (out / "report.html").is_file()
    assert main(args) == 0
