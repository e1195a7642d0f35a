"""The extraction audit: measures on known strings through a stub model whose
continuations are fixed, label-split rates, PII recovery, and the run on a tiny model."""

from __future__ import annotations

import json

import pytest

from mnemoscope.data import DataConfig
from mnemoscope.extraction import audit as audit_module
from mnemoscope.extraction.audit import ExtractSpec, extract, run_extract
from mnemoscope.extraction.discoverable import DiscoverableConfig
from mnemoscope.runs import read_rows
from mnemoscope.types import Capabilities


class StubModel:
    """Words are tokens. It continues a prompt with the rest of whichever known text the
    prompt begins (a model that memorized exactly `memorized`), else with 'zz' tokens."""

    name = "stub"
    capabilities = Capabilities.LOGPROBS | Capabilities.GENERATE

    def __init__(self, memorized):
        self.vocab: dict[str, int] = {}
        self.memorized = [self.encode(t) for t in memorized]

    def encode(self, text):
        return [self.vocab.setdefault(w, len(self.vocab)) for w in text.split()]

    def decode(self, ids):
        words = {i: w for w, i in self.vocab.items()}
        return " ".join(words.get(i, "zz") for i in ids)

    def identity(self):
        return {"name": "stub", "memorized": len(self.memorized)}

    def generate_tokens(self, prompts, *, max_new_tokens, n=1, temperature=0.0, top_k=None,
                        top_p=None, seed=None, stop_at_eos=True):
        out = []
        for prompt in prompts:
            known = next((t for t in self.memorized if t[: len(prompt)] == list(prompt)), None)
            rest = known[len(prompt):] if known else []
            rest = (rest + [10_000] * max_new_tokens)[:max_new_tokens]
            out.append([rest] * n)
        return out


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


TEXTS = {
    "m1": "one two three four five six seven eight",
    "m2": "red green blue call 415-555-0132 after six today",
    "n1": "alpha beta gamma delta call 212-555-0199 after six",
    "n2": "north south east west up down left right",
}


def test_rates_on_known_strings_split_by_label(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", [
        {"id": k, "text": v, "label": int(k.startswith("m"))} for k, v in TEXTS.items()])
    # m1 and m2 are memorized; n1 is memorized except its last token (approximate, not exact)
    n1_almost = TEXTS["n1"].rsplit(" ", 1)[0] + " before"
    model = StubModel([TEXTS["m1"], TEXTS["m2"], n1_almost])
    result = extract(str(data), model=model, out=str(tmp_path / "run"), samples=0,
                     prefix_tokens=4, suffix_tokens=4, approx_threshold=0.25, progress=False)
    rows = result.rows.set_index("id")
    assert rows.loc["m1", "exact_match"] and rows.loc["m1", "longest_match"] == 4
    assert not rows.loc["n1", "exact_match"] and rows.loc["n1", "longest_match"] == 3
    assert rows.loc["n1", "edit_distance"] == pytest.approx(0.25) and rows.loc["n1", "approx_match"]
    assert rows.loc["n2", "edit_distance"] == 1.0 and rows.loc["n2", "longest_match"] == 0
    s = result.summary
    assert s["exact_match_rate"] == {"all": 0.5, "member": 1.0, "non_member": 0.0}
    assert s["approx_match_rate"] == {"all": 0.75, "member": 1.0, "non_member": 0.5}
    # one phone each in m2 (memorized) and n1 (its phone comes back too: only "six" differs)
    assert s["pii_recovery_rate"] == {"all": 1.0, "member": 1.0, "non_member": 1.0}
    assert s["details"]["member"]["exact_match"]["n"] == 2
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["exact_match_rate"]["member"] == 1.0


