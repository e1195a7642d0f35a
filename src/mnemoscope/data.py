"""Read a dataset into Samples. Formats: .jsonl / .json (lines), .csv, .parquet, a folder of
.txt files (one sample per file, id = file name), or a folder saved by the `datasets`
library (`save_to_disk`). Every problem is reported with the file, the line or row, and
what to do; nothing is dropped silently.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from .types import InputError, Sample

_TRUE = {"1", "true", "yes", "member", "m"}
_FALSE = {"0", "false", "no", "nonmember", "non-member", "n"}


@dataclass(frozen=True)
class DataConfig:
    path: str
    text_column: str = "text"
    label_column: str | None = None   # None: use "label" when present
    id_column: str | None = None      # None: use "id" when present, else the row number
    limit: int | None = None          # keep the first N rows (for quick looks)


def data_hash(path: str | Path) -> str:
    """SHA-256 of the file, or of every file name and content in a folder."""
    path = Path(path)
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode() + b"\0")
        with open(file, "rb") as handle:
            while chunk := handle.read(1 << 22):
                digest.update(chunk)
    return digest.hexdigest()


def data_identity(data: DataConfig) -> dict[str, Any]:
    """The `data` block of every run identity: which file (and its content hash) and how it
    is read. The report reads texts back through it."""
    return {"path": str(Path(data.path).resolve()), "hash": data_hash(data.path),
            "text_column": data.text_column, "label_column": data.label_column,
            "id_column": data.id_column, "limit": data.limit}


def _open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (where, record) pairs; `where` is 'line N' or 'row N' for error messages."""
    name = path.name.lower().removesuffix(".gz")
    if path.is_dir():
        if (path / "dataset_info.json").is_file() or (path / "state.json").is_file():
            yield from _hf_records(path)
            return
        files = sorted(path.glob("*.txt"))
        if not files:
            raise InputError(f"{path}: folder has no .txt files and is not a saved HF dataset "
                             "(no dataset_info.json). Put one text per .txt file in it.")
        for file in files:
            yield f"file {file.name}", {"id": file.stem, "text": file.read_text(encoding="utf-8")}
        return
    if name.endswith((".jsonl", ".json", ".ndjson")):
        with _open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path} line {number}: invalid JSON ({exc.msg} at column "
                                     f"{exc.colno}). Fix or delete that line.") from None
                if not isinstance(record, dict):
                    raise InputError(f"{path} line {number}: expected a JSON object per line, "
                                     f"got {type(record).__name__}.")
                yield f"line {number}", record
        return
    if name.endswith((".csv", ".tsv")):
        with _open_text(path) as handle:
            reader = csv.DictReader(handle, delimiter="\t" if name.endswith(".tsv") else ",")
            for number, record in enumerate(reader, start=2):   # line 1 is the header
                yield f"line {number}", record
        return
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:
            raise InputError(f"{path}: cannot read Parquet ({exc}).") from None
        for number, record in enumerate(table.to_pylist()):
            yield f"row {number}", record
        return
    raise InputError(f"{path}: unknown format; use .jsonl, .csv, .tsv, .parquet (optionally "
                     ".gz for text formats), a folder of .txt files, or a saved HF dataset.")


def _hf_records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        import datasets
    except ImportError:
        raise InputError(f"{path} is a saved Hugging Face dataset; install the `datasets` "
                         "package (pip install 'mnemoscope[hfdatasets]') to read it.") from None
    _check_saved_dataset_json(path)
    try:
        loaded = datasets.load_from_disk(str(path))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: cannot read this saved Hugging Face dataset "
                         f"({type(exc).__name__}: {str(exc)[:200]}). Save it again with "
                         "Dataset.save_to_disk.") from None
    if isinstance(loaded, datasets.DatasetDict):
        raise InputError(f"{path} holds several splits ({', '.join(loaded)}); pass the folder "
                         f"of one split, e.g. {path}/{next(iter(loaded))}.")
    for number, record in enumerate(loaded):
        yield f"row {number}", record


