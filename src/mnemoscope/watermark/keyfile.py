"""Reading a watermark key (DIR/key.json) and the files it names.

A key may come from someone else, so nothing in it is trusted as a path: the data file it
names must lie inside the key's own folder (no `../`, no absolute path, no symlink out).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..types import InputError

KEY_FILE = "key.json"
KEY_FORMAT = "mnemoscope-leximark-key/1"


def read_key(directory: str | Path) -> dict[str, Any]:
    directory = Path(directory)
    path = directory / KEY_FILE
    if not path.is_file():
        raise InputError(f"{directory}: no {KEY_FILE}. Pass the --out folder of "
                         "`mnemoscope watermark embed` (it holds the key and the data).")
    try:
        key = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc}). Restore the key from your copy; "
                         "without it the watermark cannot be verified.") from None
    if not isinstance(key, dict) or key.get("format") != KEY_FORMAT:
        found = key.get("format") if isinstance(key, dict) else type(key).__name__
        raise InputError(f"{path}: not a mnemoscope watermark key (format {found!r}).")
    return key


def key_data_path(directory: str | Path, key: dict[str, Any]) -> Path:
    """The watermarked data file the key names, resolved, refused unless inside `directory`."""
    directory = Path(directory)
    name = key.get("data_file")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{directory / KEY_FILE}: 'data_file' is missing or not a file name.")
    root = directory.resolve()
    path = (root / name).resolve()
    if Path(name).is_absolute() or path == root or not path.is_relative_to(root):
        raise InputError(f"{directory / KEY_FILE}: data_file {name!r} points outside the key's "
                         f"folder {directory}. A key may only name a file beside it; put the "
                         "data there and set data_file to its name.")
    return path