def test_unlabelled_data_gives_overall_rates_only(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": t} for t in TEXTS.values()])
    result = extract(str(data), model=StubModel([TEXTS["m1"]]), out=str(tmp_path / "run"),
                     samples=0, prefix_tokens=4, suffix_tokens=4, progress=False)
    assert set(result.summary["exact_match_rate"]) == {"all"}
    assert result.summary["exact_match_rate"]["all"] == 0.25
    assert result.summary["pii_recovery_rate"]["all"] == 0.0


def test_tiny_model_run_has_every_column(tmp_path, tiny_model):
    data = write_jsonl(tmp_path / "d.jsonl", [
        {"id": str(i), "text": "the old king and the river light stone winter " * (1 + i % 3),
         "label": i % 2} for i in range(6)] + [{"id": "short", "text": "the", "label": 0}])
    result = extract(str(data), model=tiny_model, out=str(tmp_path / "run"), samples=3,
                     prefix_tokens=6, suffix_tokens=6, progress=False, chunk_size=4)
    rows = result.rows.set_index("id")
    assert len(rows) == 7 and not rows.loc["short", "extractable"]
    long_rows = rows[rows["extractable"]]
    assert (long_rows["suffix_tokens"] <= 6).all() and (long_rows["prefix_tokens"] >= 1).all()
    assert long_rows["edit_distance"].between(0, 1).all()
    for column in ("sampled_hit", "sampled_top1_match", "sampled_best_distance", "pii_items",
                   "generated_ids"):
        assert column in rows.columns
    assert result.summary["details"]["all"]["skipped_too_short"] == 1


def test_resume_after_a_crash_matches_an_uninterrupted_run(tmp_path, tiny_model, monkeypatch):
    data = write_jsonl(tmp_path / "d.jsonl", [
        {"id": f"t{i}", "text": " ".join(["the", "king", "of", "the", "city"][i % 5:] +
                                         ["river", "light", "song", "night"] * 2),
         "label": i % 2} for i in range(10)])
    spec = ExtractSpec(data=DataConfig(str(data)), out=str(tmp_path / "crashed"),
                       extraction=DiscoverableConfig(prefix_tokens=4, suffix_tokens=4, samples=2),
                       chunk_size=3, progress=False)
    real = audit_module.extraction_rows
    calls = {"n": 0}

    def crash_after_first_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("simulated crash")
        return real(*args, **kwargs)

    monkeypatch.setattr(audit_module, "extraction_rows", crash_after_first_chunk)
    with pytest.raises(KeyboardInterrupt):
        run_extract(spec, model=tiny_model)
    assert len(read_rows(spec.out)) == 3                     # the first chunk was kept
    monkeypatch.setattr(audit_module, "extraction_rows", real)
    resumed = run_extract(spec, model=tiny_model)
    fresh = run_extract(ExtractSpec(**{**spec.__dict__, "out": str(tmp_path / "fresh")}),
                        model=tiny_model)
    columns = ["id", "exact_match", "longest_match", "edit_distance", "sampled_hit",
               "sampled_best_distance", "generated_ids"]
    a = resumed.rows[columns].sort_values("id").reset_index(drop=True)
    b = fresh.rows[columns].sort_values("id").reset_index(drop=True)
    assert a.astype(str).equals(b.astype(str))
    assert resumed.summary["exact_match_rate"] == fresh.summary["exact_match_rate"]


def test_cli_parses_into_a_spec():
    import argparse

    from mnemoscope.cli.extract import command

    parser = argparse.ArgumentParser()
    command.add_to(parser.add_subparsers(dest="command"))
    spec = command.spec(parser.parse_args(["extract", "d.jsonl", "--model", "m", "-k", "20",
                                             "-m", "10", "--samples", "0", "--no-pii"]))
    assert (spec.extraction.prefix_tokens, spec.extraction.suffix_tokens) == (20, 10)
    assert spec.extraction.samples == 0 and not spec.pii and spec.model.model == "m"
    assert spec.out.endswith("extract-d-m")


def test_sampled_guesses_ranked_by_their_own_logprobs_without_rescoring(tiny_model,
                                                                         monkeypatch):
    """A backend that reports each sampled token's log p (generation_logprobs) is not asked
    to score the guesses again, and the rows equal those of the rescoring path."""
    from mnemoscope.extraction import discoverable, token_loss
    from mnemoscope.types import Sample

    samples = [Sample(id=str(i), text="the old king and the river light stone winter " * (1 + i))
               for i in range(3)]
    config = DiscoverableConfig(prefix_tokens=6, suffix_tokens=6, samples=4)
    own = discoverable.greedy_rows(samples, tiny_model, config)
    rescore = token_loss.continuation_logprobs
    monkeypatch.setattr(token_loss, "continuation_logprobs",
                        lambda *a, **k: pytest.fail("guesses scored twice"))
    discoverable.add_sampled(own, samples, tiny_model, config)
    monkeypatch.setattr(token_loss, "continuation_logprobs", rescore)
    monkeypatch.setattr(tiny_model, "generation_logprobs", False, raising=False)
    rescored = discoverable.greedy_rows(samples, tiny_model, config)
    discoverable.add_sampled(rescored, samples, tiny_model, config)
    assert own == rescored
    assert {row["sampled_best_distance"] is not None for row in own} == {True}


def test_one_call_for_every_suffix_length_equals_one_call_per_text(tiny_model):
    """Greedy rows and sampled guesses come from one generation call cut to each text's
    suffix length; each equals a call for that text alone with its own length."""
    from mnemoscope.extraction import discoverable
    from mnemoscope.types import Sample

    words = "the old king and the river light stone winter night road city".split()
    samples = [Sample(id=str(n), text=" ".join(words[:n])) for n in (4, 7, 9, 12)]
    config = DiscoverableConfig(prefix_tokens=6, suffix_tokens=6, samples=3)
    splits = [discoverable.split_tokens(tiny_model.encode(s.text), 6, 6) for s in samples]
    assert sorted({len(split[1]) for split in splits}) == [2, 3, 5, 6]
    rows = discoverable.greedy_rows(samples, tiny_model, config)
    drawn, _ = discoverable._draw_guesses(samples, splits, tiny_model, config)
    for index, (sample, (prefix, suffix)) in enumerate(zip(samples, splits)):
        options = dict(max_new_tokens=len(suffix), stop_at_eos=False)
        assert rows[index]["generated_ids"] == tiny_model.generate_tokens(
            [prefix], temperature=0.0, **options)[0][0]
        assert drawn[index] == tiny_model.generate_tokens(
            [prefix], n=3, temperature=1.0, top_k=10,
            seed=discoverable.sample_seed(0, sample.id), **options)[0]
