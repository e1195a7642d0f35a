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
import logging
import math
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from .types import InputError, Sample

log = logging.getLogger(__name__)

_TRUE = {"1", "1.0", "true", "yes", "member", "m"}
_FALSE = {"0", "0.0", "false", "no", "nonmember", "non-member", "n"}


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


# Python's default is 131,072 characters; a long document in one CSV cell is data, not an error.
_CSV_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)
_GZIP_MAGIC = b"\x1f\x8b"


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line (Arrow and `datasets` messages span several)."""
    return " ".join(str(exc).split()).rstrip(".") or type(exc).__name__


def text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line) of a UTF-8 text file, .gz or plain, streamed. Lines end at \\n,
    \\r\\n or a lone \\r (as in Python's text mode) and keep their ending. Each line is
    decoded on its own, so a bad byte is reported with its line; a leading byte-order mark is
    dropped. Raises InputError for undecodable text and unreadable or corrupt .gz files."""
    compressed = path.name.lower().endswith(".gz")
    number = 0
    try:
        with (gzip.open(path, "rb") if compressed else open(path, "rb")) as handle:
            for chunk in handle:
                for raw in chunk.splitlines(keepends=True) if b"\r" in chunk else (chunk,):
                    number += 1
                    yield number, _decode(raw, number, path)
    except (OSError, EOFError, zlib.error) as exc:
        what = "decompress" if compressed else "read"
        fix = (" Is the file complete and really gzip-compressed? Otherwise drop the .gz suffix."
               if compressed else "")
        raise InputError(f"{path}: cannot {what} ({_one_line(exc)}).{fix}") from None


def _decode(raw: bytes, number: int, path: Path) -> str:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        hint = (" It looks gzip-compressed: name it with a .gz suffix."
                if number == 1 and raw.startswith(_GZIP_MAGIC) else
                " Convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8).")
        raise InputError(f"{path} line {number}: not UTF-8 text (byte 0x{raw[exc.start]:02x} "
                         f"at column {exc.start + 1}).{hint}") from None
    return line.removeprefix("\ufeff") if number == 1 else line


_ARRAY_HINT = (" A .json file must hold one object per line (JSON lines); convert a JSON array "
               "with: jq -c '.[]' FILE.")


