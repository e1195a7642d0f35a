"""n-gram overlap: the formulas on hand-worked values, the corpus formats, bad input, resume,
the report, and a small planted-copies experiment (0 misses, 0 false hits)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mnemoscope.contamination import overlap as overlap_module
from mnemoscope.contamination.ngram_index import build_index
from mnemoscope.contamination.ngram_tokens import WordTokens, normalize_text, words_of
from mnemoscope.contamination.overlap import ngram_overlap
from mnemoscope.contamination.overlap_stats import is_dirty, merge_spans, overlap_fraction
from mnemoscope.types import InputError, SpecMismatchError

ITEM = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron")  # 15
OTHER = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def items_file(tmp_path, texts, labels=None) -> Path:
    rows = [{"id": f"q{i}", "text": t} for i, t in enumerate(texts)]
    if labels is not None:
        for row, label in zip(rows, labels):
            row["label"] = label
    return write_jsonl(tmp_path / "items.jsonl", rows)


def run(tmp_path, items, corpus, name="run", **options):
    return ngram_overlap(str(items), corpus=[str(c) for c in corpus],
                         out=str(tmp_path / name), **options)


# --- formulas --------------------------------------------------------------------------

def test_normalization_worked_examples():
    assert words_of("Don't  STOP -- the End.Next!") == ["dont", "stop", "the", "endnext"]
    assert words_of("“Quoted”\u00a0text…\tand\nlines") == ["quoted", "text", "and", "lines"]
    assert words_of("... -- !!") == []
    assert normalize_text("A+B=C, (x)") == "abc x"


def test_word_offsets_point_into_the_original_text():
    text = "  Hello,  world -- x"
    assert WordTokens().key_spans(text) == [(2, 8), (10, 15), (19, 20)]
    assert [text[a:b] for a, b in WordTokens().key_spans(text)] == ["Hello,", "world", "x"]


def test_fraction_and_verdict_worked_examples():
    assert overlap_fraction(3, 4) == 0.75
    assert overlap_fraction(0, 0) == 0.0
    assert is_dirty(1, 100, 0.0)                 # lm-eval: any shared gram
    assert not is_dirty(0, 100, 0.0)
    assert not is_dirty(3, 4, 0.8)               # 0.75 < 0.8
    assert is_dirty(4, 5, 0.8)                   # 0.8 >= 0.8
    assert not is_dirty(0, 0, 0.0)


def test_span_merge_worked_example():
    groups = np.array([1, 0, 0, 0, 0, 1])
    starts = np.array([5, 20, 0, 1, 14, 0])
    ends = np.array([18, 33, 13, 14, 27, 4])
    g, s, e = merge_spans(groups, starts, ends)
    # group 0: [0,13) [1,14) [14,27) [20,33) -> [0,14) touches [14,27) -> one span [0,33)
    # group 1: [0,4) and [5,18) leave a gap -> two spans
    assert g.tolist() == [0, 1, 1] and s.tolist() == [0, 0, 5] and e.tolist() == [33, 4, 18]
    g, s, e = merge_spans(np.array([0, 0]), np.array([0, 13]), np.array([13, 26]))
    assert (s.tolist(), e.tolist()) == ([0], [26])


def test_index_counts_grams_short_and_empty_items():
    index = build_index(["long", "short", "empty"], [ITEM, "a b c d e", "?! --"], 13,
                        WordTokens())
    assert index.item_tokens.tolist() == [15, 5, 0]
    assert [index.grams_of(i) for i in range(3)] == [3, 1, 0]      # 15-13+1; whole item; none
    assert sorted(index.by_length) == [5, 13]


def test_index_hashes_are_stable_across_processes():
    code = ("from mnemoscope.contamination.ngram_index import build_index;"
            "from mnemoscope.contamination.ngram_tokens import WordTokens;"
            f"i = build_index(['a'], [{ITEM!r}], 13, WordTokens());"
            "print(i.by_length[13].hashes.tolist())")
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={"PYTHONHASHSEED": seed, "PYTHONPATH": ":".join(sys.path)},
                              check=True).stdout for seed in ("1", "2")}
    assert len(outputs) == 1


# --- the scan, worked by hand -------------------------------------------------------------

def test_partial_copy_fraction_spans_and_record_boundaries(tmp_path):
    items = items_file(tmp_path, [ITEM, OTHER])
    first13 = " ".join(ITEM.split()[:13])
    corpus = write_jsonl(tmp_path / "c.jsonl", [
        {"text": "unrelated words here"},
        {"text": f"Intro: {first13.title()}! outro"},                     # 1 of ITEM's 3 grams
        {"text": " ".join(OTHER.split()[:7])},                            # OTHER split over
        {"text": " ".join(OTHER.split()[7:])},                            # two records: no gram
    ])
    result = run(tmp_path, items, [corpus])
    rows = result.rows.set_index("id")
    assert rows.loc["q0", "matched_grams"] == 1 and rows.loc["q0", "n_grams"] == 3
    assert rows.loc["q0", "overlap"] == pytest.approx(1 / 3)
    assert bool(rows.loc["q0", "dirty"]) and not bool(rows.loc["q1", "dirty"])
    span = rows.loc["q0", "spans"][0]
    text = f"Intro: {first13.title()}! outro"
    assert (span["record"], span["line"]) == (1, 2)
    assert text[span["start"]:span["end"]] == first13.title() + "!"
    assert span["text"] == first13.title() + "!"
    assert result.summary["dirty_rate"] == 0.5
    assert result.summary["items"][0]["id"] == "q0"


def test_threshold_changes_the_verdict(tmp_path):
    items = items_file(tmp_path, [ITEM])
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"text": " ".join(ITEM.split()[:14])}])
    result = run(tmp_path, items, [corpus], threshold=0.8)             # 2 of 3 grams = 0.667
    assert result.rows["overlap"].iloc[0] == pytest.approx(2 / 3)
    assert not bool(result.rows["dirty"].iloc[0])


def test_short_item_is_one_gram_and_adjacent_hits_merge(tmp_path):
    items = items_file(tmp_path, ["Tiny item here", ITEM])
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"text": f"x tiny item, HERE y {ITEM} {ITEM}"}])
    rows = run(tmp_path, items, [corpus]).rows.set_index("id")
    assert bool(rows.loc["q0", "short_item"]) and rows.loc["q0", "overlap"] == 1.0
    # the two back-to-back copies touch, so they merge into one 30-word span
    assert rows.loc["q1", "n_spans"] == 1 and rows.loc["q1", "overlap"] == 1.0


# --- formats ----------------------------------------------------------------------------

def test_compressed_parquet_and_text_corpora_give_the_same_rows(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    import zstandard

    items = items_file(tmp_path, [ITEM, OTHER])
    records = ["noise words only", f"a {ITEM} b", "more noise"]
    lines = "".join(json.dumps({"text": r}) + "\n" for r in records).encode()
    (tmp_path / "c.jsonl.gz").write_bytes(gzip.compress(lines))
    (tmp_path / "c.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(lines))
    pq.write_table(pa.table({"text": records}), tmp_path / "c.parquet")
    (tmp_path / "c.txt.zst").write_bytes(zstandard.ZstdCompressor().compress(
        "\n\n".join(records).encode()))
    expected = None
    for name in ("c.jsonl.gz", "c.jsonl.zst", "c.parquet", "c.txt.zst"):
        rows = run(tmp_path, items, [tmp_path / name], name=f"run-{name}").rows
        got = rows[["id", "matched_grams", "overlap", "dirty", "n_spans"]].to_dict("records")
        assert got[0]["matched_grams"] == 3 and got[1]["matched_grams"] == 0
        expected = expected or got
        assert got == expected
        span = rows["spans"].iloc[0][0]
        assert (span["start"], span["end"]) == (2, 2 + len(ITEM))


def test_txt_paragraph_is_one_record_across_line_wraps(tmp_path):
    items = items_file(tmp_path, [ITEM])
    words = ITEM.split()
    wrapped = " ".join(words[:6]) + "\n" + " ".join(words[6:]) + "\n\nnext paragraph\n"
    (tmp_path / "c.txt").write_text(wrapped, encoding="utf-8")
    rows = run(tmp_path, items, [tmp_path / "c.txt"]).rows
    assert rows["overlap"].iloc[0] == 1.0
    span = rows["spans"].iloc[0][0]
    assert (span["line"], span["start"], span["end"]) == (1, 0, len(ITEM))
    broken = " ".join(words[:6]) + "\n\n" + " ".join(words[6:]) + "\n"   # blank line between
    (tmp_path / "d.txt").write_text(broken, encoding="utf-8")
    assert run(tmp_path, items, [tmp_path / "d.txt"], name="run2").rows["overlap"].iloc[0] == 0


def test_folder_expands_to_its_corpus_files(tmp_path):
    items = items_file(tmp_path, [ITEM])
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    write_jsonl(folder / "a.jsonl", [{"text": "nothing"}])
    write_jsonl(folder / "sub" / "b.jsonl", [{"text": ITEM}])
    (folder / "README.md").write_text("not corpus")
    result = run(tmp_path, items, [folder])
    assert result.summary["corpus"]["files"] == 2
    assert result.rows["spans"].iloc[0][0]["file"].endswith("sub/b.jsonl")


# --- bad input --------------------------------------------------------------------------

def test_empty_corpus_is_a_clear_error(tmp_path):
    items = items_file(tmp_path, [ITEM])
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(InputError, match="empty corpus"):
        run(tmp_path, items, [tmp_path / "empty.jsonl"])
    (tmp_path / "blank.jsonl").write_text("\n\n  \n")
    with pytest.raises(InputError, match="empty corpus"):
        run(tmp_path, items, [tmp_path / "blank.jsonl"], name="run2")


def test_malformed_line_names_file_and_line_or_is_skipped_and_counted(tmp_path):
    items = items_file(tmp_path, [ITEM])
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"text": "ok"}) + "\n{broken\n" + json.dumps({"text": ITEM})
                      + "\n[1, 2]\n")
    with pytest.raises(InputError, match=r"c\.jsonl line 2: invalid JSON"):
        run(tmp_path, items, [corpus])
    result = run(tmp_path, items, [corpus], name="skip", skip_bad_lines=True)
    assert result.summary["corpus"]["skipped_lines"] == 2
    skipped = result.summary["corpus"]["skipped_by_file"][str(corpus.resolve())]
    assert skipped == {"count": 2, "first_lines": [2, 4]}
    assert result.rows["overlap"].iloc[0] == 1.0 and result.summary["corpus"]["records"] == 2


def test_missing_column_and_other_bad_input(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    items = items_file(tmp_path, [ITEM])
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"content": ITEM}])
    with pytest.raises(InputError,
                       match=r'line 1: field "text" is missing \(columns seen: "content"\)'):
        run(tmp_path, items, [corpus])
    assert run(tmp_path, items, [corpus], name="ok",
               corpus_text_column="content").rows["overlap"].iloc[0] == 1.0
    pq.write_table(pa.table({"body": [ITEM]}), tmp_path / "c.parquet")
    with pytest.raises(InputError, match='column "text" is missing'):
        run(tmp_path, items, [tmp_path / "c.parquet"], name="pq")
    with pytest.raises(InputError, match="no such file"):
        run(tmp_path, items, [tmp_path / "nope.jsonl"], name="x")
    (tmp_path / "c.csv").write_text("text\nhello\n")
    with pytest.raises(InputError, match="unknown format"):
        run(tmp_path, items, [tmp_path / "c.csv"], name="y")
    (tmp_path / "bad.jsonl.gz").write_bytes(b"not gzip at all")
    with pytest.raises(InputError, match="cannot decompress"):
        run(tmp_path, items, [tmp_path / "bad.jsonl.gz"], name="z")
    (tmp_path / "none.jsonl").write_text("")
    with pytest.raises(InputError, match="no samples"):
        run(tmp_path, tmp_path / "none.jsonl", [corpus], name="w")


# --- resume -----------------------------------------------------------------------------

def test_crash_mid_scan_resumes_without_rescanning_finished_files(tmp_path, monkeypatch):
    items = items_file(tmp_path, [ITEM, OTHER])
    corpus = [write_jsonl(tmp_path / f"c{i}.jsonl", [{"text": f"file {i} {text}"}])
              for i, text in enumerate([ITEM, "noise", OTHER])]
    expected = run(tmp_path, items, corpus, name="fresh").rows
    real = overlap_module.scan_shard
    calls = []

    def crash_on_second(index, path, config):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt("simulated crash")
        return real(index, path, config)

    monkeypatch.setattr(overlap_module, "scan_shard", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, items, corpus)
    assert len(list((tmp_path / "run" / "shards").glob("*.json"))) == 1
    assert not (tmp_path / "run" / "summary.json").exists()
    calls.clear()
    monkeypatch.setattr(overlap_module, "scan_shard",
                        lambda index, path, config: calls.append(path) or real(index, path, config))
    resumed = run(tmp_path, items, corpus).rows
    assert calls == [str(c.resolve()) for c in corpus[1:]]            # file 0 not rescanned
    columns = ["id", "matched_grams", "overlap", "dirty", "n_spans"]
    assert resumed[columns].to_dict("records") == expected[columns].to_dict("records")
    with pytest.raises(SpecMismatchError, match="overlap.n"):
        run(tmp_path, items, corpus, n=8)


# --- interface and report -----------------------------------------------------------------

def test_cli_writes_run_and_report_escapes_text(tmp_path, capsys):
    from mnemoscope.cli import main

    evil = "<script>alert(1)</script> " + ITEM
    items = items_file(tmp_path, [evil, OTHER], labels=[1, 0])
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"text": "<img src=x onerror=alert(2)> " + evil}])
    out = tmp_path / "cli"
    assert main(["contamination", "overlap", str(items), "--corpus", str(corpus),
                 "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["dirty_rate"] == 0.5
    assert summary["by_label"]["member"]["dirty_rate"] == 1.0
    assert summary["by_label"]["non_member"]["dirty_rate"] == 0.0
    html = (out / "report.html").read_text()
    assert "n-gram overlap" in html and "overlap-items" in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)" in html


def test_tokenizer_option_uses_token_ids_and_offsets(tmp_path, tiny_model_dir):
    item = "the river of the old city was quiet in the winter night and the king"
    items = items_file(tmp_path, [item, "song of the bright morning"])
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"text": f"we see {item} , they say"}])
    result = run(tmp_path, items, [corpus], tokenizer=str(tiny_model_dir), n=5)
    rows = result.rows.set_index("id")
    assert rows.loc["q0", "overlap"] == 1.0 and rows.loc["q1", "overlap"] == 0.0
    span = rows.loc["q0", "spans"][0]
    assert f"we see {item} , they say"[span["start"]:span["end"]] == item
    assert result.summary["config"]["tokenization"]["kind"] == "tokenizer"


def test_planted_exact_and_edited_copies_no_misses_no_false_hits(tmp_path):
    """A small version of bench/overlap_experiment.py: copies planted in a ~60k-word corpus,
    clean items that share phrases of up to 12 words with it."""
    rng = np.random.default_rng(7)
    vocab = np.array([f"w{i}" for i in range(3000)])
    draw = lambda k: vocab[np.minimum(rng.zipf(1.3, k) - 1, len(vocab) - 1)].tolist()  # noqa: E731
    records = [draw(300) for _ in range(200)]
    texts = [" ".join(draw(90)) for _ in range(30)]
    planted = {}
    for i, text in enumerate(texts[:20]):
        words = text.split()
        if i >= 10:                                   # light edits: 3 substitutions/insertions
            for _ in range(3):
                place = int(rng.integers(0, len(words)))
                words.insert(place, "edited") if rng.random() < 0.5 else \
                    words.__setitem__(place, "changed")
            words = [w.upper() if rng.random() < 0.1 else w for w in words]
        records[int(rng.integers(0, len(records)))].extend(["copy:"] + words + ["."])
        planted[f"q{i}"] = True
    for i in range(20, 30):                           # clean, with 12-word corpus phrases
        source = records[int(rng.integers(0, len(records)))]
        start = int(rng.integers(0, 200))
        texts[i] = " ".join(source[start:start + 12]) + " zz " + texts[i]
    items = items_file(tmp_path, texts)
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"text": " ".join(r)} for r in records])
    rows = run(tmp_path, items, [corpus]).rows.set_index("id")
    dirty = {i for i in rows.index if rows.loc[i, "dirty"]}
    assert dirty == set(planted)
    assert (rows.loc[[f"q{i}" for i in range(10)], "overlap"] == 1.0).all()
    assert (rows.loc[[f"q{i}" for i in range(10, 20)], "overlap"] < 1.0).all()


def test_clean_run_with_a_wordless_last_item_renders(tmp_path):
    items = items_file(tmp_path, [ITEM, "?! --"])
    corpus = write_jsonl(tmp_path / "c.jsonl", [{"text": "nothing in common at all"}])
    result = run(tmp_path, items, [corpus])
    assert result.summary["dirty_rate"] == 0.0 and result.summary["items_without_tokens"] == 1
    assert result.rows["n_grams"].tolist() == [3, 0]
    assert "0 dirty" in (tmp_path / "run" / "report.html").read_text()


def test_batch_size_does_not_change_the_shard_result(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mnemoscope.contamination.overlap_scan import ScanConfig, scan_shard

    index = build_index(["a", "b"], [ITEM, OTHER], 13, WordTokens())
    records = ["x", f"y {ITEM} {OTHER}", "z " + ITEM[:30], f"{OTHER} w {ITEM}"]
    write_jsonl(tmp_path / "c.jsonl", [{"text": r} for r in records])
    pq.write_table(pa.table({"text": records}), tmp_path / "c.parquet")
    for name in ("c.jsonl", "c.parquet"):
        path = str(tmp_path / name)
        whole = scan_shard(index, path, ScanConfig())
        one_by_one = scan_shard(index, path, ScanConfig(batch_chars=1))   # a record per batch
        assert whole == one_by_one
        assert whole["n_spans"] == {"a": 2, "b": 2}
        assert [s[0] for s in whole["spans"]["a"]] == [1, 3]             # records, in order


def test_hash_collision_in_the_index_draws_new_tables(monkeypatch):
    from mnemoscope.contamination import ngram_index

    real, seeds = ngram_index._random_tables, []

    def colliding_first(size, n, seed):
        seeds.append(seed)
        values, multipliers = real(size, n, seed)
        return (values * 0 if len(seeds) == 1 else values), multipliers   # all hashes 0

    monkeypatch.setattr(ngram_index, "_random_tables", colliding_first)
    index = build_index(["a", "b"], [ITEM, OTHER], 13, WordTokens())
    assert len(seeds) == 2 and len(index.by_length[13].hashes) == 5     # 3 + 2 distinct grams
    hits = index.find(index.by_length[13].grams[0], np.full(13, 13))
    assert len(hits.item_grams) == 1
