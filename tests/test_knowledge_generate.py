"""Invented facts: leakage-free by construction (names unknown to the embedded tokenizer,
byte-identical for a seed, every gold answer derived by a solver written here), grading
on hand-worked values, and the facts file's bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mnemoscope.knowledge.facts import facts_text, read_facts
from mnemoscope.knowledge.generate import generate_facts, vocabulary_words
from mnemoscope.knowledge.grading import exact_match, lenient_match, pick_choice
from mnemoscope.types import InputError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tokenizer():
    from mnemoscope.models.base import ModelConfig
    from mnemoscope.models.tokenizer import tokenizer_of

    return tokenizer_of(ModelConfig(), "test")


@pytest.fixture(scope="module")
def facts(tokenizer):
    words = vocabulary_words(tokenizer)
    return generate_facts(200, seed=7, heldout=100, known=words.__contains__)


def _entities(facts):
    return {name for f in facts for name in (f["subject"], f["object"])}


def test_no_entity_is_a_whole_word_of_the_embedded_tokenizer(tokenizer, facts):
    vocab = tokenizer.get_vocab()
    names = _entities(facts)
    assert len(names) >= 300
    for name in names:
        for word in (name, name.lower(), name.upper()):
            for marker in ("", "Ġ", "▁", " "):
                assert marker + word not in vocab, (name, marker)
        # and so neither form is one token: the model has no embedding for the name
        assert len(tokenizer(name, add_special_tokens=False).input_ids) > 1
        assert len(tokenizer(" " + name, add_special_tokens=False).input_ids) > 1


def test_a_seed_gives_byte_identical_output(tokenizer, tmp_path):
    words = vocabulary_words(tokenizer)
    first = facts_text(generate_facts(30, seed=3, heldout=10, known=words.__contains__))
    second = facts_text(generate_facts(30, seed=3, heldout=10, known=words.__contains__))
    assert first == second
    assert first != facts_text(generate_facts(30, seed=4, heldout=10, known=words.__contains__))
    out = tmp_path / "facts.jsonl"
    done = subprocess.run([sys.executable, "-m", "mnemoscope.cli", "knowledge", "generate",
                           "--n", "30", "--heldout", "10", "--seed", "3", "-o", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == first.encode("utf-8")


# ------------------------------------------------------------------ an independent solver
# Each relation's stem, as this test reads the English (no generator code): every wording
# of a relation names it, and no wording of another relation does.
STEMS = {"found": r"\bfound", "born": r"\b(born|birth)", "write": r"\bwr[io]t",
         "invent": r"\binvent", "direct": r"\bdirect", "compose": r"\bcompos",
         "headquarters": r"headquarter", "located": r"\blocated", "capital": r"\bcapital",
         "publish": r"\bpublish", "manufacture": r"\bmanufactur"}


def _stems(text: str) -> list[str]:
    return [name for name, pattern in STEMS.items() if re.search(pattern, text)]


def _names(text: str, known: set[str]) -> list[str]:
    return [w for w in re.findall(r"[A-Z][a-z]+", text) if w in known]


def _knowledge(facts):
    """Edges (entity, stem, entity) read from the training sentences alone: the two
    invented names of each sentence (capitalised words other than 'The') and its stem."""
    known = {w for f in facts for w in re.findall(r"[A-Z][a-z]+", f["sentence"])} - {"The"}
    edges: dict[tuple[str, str], set[str]] = {}
    for fact in facts:
        names, stems = _names(fact["sentence"], known), _stems(fact["sentence"])
        assert len(names) == 2 and len(stems) == 1, fact["sentence"]
        a, b = names
        edges.setdefault((a, stems[0]), set()).add(b)
        edges.setdefault((b, stems[0]), set()).add(a)
    return known, edges


def _solve(prompt: str, known, edges) -> set[str]:
    """Every answer the sentences support: one hop per stem the prompt names, in any
    order, never back to where it started."""
    names, stems = _names(prompt, known), _stems(prompt)
    assert len(names) == 1 and 1 <= len(stems) <= 2, prompt
    answers = set()
    orders = [stems] if len(stems) == 1 else [stems, stems[::-1]]
    for order in orders:
        frontier = {names[0]}
        for stem in order:
            frontier = {b for a in frontier for b in edges.get((a, stem), ())} - set(names)
        answers |= frontier
    return answers


def test_every_gold_answer_follows_from_the_facts_alone(facts):
    known, edges = _knowledge(facts)
    counted = {}
    for fact in facts:
        for probe in fact["probes"]:
            kind, fmt, prompt, gold = (probe["type"], probe["format"], probe["prompt"],
                                       probe["answer"])
            counted[f"{kind}/{fmt}"] = counted.get(f"{kind}/{fmt}", 0) + 1
            if fmt == "tf":
                statement = prompt.split(":", 1)[1].split("\n")[0]
                a, b = _names(statement, known)
                (stem,) = _stems(statement)
                truth = b in edges.get((a, stem), set())
                assert gold == ("True" if truth else "False"), prompt
                continue
            answers = _solve(prompt, known, edges)
            assert answers == {gold}, (prompt, answers, gold)
            if fmt == "mc":
                assert gold in probe["choices"] and len(set(probe["choices"])) == \
                    len(probe["choices"])
            if kind == "reliability":           # the cloze is the sentence's own start
                assert f"{prompt} {gold}." == fact["sentence"]
            if kind == "reverse":               # object first: the answer is the subject
                assert gold == fact["subject"] and fact["object"] in prompt
            if kind == "multihop":
                assert len(_stems(prompt)) == 2
    assert counted["multihop/qa"] > 20 and counted["generality/tf"] == 300
    # true/false is balanced by a coin: neither answer dominates
    trues = sum(p["answer"] == "True" for f in facts for p in f["probes"] if p["format"] == "tf")
    assert 100 < trues < 200


def test_held_out_facts_share_no_entity_with_training_facts(facts):
    train = _entities([f for f in facts if f["split"] == "train"])
    heldout = _entities([f for f in facts if f["split"] == "heldout"])
    assert train and heldout and not train & heldout


# ------------------------------------------------------------------ grading, by hand
def test_exact_and_lenient_match_worked_examples():
    assert exact_match(" Zylupran.\nMore", "Zylupran")
    assert exact_match("Zylupran, a firm", "Zylupran")
    assert not exact_match(" Zylupranix", "Zylupran")
    assert not exact_match(" It was Zylupran", "Zylupran")
    assert lenient_match(" It was the zylupran company", "Zylupran")
    assert not lenient_match(" Zylu pran", "Zylupran")
    assert not lenient_match(" nothing\nZylupran", "Zylupran")    # first line only
    assert lenient_match(" the New York Times", "New York")
    assert pick_choice([-3.0, -1.5, -1.5, -9.0]) == 1              # first of a tie


# ------------------------------------------------------------------ the facts file
def _write(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_a_users_facts_file_is_read_with_defaults(tmp_path):
    path = _write(tmp_path / "mine.jsonl", [
        {"id": "a", "sentence": "Our product Nexo ships in May.",
         "probes": [{"type": "reliability", "format": "cloze",
                     "prompt": "Our product Nexo ships in", "answer": "May"},
                    {"type": "generality", "format": "mc", "prompt": "Q: When? A:",
                     "answer": "May", "choices": ["May", "June"]}]}])
    (fact,) = read_facts(path)
    assert fact["split"] == "train" and fact["paraphrases"] == []
    assert [p["id"] for p in fact["probes"]] == ["a/reliability/cloze", "a/generality/mc"]


@pytest.mark.parametrize("record, message", [
    ({"id": "a", "probes": []}, "line 1: fact 'a' has no 'sentence'"),
    ({"id": "a", "sentence": "x", "probes": [{"type": "recall", "format": "qa",
                                               "prompt": "p", "answer": "y"}]},
     "line 1: probe type 'recall' is unknown"),
    ({"id": "a", "sentence": "x", "probes": [{"type": "reverse", "format": "mc",
                                               "prompt": "p", "answer": "y",
                                               "choices": ["u", "v"]}]},
     "line 1: the answer 'y' of a probe of fact 'a' is not among its choices"),
    ({"id": "a", "sentence": "x", "split": "test", "probes": []},
     "line 1: split 'test' is unknown"),
])
def test_bad_facts_are_refused_with_their_line(tmp_path, record, message):
    with pytest.raises(InputError, match=re.escape(message)):
        read_facts(_write(tmp_path / "bad.jsonl", [record]))


def _cli(*args):
    from mnemoscope.cli.main import main

    return main(list(args))


def test_cli_refuses_bad_input_with_exit_2_before_any_model_loads(tmp_path, capsys):
    facts = _write(tmp_path / "f.jsonl", [
        {"id": "a", "sentence": "Vex founded Qor.", "paraphrases": ["Vex is Qor's founder."],
         "probes": [{"type": "reliability", "format": "cloze", "prompt": "Vex founded",
                     "answer": "Qor"}]}])
    assert _cli("knowledge", "inject", str(facts), "--paraphrases", "2",
                "--out", str(tmp_path / "run")) == 2
    assert "--paraphrases 2 needs that many paraphrases" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
    assert _cli("knowledge", "inject", str(tmp_path / "none.jsonl")) == 2
    existing = tmp_path / "taken.jsonl"
    existing.write_text("mine\n")
    assert _cli("knowledge", "generate", "--n", "3", "-o", str(existing)) == 2
    assert "already exists" in capsys.readouterr().err
    assert existing.read_text() == "mine\n"
