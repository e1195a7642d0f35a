from __future__ import annotations

import os
import signal
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


_WRITE_TWO_PARTS = """
import sys
from mnemoscope.runs import RunWriter
run = RunWriter(sys.argv[1], {"k": 1})
for i in range(2):
    run.add([{"id": str(i), "x": float(i)}])
    run.flush()
"""


def _killed_writing(run_dir, fault: str) -> subprocess.CompletedProcess:
    """Run _WRITE_TWO_PARTS with MNEMOSCOPE_FAULT=fault: SIGKILLed inside a write."""
    env = {**os.environ, "MNEMOSCOPE_FAULT": fault}
    done = subprocess.run([sys.executable, "-c", _WRITE_TWO_PARTS, str(run_dir)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert f"fault injected at {fault.split(':')[0]}" in done.stderr
    return done


def test_a_temporary_cut_short_by_a_kill_is_ignored_then_removed_on_reopen(tmp_path):
    run_dir = tmp_path / "run"
    _killed_writing(run_dir, "part.half:2")       # the second part, half written
    [stale] = list((run_dir / "parts").glob(".*.tmp"))
    assert 0 < stale.stat().st_size
    assert read_rows(run_dir)["id"].tolist() == ["0"]
    mine = [run_dir / ".notes.tmp", run_dir / "parts" / ".draft.0123456789ab.tmp"]
    for path in mine:                              # a user's files that look like temporaries
        path.write_text("keep me")
    again = RunWriter(run_dir, {"k": 1})
    assert again.done_ids() == {"0"} and not stale.exists()
    assert all(path.read_text() == "keep me" for path in mine)


@pytest.mark.parametrize("fault, rows_on_disk", [
    ("part.synced:2", ["0"]), ("part.renamed:2", ["0", "1"]), ("part.done:1", ["0"]),
    ("json.half:1", None), ("json.synced:1", None), ("json.renamed:1", "spec only")])
def test_a_kill_inside_a_write_leaves_whole_files_only(tmp_path, fault, rows_on_disk):
    """Killed at each fault point: every part and spec.json on disk is whole, the rows are
    those whose part was renamed, and a resume (same spec) writes the rest once."""
    run_dir = tmp_path / "run"
    _killed_writing(run_dir, fault)
    if rows_on_disk is None:                       # killed writing spec.json: no run yet
        assert not (run_dir / "spec.json").exists()
    else:
        assert read_spec(run_dir)["identity"] == {"k": 1}
        expected = [] if rows_on_disk == "spec only" else rows_on_disk
        assert read_rows(run_dir)["id"].tolist() == expected
    again = RunWriter(run_dir, {"k": 1})
    missing = [i for i in ("0", "1") if i not in again.done_ids()]
    again.add([{"id": i, "x": float(i)} for i in missing])
    again.flush()
    import pandas as pd

    assert sorted(pd.read_parquet(run_dir / "parts")["id"]) == ["0", "1"]   # none twice
    assert not list(run_dir.rglob(".*.tmp"))


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
