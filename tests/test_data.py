from __future__ import annotations

import json

import pytest

from mnemoscope.data import DataConfig, data_hash, load_samples
from mnemoscope.types import InputError


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_jsonl_with_labels_ids_and_meta(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"id": "x", "text": "a b", "label": 1, "src": "s"},
                                              {"id": "y", "text": "c d", "label": 0, "src": "t"}])
    samples = load_samples(str(path))
    assert [(s.id, s.text, s.label) for s in samples] == [("x", "a b", 1), ("y", "c d", 0)]
    assert samples[0].meta == {"src": "s"}


def test_ids_default_to_row_number_and_labels_optional(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "a"}, {"text": "b"}])
    assert [(s.id, s.label) for s in load_samples(str(path))] == [("0", None), ("1", None)]


def test_csv_parquet_txt_folder_and_hf_dataset(tmp_path):
    import pandas as pd

    (tmp_path / "d.csv").write_text("body,member\nhello there,1\nbye now,0\n", encoding="utf-8")
    samples = load_samples(str(tmp_path / "d.csv"), text_column="body", label_column="member")
    assert [(s.text, s.label) for s in samples] == [("hello there", 1), ("bye now", 0)]

    pd.DataFrame({"text": ["p", "q"], "label": [True, False]}).to_parquet(tmp_path / "d.parquet")
    assert [s.label for s in load_samples(str(tmp_path / "d.parquet"))] == [1, 0]

    folder = tmp_path / "txt"
    folder.mkdir()
    (folder / "b.txt").write_text("second", encoding="utf-8")
    (folder / "a.txt").write_text("first", encoding="utf-8")
    assert [(s.id, s.text) for s in load_samples(str(folder))] == [("a", "first"), ("b", "second")]

    datasets = pytest.importorskip("datasets")
    datasets.Dataset.from_dict({"text": ["u", "v"], "label": [0, 1]}).save_to_disk(tmp_path / "hf")
    assert [s.label for s in load_samples(str(tmp_path / "hf"))] == [0, 1]


@pytest.mark.parametrize("content, message", [
    ('{"text": "ok"}\n{"text": "broken\n', "line 2: invalid JSON"),
    ('{"prompt": "no text column", "label": 1}\n', 'field "text" is missing (columns seen: "prompt", "label"). Pass --text-column prompt.'),
    ('{"text": "   "}\n', 'line 1: field "text" is empty'),
    ('{"text": "a", "label": 7}\n', "label 7"),
    ('{"text": "a", "id": 1}\n{"text": "b", "id": 1}\n', "id '1' repeats line 1"),
    ('{"text": "a", "label": 1}\n{"text": "b"}\n', 'label field "label" is missing'),
    ('[1, 2]\n', "expected a JSON object"),
    ("", "no samples found"),
])
def test_bad_input_names_file_line_and_fix(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_samples(str(path))
    assert message in str(error.value) and "bad.jsonl" in str(error.value)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_samples(str(tmp_path / "nope.jsonl"))
    (tmp_path / "d.xlsx").write_text("x")
    with pytest.raises(InputError, match="unknown format"):
        load_samples(str(tmp_path / "d.xlsx"))


def test_data_hash_changes_with_content(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "a"}])
    first = data_hash(path)
    write_jsonl(path, [{"text": "b"}])
    assert data_hash(path) != first and len(first) == 64


def test_limit(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": str(i)} for i in range(5)])
    assert len(load_samples(DataConfig(str(path), limit=2))) == 2