def _check_saved_dataset_json(path: Path) -> None:
    """`datasets` reports a damaged metadata file as a bare JSONDecodeError naming no file."""
    for name in ("dataset_dict.json", "dataset_info.json", "state.json"):
        file = path / name
        if not file.is_file():
            continue
        try:
            json.loads(file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            where = (f" ({exc.msg} at line {exc.lineno} column {exc.colno})"
                     if isinstance(exc, json.JSONDecodeError) else " (not UTF-8 text)")
            raise InputError(f"{file}: invalid JSON{where}, so this saved Hugging Face dataset "
                             "cannot be read. Restore the file, or save the dataset again with "
                             "Dataset.save_to_disk.") from None


def _parse_label(value: Any, where: str, path: Path, column: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return int(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return 1
    if text in _FALSE:
        return 0
    raise InputError(f"{path} {where}: label {value!r} in column {column!r} is not 1 (member) "
                     "or 0 (non-member).")


def load_samples(config: DataConfig | str, **options: Any) -> list[Sample]:
    """Read and validate every row. Raises InputError on the first bad row."""
    if isinstance(config, str):
        config = DataConfig(path=config, **options)
    path = Path(config.path).expanduser()
    if not path.exists():
        raise InputError(f"{path}: no such file or folder.")
    samples: list[Sample] = []
    seen: dict[str, str] = {}
    label_column = config.label_column
    id_column = config.id_column
    for index, (where, record) in enumerate(_records(path)):
        if config.limit is not None and index >= config.limit:
            break
        columns = ", ".join(f'"{c}"' for c in record)
        if config.text_column not in record:
            hint = next((c for c in ("text", "prompt", "question", "content", "input")
                         if c in record), None)
            todo = f" Pass --text-column {hint}." if hint else " Pass --text-column NAME."
            raise InputError(f'{path} {where}: field "{config.text_column}" is missing '
                             f"(columns seen: {columns}).{todo}")
        text = record[config.text_column]
        if not isinstance(text, str):
            raise InputError(f'{path} {where}: field "{config.text_column}" is '
                             f"{type(text).__name__}, not a string.")
        if not text.strip():
            raise InputError(f'{path} {where}: field "{config.text_column}" is empty. '
                             "Remove the row or give it text.")
        if index == 0:
            if label_column is None and "label" in record:
                label_column = "label"
            if id_column is None and "id" in record:
                id_column = "id"
        label = None
        if label_column is not None:
            if label_column not in record:
                raise InputError(f'{path} {where}: label field "{label_column}" is missing '
                                 f"(columns seen: {columns}). Pass --label-column NAME, or drop it.")
            label = _parse_label(record[label_column], where, path, label_column)
        if id_column is not None:
            if id_column not in record or record[id_column] in (None, ""):
                raise InputError(f'{path} {where}: id field "{id_column}" is missing or empty '
                                 f"(columns seen: {columns}). Pass --id-column NAME.")
            sample_id = str(record[id_column])
        else:
            sample_id = str(index)
        if sample_id in seen:
            raise InputError(f"{path} {where}: id {sample_id!r} repeats {seen[sample_id]}. "
                             "Ids must be unique; fix the data or pass another --id-column.")
        seen[sample_id] = where
        meta = {k: v for k, v in record.items()
                if k not in (config.text_column, label_column, id_column)
                and isinstance(v, (str, int, float, bool))}
        samples.append(Sample(sample_id, text, label, meta))
    if not samples:
        raise InputError(f"{path}: no samples found.")
    labelled = [s.label is not None for s in samples]
    if any(labelled) and not all(labelled):
        missing = sum(not x for x in labelled)
        first = next(s.id for s in samples if s.label is None)
        raise InputError(f"{path}: {missing} row(s) have no label (first: id {first!r}) while "
                         "others do. Label every row, or none.")
    return samples

