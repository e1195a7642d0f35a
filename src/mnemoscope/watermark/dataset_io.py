"""Read a dataset's rows whole (every column), and write them back in the input's format.

The watermarked copy must be a drop-in replacement for the original: same format, same
columns, same order, only the text column changed.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any, Callable

from ..data import DataConfig, _records, load_samples
from ..fileio import atomic_output
from ..types import InputError, Sample


def read_dataset(config: DataConfig) -> tuple[list[Sample], list[dict[str, Any]]]:
    """Validated samples (ids, texts) and the raw records they came from, in file order."""
    samples = load_samples(config)          # validates every row, with file/line errors
    records = [record for _, (_, record) in zip(range(len(samples)), _records(Path(config.path)))]
    return samples, records


def write_dataset(source: Path, target: Path, records: list[dict[str, Any]],
                  before_replace: Callable[[Path], None] | None = None) -> Path:
    """Write `records` to `target` in the format of `source`, atomically: the new version is
    written beside it under a temporary name and swapped in whole (fileio.atomic_output), so
    a crash leaves the old `target` or the new one, never a mix or nothing.
    `before_replace(tmp)` runs on the complete new version before the swap (embed records
    its hash in the key there); if it raises, `target` is left as it was."""
    name = source.name.lower()
    if not (source.is_dir() or name.endswith(".parquet")
            or name.removesuffix(".gz").endswith((".csv", ".tsv", ".jsonl", ".json", ".ndjson"))):
        raise InputError(f"{source}: cannot write this format back")
    with atomic_output(target) as tmp:
        if source.is_dir():
            _write_folder(source, tmp, records)
        elif name.endswith(".parquet"):
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.Table.from_pylist(records), tmp)
        else:
            _write_text(name, tmp, records)
        if before_replace is not None:
            before_replace(tmp)
    return target


def _write_folder(source: Path, tmp: Path, records: list[dict[str, Any]]) -> None:
    if (source / "dataset_info.json").is_file() or (source / "state.json").is_file():
        import datasets

        datasets.Dataset.from_list(records).save_to_disk(str(tmp))
        return
    tmp.mkdir(parents=True)
    for record in records:
        (tmp / f"{record['id']}.txt").write_text(record["text"], encoding="utf-8")


def _write_text(name: str, tmp: Path, records: list[dict[str, Any]]) -> None:
    opener = gzip.open if name.endswith(".gz") else open
    with opener(tmp, "wt", encoding="utf-8", newline="") as handle:
        if name.removesuffix(".gz").endswith((".csv", ".tsv")):
            fields = list(dict.fromkeys(k for r in records for k in r))
            writer = csv.DictWriter(handle, fieldnames=fields,
                                    delimiter="\t" if ".tsv" in name else ",")
            writer.writeheader()
            writer.writerows(records)
        else:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
