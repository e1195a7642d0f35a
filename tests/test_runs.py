from __future__ import annotations

import subprocess
import sys

import pytest

from mnemoscope.runs import RunWriter, read_rows, read_spec
from mnemoscope.types import InputError, Sample, SpecMismatchError


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
    writer = RunWriter(tmp_path / "run", {"model": "m", "k": 1})
    writer.add([{"id": "a", "x": 1.0}])
    writer.flush()
    with pytest.raises(SpecMismatchError, match=r"k: 1 -> 2.*another --out"):
        RunWriter(tmp_path / "run", {"model": "m", "k": 2})


def test_temporary_files_are_ignored_and_cleaned_on_reopen(tmp_path):
    writer = RunWriter(tmp_path / "run", {})
    stale = writer.parts / ".part-x.parquet.tmp"
    stale.write_bytes(b"half a file")
    assert writer.done_ids() == set()
    assert len(read_rows(tmp_path / "run")) == 0
    RunWriter(tmp_path / "run", {})
    assert not stale.exists()


def test_a_run_that_wrote_nothing_takes_the_corrected_spec(tmp_path):
    """A failed first attempt (a wrong column, say) must not block the corrected command."""
    RunWriter(tmp_path / "run", {"column": "txt"})
    again = RunWriter(tmp_path / "run", {"column": "text"})
    assert read_spec(tmp_path / "run")["identity"] == {"column": "text"}
    assert not again.resumed or again.done_ids() == set()


def test_a_foreign_folder_is_refused_and_left_untouched(tmp_path):
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "chapter1.tex").write_text("mine")
    with pytest.raises(InputError, match=r"not a mnemoscope run \(chapter1.tex\); nothing was "
                                         r"touched. Pass a new or empty folder"):
        RunWriter(folder, {"k": 1})
    assert sorted(p.name for p in folder.iterdir()) == ["chapter1.tex"]
    file_out = tmp_path / "file.txt"
    file_out.write_text("x")
    with pytest.raises(InputError, match="is a file, not a folder"):
        RunWriter(file_out, {"k": 1})


def test_a_cut_short_part_is_set_aside_and_its_rows_redone(tmp_path):
    writer = RunWriter(tmp_path / "run", {"k": 1})
    writer.add([{"id": "a", "x": 1.0}])
    good = writer.flush()
    writer.add([{"id": "b", "x": 2.0}])
    bad = writer.flush()
    bad.write_bytes(bad.read_bytes()[:20])           # a power loss mid-write
    with pytest.raises(InputError, match="this part cannot be read.*same --out"):
        read_rows(tmp_path / "run")
    again = RunWriter(tmp_path / "run", {"k": 1})
    assert again.done_ids() == {"a"}
    assert (tmp_path / "run" / "parts.unreadable" / bad.name).is_file() and good.is_file()
    assert again.pending([Sample("a", "x"), Sample("b", "yy")]) == [Sample("b", "yy")]


def test_a_corrupt_spec_is_one_clear_error(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "spec.json").write_text("{not json")
    with pytest.raises(InputError, match=r"spec.json: the run spec \(spec.json\) is not valid JSON"):
        RunWriter(tmp_path / "run", {"k": 1})


_HOLD = """
import sys, time
from mnemoscope.runs import RunWriter
RunWriter(sys.argv[1], {"k": 1})
print("holding", flush=True)
time.sleep(60)
"""


def test_a_second_process_on_the_same_run_is_refused(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(tmp_path / "run")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(InputError, match=rf"in use by another mnemoscope process "
                                             rf"\(pid {holder.pid}\)"):
            RunWriter(tmp_path / "run", {"k": 1})
    finally:
        holder.kill()
        holder.wait()
    RunWriter(tmp_path / "run", {"k": 1})           # the lock died with its process
