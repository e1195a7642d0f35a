"""Every malformed input found by review gives one InputError line that names the file (and
the line where there is one) and says what to do, instead of a traceback."""

from __future__ import annotations

import gzip
import json
import logging

import pytest

from mnemoscope.data import DataConfig, load_samples
from mnemoscope.types import InputError

LATIN1 = "café".encode("latin-1")


def _parquet(path, rows):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)


def _truncated_parquet(path):
    _parquet(path, [{"text": f"text number {i}", "label": i % 2} for i in range(50)])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _broken_hf_folder(path):
    path.mkdir()
    (path / "dataset_info.json").write_text("{broken", encoding="utf-8")


def _txt_folder(path):
    path.mkdir()
    (path / "a.txt").write_text("fine", encoding="utf-8")
    (path / "b.txt").write_bytes(b"first line\nsecond " + LATIN1 + b"\n")


# (file name, how to make it, words the message must contain, the fix it must name)
CASES = {
    "not gzip": ("d.jsonl.gz", lambda p: p.write_bytes(b'{"text": "plain"}\n'),
                 ["cannot decompress", "Not a gzipped file"], "drop the .gz suffix"),
    "cut gzip": ("d.csv.gz", lambda p: p.write_bytes(gzip.compress(b"text\n" + b"x\n" * 500)[:30]),
                 ["cannot decompress"], "Is the file complete"),
    "non-UTF-8 jsonl": ("d.jsonl", lambda p: p.write_bytes(b'{"text": "ok"}\n{"text": "'
                                                           + LATIN1 + b'"}\n'),
                        ["line 2", "not UTF-8", "0xe9"], "Convert the file to UTF-8"),
    "non-UTF-8 csv": ("d.csv", lambda p: p.write_bytes(b"text\nok\n" + LATIN1 + b"\n"),
                      ["line 3", "not UTF-8"], "Convert the file to UTF-8"),
    "non-UTF-8 txt": ("texts", _txt_folder, ["b.txt line 2", "not UTF-8", "offset"],
                      "Convert the file to UTF-8"),
    "gzip named .jsonl": ("d.jsonl", lambda p: p.write_bytes(gzip.compress(b'{"text": "a"}\n')),
                          ["line 1", "not UTF-8"], "name it with a .gz suffix"),
    "broken dataset_info.json": ("hf", _broken_hf_folder, ["dataset_info.json: invalid JSON", "Hugging Face"],
                                 "save the dataset again"),
    "duplicate ids": ("d.jsonl", lambda p: p.write_text('{"id": "a", "text": "x"}\n'
                                                        '{"id": "a", "text": "y"}\n'),
                      ["line 2", "id 'a' repeats line 1"], "Ids must be unique"),
    "unknown string label": ("d.csv", lambda p: p.write_text("text,label\nx,yes\ny,maybe\n"),
                             ["line 3", "'maybe'"], "Write 1 or 0"),
    "partial labels": ("d.jsonl", lambda p: p.write_text('{"text": "x", "label": 1}\n'
                                                         '{"text": "y", "label": null}\n'),
                       ["line 2", "no label"], "Label every row, or none"),
    "empty file": ("d.jsonl", lambda p: p.write_text(""), ["no samples found"],
                   "one row per text"),
    "header only": ("d.csv", lambda p: p.write_text("text,label\n"), ["no samples found"],
                    "one row per text"),
    "wrong columns": ("d.csv", lambda p: p.write_text("prompt,answer\nhi,1\n"),
                      ['line 2', 'field "text" is missing', '"prompt", "answer"'],
                      "Pass --text-column prompt"),
    "text not a string": ("d.jsonl", lambda p: p.write_text('{"text": 5}\n'),
                          ["line 1", "is int, not a string"], "Pass --text-column"),
    "truncated parquet": ("d.parquet", _truncated_parquet, ["cannot read Parquet"],
                          "Is the file complete"),
    "csv row with extra fields": ("d.csv", lambda p: p.write_text("text,label\na,1\nb, c,0\n"),
                                  ["line 3", "3 fields, but the header has 2"],
                                  "Quote fields"),
    "csv header repeats a name": ("d.csv", lambda p: p.write_text("text,text\na,b\n"),
                                  ["line 1", "'text'"], "own name"),
    "json array in a .json file": ("d.json", lambda p: p.write_text('[\n{"text": "a"}\n]\n'),
                                   ["line 1", "invalid JSON"], "jq -c"),
    "5000-digit number": ("d.jsonl", lambda p: p.write_text('{"text": "a", "n": '
                                                            + "1" * 5000 + "}\n"),
                          ["line 1", "cannot read this JSON"], "Fix or delete that line"),
    "unpaired surrogate": ("d.jsonl", lambda p: p.write_text('{"text": "a \\ud800 b"}\n'),
                           ["line 1", "unpaired surrogate"], "Fix or remove that escape"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_data_gives_one_line_naming_file_and_fix(tmp_path, case):
    name, make, words, fix = CASES[case]
    path = tmp_path / name
    make(path)
    with pytest.raises(InputError) as error:
        load_samples(str(path))
    message = str(error.value)
    assert "\n" not in message and str(path) in message, message
    for word in words + [fix]:
        assert word in message, (word, message)


def test_long_csv_field_is_read_not_refused(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("text,label\n" + "x" * 200_000 + ",1\nshort,0\n", encoding="utf-8")
    samples = load_samples(str(path))
    assert [len(s.text) for s in samples] == [200_000, 5] and samples[0].label == 1


def test_labels_read_from_strings_bom_and_pandas_missing(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes("\ufefftext,label\na,yes\nb,No\nc,1.0\nd,0.0\n".encode("utf-8"))
    assert [s.label for s in load_samples(str(path))] == [1, 0, 1, 0]

    import pandas as pd

    pd.DataFrame({"text": ["a", "b"], "label": [1.0, float("nan")]}).to_parquet(
        tmp_path / "d.parquet")
    with pytest.raises(InputError, match=r"d\.parquet row 1: no label"):
        load_samples(str(tmp_path / "d.parquet"))


def test_labels_of_one_class_load_with_one_warning_naming_the_file(tmp_path, caplog):
    path = tmp_path / "members.jsonl"
    path.write_text('{"text": "a", "label": 1}\n{"text": "b", "label": 1}\n')
    with caplog.at_level(logging.WARNING, logger="mnemoscope.data"):
        samples = load_samples(str(path))
    assert [s.label for s in samples] == [1, 1]
    [record] = caplog.records
    assert str(path) in record.getMessage() and "is 1 (member)" in record.getMessage()
    assert "Add rows labelled 0 (non-member)" in record.getMessage()


def test_gzip_and_folders_still_read(tmp_path):
    with gzip.open(tmp_path / "d.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write('{"text": "a", "label": 0}\n{"text": "b", "label": 1}\n')
    assert [s.text for s in load_samples(str(tmp_path / "d.jsonl.gz"))] == ["a", "b"]
    with gzip.open(tmp_path / "d.tsv.gz", "wt", encoding="utf-8") as handle:
        handle.write('text\tlabel\n"two\nlines"\t1\nc\t0\n')
    assert [s.text for s in load_samples(str(tmp_path / "d.tsv.gz"))] == ["two\nlines", "c"]
    assert len(load_samples(DataConfig(str(tmp_path / "d.tsv.gz"), limit=1))) == 1
    # line ends as Python's text mode reads them: \r\n, and a lone \r (old Mac / Excel)
    (tmp_path / "cr.csv").write_bytes(b'text,label\ra,1\r"two\r\nlines",0\r')
    assert [(s.text, s.label) for s in load_samples(str(tmp_path / "cr.csv"))] == \
        [("a", 1), ("two\r\nlines", 0)]


# --- the corpus reader (contamination overlap) -------------------------------------------

@pytest.mark.parametrize("name, content, words", [
    ("c.jsonl", b'{"text": "ok"}\n{"text": "' + LATIN1 + b'"}\n', ["line 2", "not UTF-8",
                                                                  "convert the file to UTF-8"]),
    ("c.txt", b"ok\n\n" + LATIN1 + b"\n", ["line 3", "not UTF-8", "Convert the file to UTF-8"]),
    ("c.jsonl.gz", b"not gzip at all", ["cannot decompress"]),
    ("c.jsonl", b'{"text": "a \\ud800"}\n', ["line 1", "unpaired surrogate"]),
])
def test_corpus_reader_errors(tmp_path, name, content, words):
    from mnemoscope.contamination.corpus import read_batches

    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as error:
        list(read_batches(path))
    message = str(error.value)
    assert "\n" not in message and str(path) in message
    assert all(word in message for word in words), message


def test_corpus_reader_damaged_gzip_and_parquet(tmp_path):
    from mnemoscope.contamination.corpus import read_batches

    packed = bytearray(gzip.compress(b"".join(b'{"text": "row %d"}\n' % i for i in range(2000))))
    packed[len(packed) // 2] ^= 0xFF
    (tmp_path / "c.jsonl.gz").write_bytes(bytes(packed))
    with pytest.raises(InputError, match=r"c\.jsonl\.gz: cannot decompress"):
        list(read_batches(tmp_path / "c.jsonl.gz"))
    _truncated_parquet(tmp_path / "c.parquet")
    with pytest.raises(InputError, match=r"c\.parquet.*cannot read Parquet.*Is the file complete"):
        list(read_batches(tmp_path / "c.parquet"))


# --- benchmark items (bench perturb / eval) and bench generate -o --------------------------

def _items_file(tmp_path, edit=None):
    from mnemoscope.benchmarks import generate

    records = [item.to_json() for item in generate("kk", 2, 0, level=2)]
    if edit:
        edit(records)
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _latin1_prompt(path):
    lines = path.read_bytes().splitlines()
    lines[1] = lines[1].replace(b'"prompt": "', b'"prompt": "' + LATIN1)
    path.write_bytes(b"\n".join(lines) + b"\n")


@pytest.mark.parametrize("edit, words", [
    ("latin-1", ["line 2", "not UTF-8", "Convert the file to UTF-8"]),
    (lambda rs: rs[1].update(kind="chess"), ["line 2", "unknown kind 'chess'"]),
    (lambda rs: rs[0].update(level="three"), ["line 1", "'level'", "an integer"]),
    (lambda rs: rs[1].update(id=rs[0]["id"]), ["line 2", "duplicate id"]),
    (lambda rs: rs.clear(), ["no items", "bench generate"]),
])
def test_items_reader_errors(tmp_path, edit, words):
    from mnemoscope.benchmarks import read_items

    if edit == "latin-1":
        path = _items_file(tmp_path)
        _latin1_prompt(path)
    else:
        path = _items_file(tmp_path, edit)
    with pytest.raises(InputError) as error:
        read_items(path)
    message = str(error.value)
    assert "\n" not in message and str(path) in message
    assert all(word in message for word in words), message


def test_perturb_of_a_hand_edited_item_is_a_value_error_naming_the_item(tmp_path):
    from mnemoscope.benchmarks import perturb, read_items

    path = _items_file(tmp_path, lambda rs: rs[0]["meta"].pop("statements"))
    items = read_items(path)
    with pytest.raises(ValueError, match=rf"item '{items[0].id}'.*Generate the file again"):
        perturb(items, "leaf", 0)


def test_items_output_refuses_a_folder_and_a_missing_parent(tmp_path):
    from mnemoscope.benchmarks.items import check_items_output, write_items_file

    with pytest.raises(InputError, match=r"does not exist\. Create it first \(mkdir -p"):
        check_items_output(tmp_path / "missing" / "dir" / "x.jsonl")
    with pytest.raises(InputError, match="is a folder; pass a file name"):
        check_items_output(tmp_path)
    assert write_items_file([], tmp_path / "x.jsonl") == 0
    assert (tmp_path / "x.jsonl").read_text() == ""
    assert [p.name for p in tmp_path.iterdir()] == ["x.jsonl"]     # no temporary left


# --- bench limem on runs that are not benchmark runs ---------------------------------------

def test_limem_on_score_runs_names_the_run_and_the_fix(tmp_path):
    from mnemoscope.benchmarks.limem import limem

    for name in ("original", "perturbed"):
        (tmp_path / name / "parts").mkdir(parents=True)
        _parquet(tmp_path / name / "parts" / "part-0.parquet",
                 [{"id": "0", "loss": 1.5, "label": 1}])
    with pytest.raises(InputError) as error:
        limem(tmp_path / "original", tmp_path / "perturbed")
    message = str(error.value)
    assert str(tmp_path / "original") in message and "source_id" in message
    assert "`mnemoscope bench eval`" in message


# --- lab: bad data leaves nothing behind ----------------------------------------------------

@pytest.mark.parametrize("content", [None, "", '{"text": "only one"}\n'])
def test_lab_refuses_bad_data_before_writing_anything(tmp_path, content):
    from mnemoscope.lab.config import LabSpec
    from mnemoscope.lab.run import run_lab

    data = tmp_path / "texts.jsonl"
    if content is not None:
        data.write_text(content, encoding="utf-8")
    out = tmp_path / "lab"
    with pytest.raises(InputError):
        run_lab(LabSpec(data=DataConfig(path=str(data)), out=str(out), progress=False))
    assert not out.exists()
