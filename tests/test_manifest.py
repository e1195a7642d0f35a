"""The manifest (mnemoscope/manifest.py): every path the run store writes is listed before it
is written, and deletions remove listed paths only, never a file a user put beside them."""

from __future__ import annotations

import pytest

from mnemoscope import manifest
from mnemoscope.fileio import atomic_output, atomic_write_text
from mnemoscope.runs import RunWriter, claim_folder, write_json_atomic
from mnemoscope.types import InputError


def test_the_run_store_lists_what_it_writes(tmp_path):
    run = RunWriter(tmp_path / "run", {"k": 1})
    run.add([{"id": "a"}])
    part = run.flush()
    run.finish({"n": 1}, report=False)
    sub = claim_folder(tmp_path / "run" / "calibration")
    write_json_atomic(sub / "summary.json", {})
    assert manifest.listed(tmp_path / "run") == {
        ".lock", "spec.json", "parts/", f"parts/{part.name}", "summary.json", "calibration/"}
    assert manifest.listed(sub) == {"summary.json"}


def test_a_torn_last_line_is_ignored(tmp_path):
    claim_folder(tmp_path / "run")
    manifest.record(tmp_path / "run" / "a.json")
    with open(tmp_path / "run" / manifest.MARKER, "a") as handle:
        handle.write("half-writ")                   # killed mid-append: no newline
    assert manifest.listed(tmp_path / "run") == {"a.json"}


def _user_file(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("the user's")
    return path


def test_remove_deletes_listed_paths_and_keeps_the_users(tmp_path):
    out = claim_folder(tmp_path / "run")
    after = RunWriter(out / "after", {"k": 1})               # a sub-run: its own manifest
    after.add([{"id": "a"}])
    after.flush()
    after.finish({"n": 1}, report=False)
    write_json_atomic(out / "training.json", {})
    mine = [_user_file(out / "notes.txt"), _user_file(out / "after" / "parts" / "mine.parquet")]
    assert manifest.unlisted(out / "after") == [mine[1]]
    assert manifest.remove(out / "after") == [mine[1]]
    # spec, part, summary and lock gone; the folders holding the user's file stay, and so
    # does the marker of a folder that is not empty
    assert sorted(p.relative_to(out).as_posix() for p in (out / "after").rglob("*")) == \
        ["after/.mnemoscope", "after/parts", "after/parts/mine.parquet"]
    assert manifest.remove(out / "training.json") == [] and not (out / "training.json").exists()
    assert manifest.remove(out / "notes.txt") == [mine[0]]
    assert all(p.read_text() == "the user's" for p in mine)
    mine[1].unlink()
    assert manifest.remove(out / "after") == [] and not (out / "after").exists()
    assert "training.json" not in manifest.listed(out)       # lines of removed paths dropped


def test_nothing_outside_a_mnemoscope_folder_is_removed(tmp_path):
    folder = _user_file(tmp_path / "thesis" / "chapter.tex").parent
    assert manifest.remove(folder) == [folder.absolute()]
    assert (folder / "chapter.tex").read_text() == "the user's"


def test_an_owned_folder_holding_a_users_file_is_never_replaced(tmp_path):
    out = claim_folder(tmp_path / "run")
    with atomic_output(out / "adapter") as tmp:
        tmp.mkdir()
        (tmp / "weights.bin").write_bytes(b"v1")
    with atomic_output(out / "adapter") as tmp:                # ours only: replaced
        tmp.mkdir()
        (tmp / "weights.bin").write_bytes(b"v2")
    assert (out / "adapter" / "weights.bin").read_bytes() == b"v2"
    _user_file(out / "adapter" / "README.md")
    with pytest.raises(InputError, match=r"adapter holds files mnemoscope did not write "
                                         r"\(README.md\); nothing was replaced"):
        with atomic_output(out / "adapter") as tmp:
            tmp.mkdir()
    assert (out / "adapter" / "weights.bin").read_bytes() == b"v2"
    assert (out / "adapter" / "README.md").read_text() == "the user's"


def test_temporaries_are_removed_only_when_theirs_is_listed(tmp_path):
    out = claim_folder(tmp_path / "run")
    manifest.record(out / "summary.json")                   # write-ahead, then killed
    ours = out / ".summary.json.0123456789abcdef.tmp"
    ours.write_text("{half")
    lookalike = _user_file(out / ".draft.0123456789ab.tmp")    # no listed "draft"
    manifest.record(out / "model", folder=True)
    (out / ".model.aaaaaaaaaaaa.tmp").mkdir()                 # a model folder being written
    old = out / ".model.bbbbbbbbbbbb.old"                      # a swap cut between renames
    _user_file(old / "config.json")
    manifest.remove_temporaries(out)
    assert not ours.exists() and lookalike.exists()
    assert not (out / ".model.aaaaaaaaaaaa.tmp").exists()
    assert (out / "model" / "config.json").is_file()          # the old version put back


def test_atomic_files_in_a_run_are_listed(tmp_path):
    out = claim_folder(tmp_path / "run")
    atomic_write_text(out / "report.html", "<html>")
    assert "report.html" in manifest.listed(out)
