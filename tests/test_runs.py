from __future__ import annotations

import pytest

from mnemoscope.runs import RunWriter, read_rows, read_spec
from mnemoscope.types import SpecMismatchError


def test_parts_append_and_resume(tmp_path):
    writer = RunWriter(tmp_path / "run", {"model": "m", "k": 1})
    writer.add([{"id": "a", "x": 1.0}, {"id": "b", "x": 2.0}])
    writer.flush()
    assert writer.flush() is None                     # nothing buffered, nothing written
    again = RunWriter(tmp_path / "run", {"model": "m", "k": 1})
    assert again.resumed and again.done_ids() == {"a", "b"}
    again.add([{"id": "c", "x": 3.0}])
    again.flush()
    assert read_rows(tmp_path / "run")["id"].tolist() == ["a", "b", "c"]
    assert read_spec(tmp_path / "run")["identity"] == {"model": "m", "k": 1}


def test_different_spec_is_refused_with_the_difference(tmp_path):
    RunWriter(tmp_path / "run", {"model": "m", "k": 1})
    with pytest.raises(SpecMismatchError, match=r"k: 1 -> 2.*another --out"):
        RunWriter(tmp_path / "run", {"model": "m", "k": 2})


def test_temporary_files_are_ignored(tmp_path):
    writer = RunWriter(tmp_path / "run", {})
    (writer.parts / ".part-x.parquet.tmp").write_bytes(b"half a file")
    assert writer.done_ids() == set()
    assert len(read_rows(tmp_path / "run")) == 0
