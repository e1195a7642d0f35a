"""The bench scripts that turn finished runs into the README's tables: the knowledge table
(two runs side by side) and the unlearning methods table, on hand-made summaries; and the
parity bench's run names and its refusal to rewrite another size's sets."""

from __future__ import annotations

import json

import pytest

from _bench import bench_module as _module


def _knowledge_summary(reliability: list[float], training_texts: int) -> dict:
    def epoch(e, value, n=4):
        return {"epoch": e, "n": n, "exact": value, "exact_ci": [value / 2, 1.0],
                "lenient": value, "lenient_ci": [0.0, 1.0]}
    return {"epochs": 1, "training_texts": training_texts,
            "training": {"steps": 3, "final_loss": 0.5},
            "base_at_chance": {"reliability/cloze": True},
            "probes": {"reliability/cloze": {"format": "cloze", "chance": 0.0, "by_epoch": [
                epoch(e, v) for e, v in enumerate(reliability)]},
                "locality/general": {"format": "cloze", "chance": 0.0, "by_epoch": [
                    epoch(0, 1.0, 30), epoch(1, 0.1, 30)]}},
            "gaps": {"reliability - generality/qa": [
                {"epoch": 0, "gap": 0.0, "ci": [0.0, 0.0]},
                {"epoch": 1, "gap": 0.25, "ci": [-0.1, 0.5]}]},
            "membership": {"loss": {"auroc": 0.9375, "auroc_ci": [0.8125, 1.0]}}}


def test_knowledge_table_puts_two_runs_side_by_side():
    table = _module("knowledge_table").table(
        [_knowledge_summary([0.0, 0.25], 4), _knowledge_summary([0.0, 0.75], 8)],
        ["plain", "para."])
    lines = table.splitlines()
    assert lines[0] == ("| probe (n) | chance | plain e0 | e1 | para. e0 | e1 | plain e1 95% CI "
                        "| para. e1 95% CI |")
    assert lines[2] == ("| reliability/cloze (4) | 0.00 | 0.00 | 0.25 | 0.00 | 0.75 | "
                        "[0.12, 1.00] | [0.38, 1.00] |")
    assert "| gap: reliability - generality/qa |  | +0.00 | +0.25 | +0.00 | +0.25 | " \
           "[-0.10, +0.50] | [-0.10, +0.50] |" in lines
    assert "| general prompts still answered |  | 30/30 | 3/30 | 30/30 | 3/30 |  |  |" in lines
    assert lines[-1] == ("para.: 8 training texts, 3 steps, final loss 0.500; base at chance on "
                         "every invented-fact probe: True; membership AUROC: loss 0.938 "
                         "[0.812, 1.000]")


def _column(privleak, extraction=0.0):
    return {"verbmem": 0.5, "knowmem_forget": 0.25, "knowmem_retain": 0.125,
            "knowmem_retain_ratio": 0.5,
            "privleak": {"loss": {"privleak": privleak},
                         "min_k_plus_plus": {"privleak": privleak, "privleak_ci": [-1.0, 2.0]}},
            "forget_quality": {"statistic": "truth_ratio", "p_value": 0.5},
            "forget_quality_loss": 0.25, "retain_perplexity_ratio": 1.02,
            "forget_exact_extraction": extraction, "holdout_exact_extraction": 0.0,
            "fluency_holdout_perplexity_under_original": 1.5,
            "fluency_holdout_distinct_2": 0.99}


