"""Neighbourhood: the score by hand, neighbours drawn by hand-checkable rules, both
generators, and a run that stores the neighbours and is seeded per text id."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from _scores import scores
from _tiny_wordnet import build_tiny_wordnet, zipf

from mnemoscope.signals import Context
from mnemoscope.signals.neighbourhood import Neighbourhood, Neighbours, NeighboursView
from mnemoscope.text.neighbours import Position, WordNetCandidates, draw_neighbours
from mnemoscope.text.wordnet import WordNet
from mnemoscope.types import InputError

WORDS = "the river city king old night song water stone field road house light".split()


def test_neighbourhood_worked_example():
    # loss(x) = mean(1, 3) = 2; neighbours' losses 3 and 4 -> mean 3.5 - 2 = 1.5
    ctx = Context(views={"neighbours": Neighbours(("a", "b"), np.array([3.0, 4.0]))})
    assert Neighbourhood()(scores([-1.0, -3.0]), ctx) == pytest.approx(1.5)


def test_neighbours_replace_the_asked_fraction_with_candidates():
    text = "The boat took the road."
    positions = [Position(4, 8, "boat", ("vessel",)), Position(18, 22, "road", ("route",))]
    one = draw_neighbours(text, positions, 6, 0.2, random.Random(1))      # 0.2 * 5 words = 1
    assert set(one) <= {"The vessel took the road.", "The boat took the route."}
    assert one == draw_neighbours(text, positions, 6, 0.2, random.Random(1))
    both = draw_neighbours(text, positions, 2, 1.0, random.Random(1))    # all usable words
    assert both == ["The vessel took the route."] * 2
    assert draw_neighbours(text, [], 3, 0.2, random.Random(1)) == [text] * 3


class FakeEmbedder:
    """Every sentence means the same, except one that says 'dinghy'."""

    def encode(self, texts):
        return np.array([[0.0, 1.0] if "dinghy" in t else [1.0, 0.0] for t in texts])


def test_wordnet_candidates_keep_synonyms_that_fit(tmp_path):
    wordnet = WordNet(build_tiny_wordnet(tmp_path / "dict"))
    generator = WordNetCandidates(wordnet, FakeEmbedder(), zipf)
    found = {p.original: p.candidates for p in generator.positions("The boat took the road.")}
    assert found == {"boat": ("vessel",), "road": ("route",)}       # dinghy does not fit


@pytest.mark.parametrize("options, message", [
    ({"neighbours": 0}, "at least 1"),
    ({"neighbours": "many"}, "whole number"),
    ({"neighbour_fraction": 0}, r"in \(0, 1\]"),
    ({"neighbour_generator": "bert"}, "use one of model, wordnet"),
])
def test_bad_options_fail_early(options, message):
    with pytest.raises(InputError, match=message):
        NeighboursView.check(options)


def test_score_stores_neighbours_seeded_per_id(tmp_path, tiny_model_dir):
    from mnemoscope.cli import main
    from mnemoscope.runs import read_rows

    rng = np.random.default_rng(2)
    data = tmp_path / "d.jsonl"
    with open(data, "w", encoding="utf-8") as handle:
        for i in range(8):
            text = " ".join(rng.choice(WORDS, size=12))
            handle.write(json.dumps({"id": f"s{i}", "text": text, "label": i % 2}) + "\n")
    runs = []
    for chunk in ("8", "3"):
        out = tmp_path / f"run{chunk}"
        assert main(["-q", "score", str(data), "--model", str(tiny_model_dir), "--out", str(out),
                     "--signals", "loss,neighbourhood", "--neighbours", "3",
                     "--neighbour-fraction", "0.2", "--chunk-size", chunk, "--bootstrap", "20",
                     "--no-report"]) == 0
        runs.append(read_rows(out).set_index("id").sort_index())
    rows = runs[0]
    assert (rows["neighbour_texts"].map(len) == 3).all()
    texts = {json.loads(line)["id"]: json.loads(line)["text"] for line in open(data)}
    assert any(n != texts[i] for i, ns in rows["neighbour_texts"].items() for n in ns)
    for i, row in rows.iterrows():
        assert row["neighbourhood"] == pytest.approx(np.mean(row["neighbour_losses"]) + row["loss"],
                                                     rel=1e-5)
        # 12 words, 20% -> 2 words replaced (when the model offers that many)
        for n in row["neighbour_texts"]:
            assert sum(a != b for a, b in zip(n.split(), texts[i].split())) <= 2
    # the same neighbours whatever the chunking: seeded per text id
    assert rows["neighbour_texts"].map(list).tolist() == runs[1]["neighbour_texts"].map(list).tolist()
    spec = json.loads((tmp_path / "run8" / "spec.json").read_text())
    assert spec["identity"]["views"]["neighbours"]["generator"] == "model"
