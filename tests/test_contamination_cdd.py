"""CDD and TED: formulas on hand-worked token sequences, answer checkers, the audit through
a scripted model, resume after a crash, and the CLI on a tiny random model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _contamination_stubs import WordModel, write_jsonl

from mnemoscope.cli import main
from mnemoscope.contamination import cdd as cdd_module
from mnemoscope.contamination.answers import exact_checker, load_checker, numeric_checker
from mnemoscope.contamination.cdd import CDDConfig, CDDSpec, cdd, rows_for_chunk, run_cdd
from mnemoscope.contamination.peakedness import (flagged, peakedness, sample_distances,
                                                 ted_keep, ted_scores, token_distance)
from mnemoscope.data import DataConfig
from mnemoscope.runs import read_rows
from mnemoscope.types import InputError, Sample

GREEDY = list(range(1, 11))                       # 10 tokens
SAMPLES = [list(range(1, 11)),                    # identical: d = 0
           list(range(1, 10)) + [99],             # one substitution: d = 1
           [1, 2, 3],                             # seven deletions: d = 7
           list(range(1, 21))]                    # ten insertions: d = 10, and l = 20


def test_distances_are_token_levenshtein_and_l_is_the_longest_output():
    distances, longest = sample_distances(GREEDY, SAMPLES)
    assert distances == [0, 1, 7, 10]
    assert longest == 20
    # token ids, not characters: two long "words" that differ count once
    assert token_distance([100000, 200000], [100000, 200001]) == 1


def test_peakedness_is_a_share_within_alpha_l():
    distances, longest = sample_distances(GREEDY, SAMPLES)
    # alpha * l = 0.05 * 20 = 1: samples 1 and 2 are within -> 2 of 4
    assert peakedness(distances, longest, 0.05) == 0.5
    assert flagged(0.5, 0.01) and not flagged(0.5, 0.5)          # strictly above xi
    # real-world preset: alpha = 0 keeps exact copies only -> 1 of 4 = 0.25 > 0.2
    peak = peakedness(distances, longest, 0.0)
    assert peak == 0.25 and flagged(peak, 0.2)
    assert peakedness([], 0, 0.05) == 0.0


def test_only_the_first_compare_tokens_count():
    distances, longest = sample_distances(GREEDY, SAMPLES, compare_tokens=5)
    assert distances == [0, 0, 2, 0] and longest == 5
    # alpha * l = 0.25: d = 0 only -> 3 of 4
    assert peakedness(distances, longest, 0.05) == 0.75


def test_alpha_times_l_rounding_does_not_drop_a_sample():
    assert 0.29 * 100 < 29                              # 28.999999999999996 in floating point
    assert peakedness([29], 100, 0.29) == 1.0


def test_presets():
    assert (CDDConfig.preset("real-world").alpha, CDDConfig.preset("real-world").xi) == (0.0, 0.2)
    assert CDDConfig.preset("real-world", xi=0.3).xi == 0.3
    assert (CDDConfig().alpha, CDDConfig().xi) == (0.05, 0.01)
    with pytest.raises(InputError, match="preset"):
        CDDConfig.preset("paper")


def test_ted_drops_near_greedy_samples_then_duplicates():
    greedy = [1, 2, 3]
    samples = [[1, 2, 3], [1, 2, 3], [1, 2, 4], [7, 8, 9], [7, 8, 9], [5, 5, 5, 5, 5]]
    distances, _ = sample_distances(greedy, samples)
    assert distances == [0, 0, 1, 3, 3, 5]
    assert ted_keep(samples, distances, tau=2) == [3, 5]
    scores = ted_scores(samples, distances, [1, 1, 1, 0, 0, 1], tau=2)
    assert scores.original == pytest.approx(4 / 6)
    assert scores.corrected == pytest.approx(0.5)                 # (0 + 1) / 2
    assert (scores.kept, scores.removed_near_greedy, scores.removed_duplicates) == (2, 3, 1)
    # nothing kept: the item scores 0, as in the authors' code
    nothing = ted_scores([[1, 2, 3]] * 3, [0, 0, 0], [1, 1, 1])
    assert (nothing.original, nothing.corrected, nothing.kept) == (1.0, 0.0, 0)


def test_answer_checkers(tmp_path, monkeypatch):
    assert exact_checker("so it is blue. The answer is Blue.", "blue") == 1.0
    assert exact_checker("Paris\nmore text", "paris") == 1.0
    assert exact_checker("London", "Paris") == 0.0
    assert numeric_checker("6 * 7 = 42 apples. The answer is 42.", "42") == 1.0
    assert numeric_checker("The answer is 41", "42") == 0.0
    assert numeric_checker("it is 0.75", "3/4") == 1.0
    assert numeric_checker("no idea", "3") == 0.0
    assert numeric_checker("8 * 9 = 72 km, which is the answer.", "72") == 1.0
    # thousands separators: 7 * 24 * 60 = 10,080 minutes
    assert numeric_checker("The answer is 10,080 minutes.", "10080") == 1.0
    assert numeric_checker("In all, 1,080 beats", "1080") == 1.0
    assert numeric_checker("The answer is 1,234,567.", "1,234,567") == 1.0
    assert numeric_checker("The answer is 10,08.", "1008") == 0.0      # not a separator
    assert numeric_checker("pick 1,2,3; the answer is 3", "3") == 1.0
    (tmp_path / "mychecker.py").write_text(
        "def check(output, answer):\n    return answer in output\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    custom = load_checker("mychecker:check")
    assert custom("x 42 y", "42") == 1.0 and custom("x", "42") == 0.0
    with pytest.raises(InputError, match="cannot import"):
        load_checker("no_such_module_xyz:check")
    with pytest.raises(InputError, match="unknown answer checker"):
        load_checker("fuzzy")


PROMPTS = {"p1": "what is one plus one", "p2": "name a colour", "p3": "count to three"}


def scripted_model():
    # p1: memorized (every sample = greedy); p2: diverse samples; p3: half the samples close
    return WordModel(
        greedy={PROMPTS["p1"]: "the answer is 2", PROMPTS["p2"]: "red is a colour",
                PROMPTS["p3"]: "one two three four five six seven eight nine ten"},
        samples={PROMPTS["p1"]: ["the answer is 2"] * 4,
                 PROMPTS["p2"]: ["blue sky", "green grass grows", "it is 5", "a b c d"],
                 PROMPTS["p3"]: ["one two three four five six seven eight nine ten",
                                 "one two three four five six seven eight nine eleven",
                                 "alpha beta", "gamma delta epsilon"]})


def items_file(tmp_path, answers=True, labels=True):
    rows = []
    for key, prompt in PROMPTS.items():
        row = {"id": key, "text": prompt}
        if answers:
            row["answer"] = {"p1": "2", "p2": "red", "p3": "10"}[key]
        if labels:
            row["label"] = int(key == "p1")
        rows.append(row)
    return write_jsonl(tmp_path / "items.jsonl", rows)


def test_audit_rows_and_summary_on_a_scripted_model(tmp_path):
    result = cdd(str(items_file(tmp_path)), model=scripted_model(), out=str(tmp_path / "run"),
                 samples=4, checker="exact", progress=False)
    rows = result.rows.set_index("id")
    # p1: all four samples equal greedy -> peak 1; p2: l = 4, alpha*l = 0.2 -> none within
    # p3: l = 10, alpha*l = 0.5 -> only the exact copy -> 1/4
    assert rows.loc["p1", "peakedness"] == 1.0 and rows.loc["p1", "flagged"]
    assert rows.loc["p2", "peakedness"] == 0.0 and not rows.loc["p2", "flagged"]
    assert rows.loc["p3", "peakedness"] == 0.25 and rows.loc["p3", "longest"] == 10
    assert list(rows.loc["p3", "distances"]) == [0, 1, 10, 10]
    s = result.summary
    assert s["flagged_rate"] == pytest.approx(2 / 3)
    assert s["mean_peakedness"] == pytest.approx((1 + 0 + 0.25) / 3)
    assert s["by_label"]["member"]["flagged_rate"] == 1.0
    assert s["by_label"]["non_member"]["flagged_rate"] == 0.5
    # TED (exact match on the answer part): p1 all samples correct, none kept -> 0
    assert rows.loc["p1", "sample_accuracy"] == 1.0 and rows.loc["p1", "ted_accuracy"] == 0.0
    assert rows.loc["p1", "greedy_correct"] == 1.0 and rows.loc["p1", "ted_kept"] == 0
    ted = s["ted"]
    assert ted["original_accuracy"] == pytest.approx(1 / 3)
    assert ted["corrected_accuracy"] == 0.0 and ted["items_with_nothing_kept"] == 1
    assert ted["checker"] == "exact"
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert {"flagged_rate", "mean_peakedness", "ted"} <= set(summary)
    assert (tmp_path / "run" / "report.html").is_file()


def test_samples_are_one_batched_seeded_call_per_item(tmp_path):
    model = scripted_model()
    chunk = [Sample("p1", PROMPTS["p1"]), Sample("p2", PROMPTS["p2"])]
    config = CDDConfig(samples=4, seed=7)
    rows = rows_for_chunk(chunk, model, config)
    sampled = [c for c in model.calls if c[2] > 0]
    assert [(c[1], c[2]) for c in sampled] == [(4, 0.8), (4, 0.8)]      # n in one call each
    assert sampled[0][3] != sampled[1][3]                               # per-item seeds
    # the same item alone, or in another chunk, gives the same row
    again = rows_for_chunk([chunk[1]], scripted_model(), config)
    assert again[0] == rows[1]
    from mnemoscope.extraction.discoverable import sample_seed

    assert [c[3] for c in sampled] == [sample_seed(7, "p1"), sample_seed(7, "p2")]


def test_no_answer_column_skips_ted(tmp_path):
    result = cdd(str(items_file(tmp_path, answers=False, labels=False)), model=scripted_model(),
                 out=str(tmp_path / "run"), samples=4, progress=False, report=False)
    assert result.summary["ted"] is None and "by_label" not in result.summary
    assert "sample_accuracy" not in result.rows.columns


def test_bad_answers_fail_before_generation(tmp_path):
    path = write_jsonl(tmp_path / "items.jsonl", [{"id": "a", "text": "x y", "answer": "4"},
                                                  {"id": "b", "text": "y z"}])
    model = scripted_model()
    with pytest.raises(InputError, match="no 'answer'"):
        cdd(str(path), model=model, out=str(tmp_path / "r1"), progress=False)
    path = write_jsonl(tmp_path / "items2.jsonl", [{"id": "a", "text": "x y", "answer": "four"}])
    with pytest.raises(InputError, match="not a number"):
        cdd(str(path), model=model, out=str(tmp_path / "r2"), checker="numeric", progress=False)
    assert model.calls == []
    with pytest.raises(InputError, match="no row has the answer column"):
        cdd(str(path), model=model, out=str(tmp_path / "r3"), answer_column="gold", progress=False)


def test_resume_after_a_crash_redoes_nothing_finished(tmp_path, monkeypatch):
    data = items_file(tmp_path)
    spec = CDDSpec(data=DataConfig(str(data)), out=str(tmp_path / "run"),
                   cdd=CDDConfig(samples=4, checker="exact"), chunk_size=1, progress=False,
                   report=False)
    real = cdd_module.rows_for_chunk
    done = []

    def crash_after_first_chunk(chunk, *args, **kwargs):
        if done:
            raise KeyboardInterrupt("simulated crash")
        done.extend(s.id for s in chunk)
        return real(chunk, *args, **kwargs)

    monkeypatch.setattr(cdd_module, "rows_for_chunk", crash_after_first_chunk)
    with pytest.raises(KeyboardInterrupt):
        run_cdd(spec, model=scripted_model())
    assert len(read_rows(tmp_path / "run")) == 1
    monkeypatch.setattr(cdd_module, "rows_for_chunk", real)
    model = scripted_model()
    resumed = run_cdd(spec, model=model)
    assert {c[0] for c in model.calls} == {PROMPTS[k] for k in PROMPTS if k != done[0]}
    fresh = run_cdd(CDDSpec(**{**spec.__dict__, "out": str(tmp_path / "fresh")}),
                    model=scripted_model())
    assert resumed.summary == fresh.summary


def test_cli_on_a_tiny_model_end_to_end_and_resumes(tmp_path, tiny_model_dir, capsys):
    data = write_jsonl(tmp_path / "items.jsonl", [
        {"id": f"i{k}", "text": text, "answer": str(k), "label": k % 2}
        for k, text in enumerate(["the river is long", "a king and a song", "we go to the city",
                                  "my account pin is 4 2"])])
    out = tmp_path / "run"
    args = ["-q", "contamination", "cdd", str(data), "--model", str(tiny_model_dir), "--out",
            str(out), "-n", "5", "--max-new-tokens", "6", "--chunk-size", "2"]
    assert main(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ted"]["checker"] == "numeric"
    rows = read_rows(out)
    assert len(rows) == 4 and all(len(d) == 5 for d in rows["distances"])
    # By hand from the rows: an item's peakedness is the share of its 5 samples within
    # alpha * l = 0.05 * 6 tokens of the greedy output; flagged when above xi = 0.01.
    by_hand = [float(np.mean(np.asarray(d) <= 0.05 * longest))
               for d, longest in zip(rows["distances"], rows["longest"])]
    assert rows["peakedness"].tolist() == pytest.approx(by_hand)
    assert summary["mean_peakedness"] == pytest.approx(np.mean(by_hand))
    assert summary["flagged_rate"] == pytest.approx(np.mean(np.asarray(by_hand) > 0.01))
    # Pinned from this seeded run (tiny model seed 0, sampling seeded per item): only "we go
    # to the city" has a sample equal to its greedy output (distances 0, 2, 3, 6, 6), so one
    # item in four is flagged with peakedness 1/5.
    assert summary["flagged_rate"] == 0.25
    assert summary["mean_peakedness"] == pytest.approx(0.2 / 4, rel=1e-12)
    assert (out / "report.html").is_file()
    assert main(args) == 0                     # resumed: nothing left to do, same summary
    assert json.loads((out / "summary.json").read_text()) == summary
    assert main(args[:-4] + ["-n", "3", "--chunk-size", "2"]) == 2      # another spec: refused
    assert "different spec" in capsys.readouterr().err