def json_line(line: str, where: str, advice: str) -> Any:
    """One line of a JSON-lines file, parsed. InputError "WHERE: invalid JSON (what, at
    column C). ADVICE" for a syntax error, "WHERE: cannot read this JSON (...). ADVICE" for
    what the parser refuses beyond syntax (5,000-digit numbers, deep nesting), so that no
    reader of user files tracebacks on either."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno}). "
                         f"{advice}") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{where}: cannot read this JSON ({_one_line(exc)}). {advice}") \
            from None


def _json_lines(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for number, line in text_lines(path):
        if not line.strip():
            continue
        whole = _ARRAY_HINT if number == 1 and line.lstrip()[:1] == "[" else ""
        record = json_line(line, f"{path} line {number}", "Fix or delete that line." + whole)
        if not isinstance(record, dict):
            whole = _ARRAY_HINT if isinstance(record, list) and number == 1 else ""
            raise InputError(f"{path} line {number}: expected a JSON object per line, "
                             f"got {type(record).__name__}. Write each row as "
                             '{"text": ..., "label": ...}.' + whole)
        yield f"line {number}", record


def _csv_rows(path: Path, delimiter: str) -> Iterator[tuple[str, dict[str, Any]]]:
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    reader = csv.reader((line for _, line in text_lines(path)), delimiter=delimiter)
    kind = "tab-separated" if delimiter == "\t" else "comma-separated"
    try:
        header = next((row for row in reader if row), None)     # blank lines before it
        if header is None:
            return
        repeated = sorted({c for c in header if header.count(c) > 1})
        if repeated:
            raise InputError(f"{path} line 1: column name(s) {', '.join(map(repr, repeated))} "
                             "appear more than once in the header. Give every column its own "
                             "name.")
        for row in reader:
            if not row:
                continue                      # a blank line
            where = f"line {reader.line_num}"
            if len(row) > len(header):
                raise InputError(f"{path} {where}: {len(row)} fields, but the header has "
                                 f"{len(header)}. Quote fields that contain the delimiter "
                                 f"(this file is read as {kind}).")
            yield where, dict(zip(header, row + [None] * (len(header) - len(row))))
    except csv.Error as exc:
        raise InputError(f"{path} line {reader.line_num}: malformed {kind} text "
                         f"({_one_line(exc)}). Fix the quoting on that line.") from None


def _parquet_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    import pyarrow.parquet as pq

    fix = ("Is the file complete? Write it again (e.g. pandas.DataFrame.to_parquet), or use "
           ".jsonl or .csv.")
    number = 0
    try:
        parquet = pq.ParquetFile(path)
        for batch in parquet.iter_batches(batch_size=4096):
            for record in batch.to_pylist():
                yield f"row {number}", record
                number += 1
    except Exception as exc:     # Arrow raises ArrowInvalid, OSError, ... for damaged files
        at = f" row {number}" if number else ""
        raise InputError(f"{path}{at}: cannot read Parquet ({_one_line(exc)}). {fix}") from None


def _text_files(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    files = sorted(p for p in path.glob("*.txt") if p.is_file())
    if not files:
        raise InputError(f"{path}: folder has no .txt files and is not a saved HF dataset "
                         "(no dataset_info.json). Put one text per .txt file in it.")
    for file in files:
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise InputError(f"{file}: cannot read ({_one_line(exc)}).") from None
        try:
            text = raw.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise InputError(f"{file} line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} "
                             f"at offset {exc.start}). Convert the file to UTF-8 (e.g. iconv "
                             "-f latin1 -t utf-8).") from None
        yield f"file {file.name}", {"id": file.stem, "text": text}


def _is_hf_folder(path: Path) -> bool:
    return any((path / name).is_file()
               for name in ("dataset_info.json", "state.json", "dataset_dict.json"))


def _records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (where, record) pairs; `where` is 'line N' or 'row N' for error messages."""
    name = path.name.lower().removesuffix(".gz")
    if path.is_dir():
        yield from (_hf_records(path) if _is_hf_folder(path) else _text_files(path))
    elif name.endswith((".jsonl", ".json", ".ndjson")):
        yield from _json_lines(path)
    elif name.endswith((".csv", ".tsv")):
        yield from _csv_rows(path, "\t" if name.endswith(".tsv") else ",")
    elif name.endswith(".parquet") and not path.name.lower().endswith(".gz"):
        yield from _parquet_rows(path)
    else:
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
    except Exception as exc:     # a damaged folder: FileNotFoundError, JSON or Arrow errors
        raise InputError(f"{path}: cannot load this saved Hugging Face dataset "
                         f"({_one_line(exc)}). Is the folder complete? Save it again with "
                         "Dataset.save_to_disk, or export it to .jsonl.") from None
    if isinstance(loaded, datasets.DatasetDict):
        raise InputError(f"{path} holds several splits ({', '.join(loaded)}); pass the folder "
                         f"of one split, e.g. {path}/{next(iter(loaded), 'train')}.")
    number = 0
    try:
        for number, record in enumerate(loaded):
            yield f"row {number}", record
    except Exception as exc:
        raise InputError(f"{path} row {number}: cannot read this saved Hugging Face dataset "
                         f"({_one_line(exc)}). Save it again with Dataset.save_to_disk.") from None


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
    if isinstance(value, float) and math.isnan(value):    # pandas' missing value
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
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise InputError(f"{path} {where}: label {shown} in column {column!r} is not 1 (member) "
                     "or 0 (non-member). Write 1 or 0 (true/false, yes/no and member/nonmember "
                     "are read too), or pass --label-column NAME for another column.")


