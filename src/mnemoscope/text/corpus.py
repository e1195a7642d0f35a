"""Stream a training corpus in bounded batches of records, for the n-gram overlap scan.

Formats (each optionally compressed as .gz or .zst, except Parquet, which compresses
inside):

    .jsonl / .json / .ndjson  one JSON object per line; the text is field `text_column`;
                              record = line, `line` = its 1-based line number
    .txt                      record = paragraph (a run of non-blank lines, newlines kept);
                              `line` = the paragraph's first line; n-grams never cross a
                              blank line
    .parquet                  column `text_column`, read a row group batch at a time;
                              record = row, `line` = -1; a null text is an empty record

A folder stands for every such file under it (recursively, sorted, hidden files skipped).
Memory is one batch (about `batch_chars` characters), whatever the size of the file.

Bad input: a line that is not JSON, not an object, or not UTF-8 stops the scan with the
file and line; with `skip_bad_lines` it is skipped and counted instead (the count and the
first line numbers go to the summary). A record without the text column, or whose text is
not a string, is always an error: it means the column is wrong, not that a line is damaged.
"""

from __future__ import annotations

import io
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from ..types import InputError

TEXT_FORMATS = (".jsonl", ".json", ".ndjson", ".txt")
COMPRESSIONS = (".gz", ".zst")
MAX_RECORD_CHARS = 1 << 24      # a .txt paragraph longer than this is cut into records
BAD_LINES_KEPT = 20             # line numbers of skipped lines listed per file


def format_of(path: Path) -> tuple[str, str | None] | None:
    """(format suffix, compression suffix or None), or None for a file we do not read."""
    name = path.name.lower()
    compression = next((c for c in COMPRESSIONS if name.endswith(c)), None)
    if compression:
        name = name[: -len(compression)]
    if name.endswith(".parquet"):
        return (".parquet", compression) if compression is None else None
    suffix = next((s for s in TEXT_FORMATS if name.endswith(s)), None)
    return (suffix, compression) if suffix else None


