"""What mnemoscope wrote in a folder: the manifest that every deletion goes through.

A folder mnemoscope owns (a run folder, or a folder an audit claimed inside one) holds
`.mnemoscope`. Its presence says "this folder is mnemoscope's"; its lines list the paths
mnemoscope wrote inside it, relative, "/" after a folder:

    .lock
    spec.json
    parts/
    parts/part-01796284541360582575-main-28a51e1d.parquet
    model/
    model/config.json
    calibration/        <- an owned sub-folder: what is inside it is in its own manifest

Writers (parts, atomic files and folders, claimed folders) list a path in the manifest of
the nearest owned folder above it *before* writing it: a crash leaves at worst a line for
a file that never appeared, never a file of ours that is not listed. A line is appended
with one write() and fsynced; a torn last line (no newline) is ignored.

`remove(path)` deletes only listed paths (inside an owned sub-folder, through that folder's
own manifest) and removes the folders it emptied. A file a user put into a run folder, or
into any folder under it, is never deleted, and the folders holding it stay; `remove`
returns what it left, so a caller that needs the path gone can say what is in the way.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

MARKER = ".mnemoscope"
# a write in progress beside its target: .<target name>.<hex>.tmp, or .old for the previous
# version of a folder while the new one is swapped in (fileio.atomic_output)
TEMPORARY = re.compile(r"^\.(?P<target>.+)\.[0-9a-f]{8,32}\.(?P<kind>tmp|old)$")


def owns(folder: Path) -> bool:
    return (Path(folder) / MARKER).is_file()


def owner_of(path: str | Path) -> Path | None:
    """The nearest folder above `path` that mnemoscope owns, or None."""
    for folder in Path(path).absolute().parents:
        if (folder / MARKER).is_file():
            return folder
    return None


def record(path: str | Path, *, folder: bool = False) -> None:
    """List `path` in its owner's manifest, before it is written (no owner: nothing to do)."""
    path = Path(path).absolute()
    owner = owner_of(path)
    if owner is not None:
        _append(owner, [_line(path, owner, folder)])


def record_tree(target: str | Path, source: str | Path) -> None:
    """List `target` as a folder, and everything under `source` as if it were under
    `target`: called just before `source` (a finished temporary folder) is renamed."""
    target, source = Path(target).absolute(), Path(source)
    owner = owner_of(target)
    if owner is None:
        return
    lines = [_line(target, owner, True)]
    for root, folders, files in os.walk(source):
        inside = target / Path(root).relative_to(source)
        lines += [_line(inside / name, owner, True) for name in sorted(folders)]
        lines += [_line(inside / name, owner, False) for name in sorted(files)]
    _append(owner, lines)


def listed(owner: Path) -> set[str]:
    """The paths in `owner`'s manifest (relative; folders end with "/")."""
    try:
        text = (Path(owner) / MARKER).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return set()
    return {line for line in text.split("\n")[:-1] if line}   # [-1]: "" or a torn line


def remove(path: str | Path) -> list[Path]:
    """Delete what mnemoscope wrote at `path`: a listed file, or a listed folder and what was
    written inside it. Returns the paths left because they are not listed (empty: gone)."""
    path = Path(path).absolute()
    if not os.path.lexists(path):
        return []
    owner = owner_of(path)
    if owner is None:
        return [path]
    manifests: dict[Path, set[str]] = {}
    left = _walk(path, owner, manifests, delete=True)
    for folder, names in manifests.items():
        if owns(folder):
            _compact(folder, names)
    return left


def unlisted(path: str | Path) -> list[Path]:
    """What `remove(path)` would leave: the paths at or under `path` mnemoscope did not write
    (everything, when no owned folder is above it)."""
    path = Path(path).absolute()
    if not os.path.lexists(path):
        return []
    owner = owner_of(path)
    return [path] if owner is None else _walk(path, owner, {}, delete=False)


def remove_temporaries(folder: Path) -> None:
    """Temporaries a killed process left in `folder`, and only ours: a name matching
    TEMPORARY whose target is listed. The previous version of a folder whose swap was cut
    between its two renames is put back; anything else is removed."""
    folder = Path(folder).absolute()
    owner = folder if owns(folder) else owner_of(folder)
    if owner is None or not folder.is_dir():
        return
    names = listed(owner)
    for entry in folder.iterdir():
        match = TEMPORARY.match(entry.name)
        if not match:
            continue
        target = folder / match["target"]
        ours = target.name == MARKER or _line(target, owner, False) in names \
            or _line(target, owner, True) in names
        if not ours:
            continue
        if match["kind"] == "old" and not os.path.lexists(target):
            entry.rename(target)
        elif entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


# ---------------------------------------------------------------- internals
def _line(path: Path, owner: Path, folder: bool) -> str:
    return path.relative_to(owner).as_posix() + ("/" if folder else "")


def _append(owner: Path, lines: list[str]) -> None:
    fd = os.open(owner / MARKER, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, "".join(line + "\n" for line in lines).encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def _walk(path: Path, owner: Path, manifests: dict[Path, set[str]], delete: bool) -> list[Path]:
    """The unlisted paths at or under `path`; with `delete`, the listed ones are removed."""
    names = manifests.setdefault(owner, listed(owner))
    if _line(path, owner, False) not in names and _line(path, owner, True) not in names:
        return [path]
    if path.is_symlink() or not path.is_dir():
        if delete:
            path.unlink()
        return []
    inner = path if owns(path) else owner
    left: list[Path] = []
    for child in sorted(path.iterdir()):
        if not (inner == path and child.name == MARKER):
            left += _walk(child, inner, manifests, delete)
    if delete and not left:
        if inner == path:
            (path / MARKER).unlink()
            manifests.pop(path, None)
        path.rmdir()
    return left


def _compact(owner: Path, names: set[str]) -> None:
    """Rewrite a manifest without the lines of paths that are gone."""
    kept = [n for n in sorted(names) if os.path.lexists(owner / n.rstrip("/"))]
    if len(kept) == len(names):
        return
    tmp = owner / f".{MARKER}.{uuid.uuid4().hex[:12]}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write("".join(n + "\n" for n in kept))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, owner / MARKER)
