"""`mnemoscope bench` end to end: generate -> eval (resumable run) -> limem, on a scripted
model (exact outcomes) and on the tiny random-init model (the real loading path)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import mnemoscope.cli as cli
from mnemoscope.benchmarks import generate, perturb, read_items, write_items
from mnemoscope.benchmarks.harness import EvalSpec, run_eval
from mnemoscope.benchmarks.limem import limem, limem_score
from mnemoscope.types import Capabilities


def bench(*args: str) -> int:
    return cli.main(["-q", "bench", *args])


class ScriptedModel:
    """Answers from a prompt -> reply table (the gold answer unless told otherwise)."""

    name = "scripted"
    capabilities = Capabilities.GENERATE

    def __init__(self, replies: dict[str, str], fail_after: int | None = None) -> None:
        self.replies, self.fail_after, self.calls, self.prompts = replies, fail_after, 0, 0

    def identity(self):
        return {"name": self.name}

    def generate(self, prompts, *, max_new_tokens, n=1, temperature=0.0, seed=None):
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise KeyboardInterrupt   # a crash halfway through the run
        self.prompts += len(prompts)
        return [[self.replies.get(p.strip(), "I do not know")] for p in prompts]


def _write(path: Path, items) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        write_items(items, handle)
    return path


def test_generate_writes_items_to_stdout_and_file(tmp_path, capsys):
    assert bench("generate", "kk", "--n", "4", "--seed", "3", "--level", "3") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(x)["id"] for x in lines] == [f"kk-p3-s3-{i:05d}" for i in range(4)]
    out = tmp_path / "cx.jsonl"
    assert bench("generate", "complexity", "--n", "5", "-o", str(out)) == 0
    assert len(read_items(out)) == 10                      # each ID item has an OOD twin
    assert bench("generate", "randomcalc", "--n", "2", "--level", "30") == 2
    assert "0 to 20" in capsys.readouterr().err


def test_scripted_model_scores_are_exact_and_the_run_resumes(tmp_path):
    items = generate("kk", 6, 0, level=2) + generate("randomcalc", 4, 0, level=1) + \
        generate("complexity", 5, 0)
    path = _write(tmp_path / "items.jsonl", items)
    replies = {}
    for k, item in enumerate(items):     # right on even positions, wrong on odd ones
        if k % 2 == 0:
            gold = item.meta.get("answer") or (
                f"Answer: {item.gold}" if not isinstance(item.gold, list)
                else "Answer: " + ", ".join(map(str, item.gold)))
            replies[item.prompt] = gold
    out = tmp_path / "run"
    spec = EvalSpec(items=str(path), out=str(out), chunk_size=3, progress=False, report=False)
    with pytest.raises(KeyboardInterrupt):
        run_eval(spec, model=ScriptedModel(replies, fail_after=2))
    assert len(pd.read_parquet(out / "parts")) == 6      # two chunks were kept
    model = ScriptedModel(replies)
    result = run_eval(spec, model=model)
    rows = pd.read_parquet(out / "parts")
    assert sorted(rows["id"]) == sorted(i.id for i in items)
    expected = {item.id: k % 2 == 0 for k, item in enumerate(items)}
    assert dict(zip(rows["id"], rows["correct"])) == expected
    assert result.summary["n_items"] == len(items)
    assert result.summary["accuracy"] == pytest.approx(sum(expected.values()) / len(items))
    assert "complexity" in result.summary and "gap" in result.summary["complexity"]
    assert model.prompts == len(items) - 6               # only the unanswered items
    assert "accuracy" in result.table()


def test_limem_command_per_perturbation_type(tmp_path, capsys):
    originals = generate("kk", 8, 1, level=3)
    leaf = perturb(originals, "leaf", 0)
    names = perturb(originals, "names", 0)
    # A "memorizer" that solves every original and repeats its answers: it fails every leaf
    # perturbation (the solution changed) and solves names twins only where it was given the
    # right answer.
    replies = {i.prompt: i.meta["answer"] for i in originals}
    replies.update({i.prompt: i.meta["answer"] for i in names[:4]})
    for twin in leaf:
        source = next(o for o in originals if o.id == twin.source_id)
        replies[twin.prompt] = source.meta["answer"]
    model = ScriptedModel(replies)
    orig_path = _write(tmp_path / "orig.jsonl", originals)
    pert_path = _write(tmp_path / "pert.jsonl", leaf + names)
    for path, out in ((orig_path, "run_o"), (pert_path, "run_p")):
        run_eval(EvalSpec(items=str(path), out=str(tmp_path / out), progress=False,
                          report=False), model=model)
    results = {r.perturbation: r for r in limem(tmp_path / "run_o", tmp_path / "run_p")}
    assert results["leaf"].accuracy == 1.0 and results["leaf"].consistency == 0.0
    assert results["leaf"].limem == 1.0
    assert results["names"].consistency == pytest.approx(4 / len(names))
    assert results["names"].limem == pytest.approx(1 - 4 / len(names))
    out_json = tmp_path / "limem.json"
    assert bench("limem", str(tmp_path / "run_o"), str(tmp_path / "run_p"),
                 "--json", str(out_json)) == 0
    printed = capsys.readouterr().out
    assert "leaf" in printed and "names" in printed
    assert {r["perturbation"] for r in json.loads(out_json.read_text())} == {"leaf", "names"}


def test_limem_formula_worked_example():
    # 4 originals, 3 solved; of those 3, 1 still solved after perturbation.
    acc, cr, score = limem_score([True, True, True, False], [True, False, False, True])
    assert (acc, cr) == (0.75, pytest.approx(1 / 3))
    assert score == pytest.approx(0.75 * (1 - 1 / 3))
    assert limem_score([False, False], [True, True]) == (0.0, 0.0, 0.0)


def test_perturb_command(tmp_path, capsys):
    path = _write(tmp_path / "kk.jsonl", generate("kk", 5, 0, level=3))
    assert bench("perturb", str(path), "--type", "statement,roles") == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {r["perturbation"] for r in rows} == {"statement", "roles"}
    assert all(r["id"] == f"{r['source_id']}~{r['perturbation']}" for r in rows)
    assert bench("perturb", str(path), "--type", "ood") == 2
    assert "no perturbation 'ood'" in capsys.readouterr().err


def test_tiny_model_end_to_end_through_the_cli(tmp_path, tiny_model_dir, capsys):
    items = tmp_path / "items.jsonl"
    _write(items, generate("kk", 2, 0, level=2) + generate("randomcalc", 2, 0, level=0)
           + generate("complexity", 1, 0) + generate("wilt", 1, 0, max_tests=2))
    out = tmp_path / "run"
    args = ["eval", str(items), "--model", str(tiny_model_dir), "--out", str(out),
            "--max-new-tokens", "6", "--no-report"]
    assert bench(*args) == 0
    rows = pd.read_parquet(out / "parts")                 # plain Parquet, no mnemoscope needed
    assert len(rows) == 7 and set(rows["kind"]) == {"kk", "randomcalc", "complexity", "wilt"}
    assert rows["score"].between(0, 1).all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_items"] == 7 and "wilt" in summary
    spec = json.loads((out / "spec.json").read_text())
    assert spec["identity"]["kind"] == "bench" and spec["identity"]["chat_template"] is False
    assert bench(*args) == 0                              # resumed: nothing left to do
    assert len(pd.read_parquet(out / "parts")) == 7
    capsys.readouterr()
    assert bench(*args[:-3], "--max-new-tokens", "9") == 2   # another spec, same folder
    assert "different spec" in capsys.readouterr().err


def test_bad_items_file_exits_2_with_the_line(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "kind": "kk"}\n', encoding="utf-8")
    assert bench("eval", str(bad), "--out", str(tmp_path / "r")) == 2
    err = capsys.readouterr().err
    assert "line 1" in err and "missing field" in err
    assert bench("limem", str(tmp_path / "nope"), str(tmp_path / "nope2")) == 2