def corpus_files(paths) -> list[Path]:
    """Every corpus file named by `paths` (files, or folders expanded recursively)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files: list[Path] = []
    for given in paths:
        path = Path(given).expanduser()
        if not path.exists():
            raise InputError(f"corpus {path}: no such file or folder. Check the --corpus path.")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and format_of(p)
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            if not found:
                raise InputError(f"corpus folder {path} has no .jsonl, .txt or .parquet files "
                                 "(optionally .gz/.zst).")
            files += found
        elif format_of(path) is None:
            raise InputError(f"corpus {path}: unknown format; use .jsonl, .txt or .parquet "
                             "(text formats may be .gz or .zst compressed).")
        else:
            files.append(path)
    if not files:
        raise InputError("no corpus given: pass --corpus PATH [PATH ...].")
    unique = list(dict.fromkeys(p.resolve() for p in files))
    if all(p.stat().st_size == 0 for p in unique):
        shown = unique[0] if len(unique) == 1 else f"all {len(unique)} corpus files"
        raise InputError(f"{shown}: empty corpus (0 bytes). Point --corpus at the training "
                         "data to scan.")
    return unique


@dataclass
class Batch:
    """Records `first` .. `first + len(texts) - 1` of one file."""

    texts: object                     # pyarrow large_string array
    first: int
    lines: np.ndarray                 # (R,) 1-based line of each record, -1 for Parquet


@dataclass
class ReadStats:
    records: int = 0
    skipped: int = 0
    skipped_lines: list[int] = field(default_factory=list)

    def skip(self, line: int) -> None:
        self.skipped += 1
        if len(self.skipped_lines) < BAD_LINES_KEPT:
            self.skipped_lines.append(line)


def _open_binary(path: Path, compression: str | None):
    if compression == ".gz":
        import gzip

        return gzip.open(path, "rb")
    if compression == ".zst":
        try:
            import zstandard
        except ImportError:
            raise InputError(f"{path}: reading .zst needs the zstandard package "
                             "(pip install zstandard).") from None
        raw = open(path, "rb")
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw, closefd=True),
                                 buffer_size=1 << 20)
    return open(path, "rb", buffering=1 << 20)


class _Batcher:
    def __init__(self, batch_chars: int) -> None:
        self.batch_chars = batch_chars
        self.texts: list[str] = []
        self.lines: list[int] = []
        self.chars = 0
        self.first = 0

    def add(self, text: str, line: int) -> Batch | None:
        self.texts.append(text)
        self.lines.append(line)
        self.chars += len(text)
        return self.take() if self.chars >= self.batch_chars else None

    def take(self) -> Batch | None:
        if not self.texts:
            return None
        import pyarrow as pa

        batch = Batch(pa.array(self.texts, type=pa.large_string()), self.first,
                      np.asarray(self.lines, dtype=np.int64))
        self.first += len(self.texts)
        self.texts, self.lines, self.chars = [], [], 0
        return batch


def _jsonl(path: Path, handle, column: str, skip_bad: bool, stats: ReadStats,
           batcher: _Batcher) -> Iterator[Batch]:
    fix = "Fix or delete that line, or pass --skip-bad-lines to skip and count such lines."
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            problem = None if isinstance(record, dict) else \
                f"expected a JSON object per line, got {type(record).__name__}"
        except UnicodeDecodeError as exc:
            problem = (f"not UTF-8 text (byte {exc.start + 1} of the line); convert the file to "
                       "UTF-8 (e.g. iconv -f latin1 -t utf-8)")
        except json.JSONDecodeError as exc:
            problem = f"invalid JSON ({exc.msg} at column {exc.colno})"
        except (ValueError, RecursionError) as exc:    # 5,000-digit numbers, deep nesting
            problem = f"cannot read this JSON ({' '.join(str(exc).split()).rstrip('.')})"
        if problem:
            if not skip_bad:
                raise InputError(f"{path} line {number}: {problem}. {fix}")
            stats.skip(number)
            continue
        if column not in record:
            seen = ", ".join(f'"{c}"' for c in list(record)[:8]) or "none"
            raise InputError(f'{path} line {number}: field "{column}" is missing (columns '
                             f"seen: {seen}). Pass --corpus-text-column NAME.")
        text = record[column]
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise InputError(f'{path} line {number}: field "{column}" is '
                             f"{type(text).__name__}, not a string. Pass --corpus-text-column "
                             "NAME for the text field.")
        if b"\\u" in line and not _valid_unicode(text):   # only a JSON escape makes one
            if not skip_bad:
                raise InputError(f'{path} line {number}: field "{column}" holds an unpaired '
                                 'surrogate (an escape such as "\\ud800"), which is not valid '
                                 f"Unicode. {fix}")
            stats.skip(number)
            continue
        stats.records += 1
        if (batch := batcher.add(text, number)) is not None:
            yield batch


def _valid_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _paragraphs(path: Path, handle, skip_bad: bool, stats: ReadStats,
                batcher: _Batcher) -> Iterator[Batch]:
    lines: list[str] = []
    start = 0
    size = 0
    for number, raw in enumerate(handle, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if not skip_bad:
                raise InputError(f"{path} line {number}: not UTF-8 text (byte {exc.start}). "
                                 "Convert the file to UTF-8, or pass --skip-bad-lines.") from None
            stats.skip(number)
            line = "\n"            # a skipped line ends its paragraph, like a blank line
        if line.strip():
            if not lines:
                start = number
            lines.append(line)
            size += len(line)
            if size < MAX_RECORD_CHARS:
                continue
        if lines:
            stats.records += 1
            batch = batcher.add("".join(lines).rstrip("\r\n"), start)
            lines, size = [], 0
            if batch is not None:
                yield batch
    if lines:
        stats.records += 1
        if (batch := batcher.add("".join(lines).rstrip("\r\n"), start)) is not None:
            yield batch


def _parquet(path: Path, column: str, batch_chars: int, stats: ReadStats) -> Iterator[Batch]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:
        raise InputError(f"{path}: cannot read Parquet ({' '.join(str(exc).split()).rstrip('.')})"
                         ". Is the file complete? Write it again, or leave it out of --corpus.") \
            from None
    names = parquet.schema_arrow.names
    if column not in names:
        seen = ", ".join(f'"{c}"' for c in names[:8]) or "none"
        raise InputError(f'{path}: column "{column}" is missing (columns seen: {seen}). '
                         "Pass --corpus-text-column NAME.")
    kind = parquet.schema_arrow.field(column).type
    is_view = getattr(pa.types, "is_string_view", lambda _: False)
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or is_view(kind)):
        raise InputError(f'{path}: column "{column}" holds {kind}, not strings. Pass '
                         "--corpus-text-column NAME for the text column.")
    rows = max(1, min(65536, batch_chars // 1024))
    first = 0
    batches = parquet.iter_batches(batch_size=rows, columns=[column])
    while True:
        try:
            record_batch = next(batches, None)
        except Exception as exc:    # a damaged row group: ArrowInvalid, OSError, ...
            raise InputError(f"{path} row {first}: cannot read Parquet "
                             f"({' '.join(str(exc).split()).rstrip('.')}). Is the file complete? "
                             "Write it again, or leave it out of --corpus.") from None
        if record_batch is None:
            return
        texts = record_batch.column(0).cast(pa.large_string()).fill_null("")
        stats.records += len(texts)
        yield Batch(texts, first, np.full(len(texts), -1, dtype=np.int64))
        first += len(texts)


def read_batches(path: Path, text_column: str = "text", *, skip_bad_lines: bool = False,
                 batch_chars: int = 4 << 20, stats: ReadStats | None = None) -> Iterator[Batch]:
    """Batches of records of one corpus file (see module doc); `stats` counts them."""
    path = Path(path)
    stats = stats if stats is not None else ReadStats()
    kind = format_of(path)
    if kind is None:
        raise InputError(f"{path}: unknown corpus format.")
    suffix, compression = kind
    if suffix == ".parquet":
        yield from _parquet(path, text_column, batch_chars, stats)
        return
    batcher = _Batcher(batch_chars)
    try:
        with _open_binary(path, compression) as handle:
            if suffix == ".txt":
                yield from _paragraphs(path, handle, skip_bad_lines, stats, batcher)
            else:
                yield from _jsonl(path, handle, text_column, skip_bad_lines, stats, batcher)
    except (EOFError, OSError, zlib.error) as exc:
        raise InputError(f"{path}: cannot decompress or read ({exc}). Is the file complete "
                         f"and really {compression or 'uncompressed'}?") from None
    except Exception as exc:
        if type(exc).__name__ == "ZstdError":
            raise InputError(f"{path}: cannot decompress ({exc}). Is the file complete and "
                             "really .zst?") from None
        raise
    if (batch := batcher.take()) is not None:
        yield batch