def _valid_unicode(text: str) -> bool:
    """False for a string holding an unpaired surrogate (JSON allows the escape "\\ud800");
    no tokenizer or Parquet file takes one."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def load_samples(config: DataConfig | str, **options: Any) -> list[Sample]:
    """Read and validate every row. Raises InputError on the first bad row."""
    if isinstance(config, str):
        config = DataConfig(path=config, **options)
    path = Path(config.path).expanduser()
    if not path.exists():
        raise InputError(f"{path}: no such file or folder. Check the path (relative paths "
                         f"start at {Path.cwd()}).")
    samples: list[Sample] = []
    seen: dict[str, str] = {}
    label_column = config.label_column
    id_column = config.id_column
    for index, (where, record) in enumerate(_records(path)):
        if config.limit is not None and index >= config.limit:
            break
        columns = ", ".join(f'"{c}"' for c in list(record)[:12]) + (", ..." if len(record) > 12
                                                                     else "")
        if config.text_column not in record:
            hint = next((c for c in ("text", "prompt", "question", "content", "input")
                         if c in record), None)
            todo = f" Pass --text-column {hint}." if hint else " Pass --text-column NAME."
            raise InputError(f'{path} {where}: field "{config.text_column}" is missing '
                             f"(columns seen: {columns}).{todo}")
        text = record[config.text_column]
        if text is not None and not isinstance(text, str):
            raise InputError(f'{path} {where}: field "{config.text_column}" is '
                             f"{type(text).__name__}, not a string. Pass --text-column NAME for "
                             "the column that holds the text.")
        if not text or not text.strip():
            raise InputError(f'{path} {where}: field "{config.text_column}" is empty. '
                             "Remove the row or give it text.")
        if not _valid_unicode(text):
            raise InputError(f'{path} {where}: field "{config.text_column}" holds an unpaired '
                             'surrogate (an escape such as "\\ud800"), which is not valid '
                             "Unicode. Fix or remove that escape.")
        if index == 0:
            if label_column is None and "label" in record:
                label_column = "label"
            if id_column is None and "id" in record:
                id_column = "id"
        label = None
        if label_column is not None:
            if label_column not in record:
                todo = "Pass --label-column NAME, or drop it." if config.label_column else \
                    "Label every row, or none."           # found on the first row, not asked for
                raise InputError(f'{path} {where}: label field "{label_column}" is missing '
                                 f"(columns seen: {columns}). {todo}")
            label = _parse_label(record[label_column], where, path, label_column)
        if id_column is not None:
            if id_column not in record or record[id_column] in (None, ""):
                raise InputError(f'{path} {where}: id field "{id_column}" is missing or empty '
                                 f"(columns seen: {columns}). Pass --id-column NAME.")
            sample_id = str(record[id_column])
            if not _valid_unicode(sample_id):
                raise InputError(f'{path} {where}: id field "{id_column}" holds an unpaired '
                                 "surrogate, which is not valid Unicode. Fix that id.")
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
        raise InputError(f"{path}: no samples found (an empty file, or a header with no rows). "
                         "Give it one row per text.")
    labelled = [s.label is not None for s in samples]
    if any(labelled) and not all(labelled):
        missing = sum(not x for x in labelled)
        first = next(s.id for s in samples if s.label is None)
        raise InputError(f"{path} {seen[first]}: no label (id {first!r}), while other rows have "
                         f"one; {missing} row(s) in all lack a label. Label every row, or none.")
    _check_classes(samples, path, label_column, asked=config.label_column is not None,
                   limit=config.limit)
    return samples


def _check_classes(samples: list[Sample], path: Path, column: str | None, asked: bool,
                   limit: int | None = None) -> None:
    """Labels of one class are valid data (a members-only file can still be scored or
    extracted from), but every member vs non-member comparison needs both: say so once.
    When --label-column was asked for, the comparison was the point: refuse instead."""
    classes = {s.label for s in samples}
    if len(classes) == 1 and None not in classes:
        which, other = ("1 (member)", "0 (non-member)") if 1 in classes else \
            ("0 (non-member)", "1 (member)")
        if asked:
            cut = f" in the first {limit} rows (--limit; is the file sorted by label?)" \
                if limit is not None else ""
            raise InputError(f"{path}: every label in column {column!r} is {which}{cut}, so "
                             f"nothing compares members with non-members (no AUROC or TPR). Add "
                             f"rows labelled {other}, or drop --label-column to read the texts "
                             "without a comparison.")
        log.warning("%s: every label in column %r is %s, so nothing compares members with "
                    "non-members (no AUROC or TPR). Add rows labelled %s, or pass "
                    "--label-column NAME if another column holds the labels.",
                    path, column, which, other)