def test_unlearning_methods_table_and_run_names(tmp_path):
    parity = _module("unlearning_parity")
    assert parity.run_kind("ihl_fila", 10) == ("ihl", "fila", 10)
    assert parity.run_kind("gd_fila-40steps", 10) == ("gd", "fila", 40)
    for bad in ("ihl_fila-40", "nope"):
        with pytest.raises(SystemExit):
            parity.run_kind(bad, 10)
    judged = {"columns": {"original": _column(-100.0, 0.75), "unlearned": _column(3.0),
                          "retrained": _column(0.0)}}
    (tmp_path / "results_ihl_fila.json").write_text(json.dumps(
        {"steps": 5, "stopped": "parity", "judged": judged}))
    (tmp_path / "results_ga_fila-20steps.json").write_text(json.dumps(
        {"steps": 20, "stopped": "max_steps", "judged": judged}))
    lines = parity.methods_table(tmp_path, ["ihl_fila", "ga_fila-20steps", "missing"]).splitlines()
    assert lines[0] == ("| | memorizing model | IHL + FILA | GA + FILA (20 steps) | retrained |")
    assert lines[2] == "| steps to parity | - | 5 | not reached in 20 | - |"
    assert "| PrivLeak % Min-K%++ [95% CI] | -100.0 [-1.0, +2.0] | +3.0 [-1.0, +2.0] | " \
           "+3.0 [-1.0, +2.0] | +0.0 [-1.0, +2.0] |" in lines
    assert "| retain perplexity change | +2.0% | +2.0% | +2.0% | +2.0% |" in lines


def test_parity_bench_refuses_to_rewrite_sets_of_another_size(tmp_path):
    parity = _module("unlearning_parity")
    first = parity.make_sets(tmp_path, 2, 2, 2, 0)
    before = {name: path.read_text() for name, path in first.items()}
    assert parity.make_sets(tmp_path, 2, 2, 2, 0) == first        # the same sets: fine
    with pytest.raises(SystemExit, match="holds other texts"):
        parity.make_sets(tmp_path, 3, 3, 3, 0)
    assert {name: path.read_text() for name, path in first.items()} == before


def _lab_summary(timings: dict, loss: float, ci: list[float], exact: float) -> dict:
    return {"timings_s": timings, "loss": {"auroc": loss, "auroc_ci": ci},
            "extraction": {"exact_match_rate": {"all": exact}}}


def test_lab_profile_phases_shares_ratios_and_agreement(tmp_path, capsys):
    lab_profile = _module("lab_profile")
    before = _lab_summary({"training": 300.0, "calibration": 100.0, "exposure": 100.0,
                           "extraction": 300.0}, 0.80, [0.75, 0.85], 0.0)
    after = _lab_summary({"training": 150.0, "calibration": 100.0, "exposure": 50.0,
                          "extraction": 100.0}, 0.84, [0.80, 0.88], 0.0)
    table = lab_profile.phase_table([before, after], ["before", "after"], [810.0, 405.0])
    assert table.splitlines()[2:] == [
        "| training | 300.0 s (38%) | 150.0 s (38%) | 2.00x |",
        "| calibration | 100.0 s (12%) | 100.0 s (25%) | 1.00x |",
        "| exposure | 100.0 s (12%) | 50.0 s (12%) | 2.00x |",
        "| extraction | 300.0 s (38%) | 100.0 s (25%) | 3.00x |",
        "| sum of phases | 800.0 s | 400.0 s | 2.00x |",
        "| whole command (wall) | 810.0 s | 405.0 s | 2.00x |"]
    lines, ok = lab_profile.agreement(before, after)
    assert ok and lines[0] == "loss: 0.8000 [0.750, 0.850] vs 0.8400 inside the CI"
    after["loss"]["auroc"] = 0.86
    assert lab_profile.agreement(before, after)[1] is False
    after["loss"]["auroc"], after["extraction"]["exact_match_rate"]["all"] = 0.84, 0.01
    assert lab_profile.agreement(before, after)[1] is False
    for name, summary in (("a", before), ("b", after)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "summary.json").write_text(json.dumps(summary))
    assert lab_profile.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert "the two labs DIFFER" in capsys.readouterr().out
    (tmp_path / "taken").mkdir()
    with pytest.raises(SystemExit, match="exists; give a new folder"):
        lab_profile.main(["--synthetic", "4", "--out", str(tmp_path / "taken")])
