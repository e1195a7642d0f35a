"""The overlap scan as Ray tasks (2 local workers, the index broadcast once) gives the same
rows and summary as the local engine."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("ray")

from test_contamination_overlap import ITEM, OTHER, items_file, write_jsonl  # noqa: E402


def test_ray_tasks_match_local_engine(tmp_path):
    from mnemoscope.contamination.overlap import ngram_overlap

    items = items_file(tmp_path, [ITEM, OTHER, "short one"], labels=[1, 1, 0])
    corpus = [write_jsonl(tmp_path / f"c{i}.jsonl",
                          [{"text": f"shard {i} {t}"} for t in texts])
              for i, texts in enumerate([[ITEM, "noise"], ["nothing here"],
                                         [OTHER[:40], "short one two"], [ITEM + " " + ITEM]])]
    common = dict(corpus=[str(c) for c in corpus], report=False)
    local = ngram_overlap(str(items), out=str(tmp_path / "local"), **common)
    ray_run = ngram_overlap(str(items), out=str(tmp_path / "ray"), engine="ray", workers=2,
                            **common)
    columns = ["id", "n_grams", "matched_grams", "overlap", "dirty", "n_spans"]
    assert ray_run.rows[columns].to_dict("records") == local.rows[columns].to_dict("records")
    assert ray_run.rows["spans"].map(list).tolist() == local.rows["spans"].map(list).tolist()
    assert ray_run.summary == local.summary
    for name in sorted(p.name for p in (tmp_path / "local" / "shards").iterdir()):
        assert json.loads((tmp_path / "ray" / "shards" / name).read_text()) == \
            json.loads((tmp_path / "local" / "shards" / name).read_text())
    spec = json.loads((tmp_path / "ray" / "spec.json").read_text())
    assert spec["runtime"] == {"engine": "ray", "workers": 2}


def test_bad_corpus_line_on_ray_is_the_same_clear_error(tmp_path):
    from mnemoscope.contamination.overlap import ngram_overlap
    from mnemoscope.types import InputError

    items = items_file(tmp_path, [ITEM])
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"text": "fine"}\n{oops\n')
    with pytest.raises(InputError, match=r"c\.jsonl line 2: invalid JSON"):
        ngram_overlap(str(items), corpus=[str(corpus)], out=str(tmp_path / "r"),
                      engine="ray", workers=2, report=False)
