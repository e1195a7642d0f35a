"""Atomic file and folder output: a reader sees the old version or the new one, never half.

Everything is written to a temporary name in the target's own folder (so the final rename
stays on one file system), flushed to disk with fsync, then renamed over the target with
os.replace. A failure removes the temporary and leaves the target as it was.

A folder cannot be replaced by one rename while the old one exists, so it is swapped in
three steps: old folder renamed aside, new folder renamed into place, old folder removed.
At every moment one complete version exists under one of the names; the old one is put
back if the second rename fails (and by the next run's cleanup after a crash between them).

Inside a mnemoscope folder, the target (and a folder's files) are listed in the manifest
before they are renamed into place (manifest.py), and an existing folder holding files
mnemoscope did not write is never replaced. Fault points for crash tests: file.half,
file.synced and file.renamed (json.* for atomic_write_json; faults.py).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from . import faults, manifest
from .types import InputError


def _temporary_name(target: Path, tag: str) -> Path:
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.{tag}")


def _fsync_file(path: Path) -> None:
    # fsync acts on the inode, so a fresh read-only descriptor flushes what a library wrote
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(path: Path) -> None:
    """Make the names in a folder durable (a rename is only on disk once its folder is)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:             # folders cannot be opened on some platforms (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    """fsync a file, or every file and folder under a folder."""
    if not path.is_dir():
        _fsync_file(path)
        return
    for root, _, files in os.walk(path):
        for name in files:
            _fsync_file(Path(root) / name)
        fsync_folder(Path(root))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _swap_folder(new: Path, target: Path) -> None:
    aside = _temporary_name(target, "old")
    target.rename(aside)
    try:
        new.rename(target)
    except BaseException:
        aside.rename(target)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _refuse_foreign_contents(target: Path) -> None:
    """A folder about to be replaced must hold only what mnemoscope wrote there."""
    if not target.is_dir() or target.is_symlink() or manifest.owner_of(target) is None:
        return
    foreign = manifest.unlisted(target)
    if foreign:
        shown = ", ".join(str(p.relative_to(target.absolute())) for p in foreign[:3])
        raise InputError(f"{target} holds files mnemoscope did not write ({shown}"
                         f"{' ...' if len(foreign) > 3 else ''}); nothing was replaced. Move "
                         "them out of the way, or use a new --out.")


@contextmanager
def atomic_output(target: str | Path, what: str = "file") -> Iterator[Path]:
    """Yield a temporary path beside `target`; write a file or a folder there. On a normal
    exit it is fsynced and moved onto `target`; on an exception it is removed and `target`
    is untouched.

        with atomic_output(out / "data.parquet") as tmp:
            pq.write_table(table, tmp)
    """
    target = Path(target)
    _refuse_foreign_contents(target)
    manifest.record(target)
    tmp = _temporary_name(target, "tmp")
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"{tmp}: nothing was written for {target}")
        fsync_tree(tmp)
        if tmp.is_dir():
            manifest.record_tree(target, tmp)
        faults.point(f"{what}.synced")
        if tmp.is_dir() and target.is_dir() and not target.is_symlink():
            _swap_folder(tmp, target)
        elif tmp.is_dir() and target.exists():
            aside = _temporary_name(target, "old")
            os.replace(target, aside)
            tmp.rename(target)
            _remove(aside)
        else:
            if target.is_dir() and not target.is_symlink():
                raise IsADirectoryError(f"{target} is a folder; cannot replace it with a file")
            os.replace(tmp, target)
    except BaseException:
        _remove(tmp)
        raise
    faults.point(f"{what}.renamed")
    fsync_folder(target.parent)


def atomic_write_bytes(path: str | Path, data: bytes, what: str = "file") -> Path:
    path = Path(path)
    with atomic_output(path, what) as tmp:
        with open(tmp, "wb") as handle:
            faults.write(handle, data, what)
    return path


def atomic_write_text(path: str | Path, text: str, what: str = "file") -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"), what)


def atomic_write_json(path: str | Path, payload: Any,
                      default: Callable[[Any], Any] | None = None) -> Path:
    """`payload` as indented JSON (as the run store writes it), atomically."""
    return atomic_write_text(path, json.dumps(payload, indent=2, default=default) + "\n",
                             "json")
