"""Read a dataset's rows whole (every column), and write them back in the input's format.

The watermarked copy must be a drop-in replacement for the original: same format, same
columns, same order, only the text column changed.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

from ..data import DataConfig, _records, load_samples
from ..types import InputError, Sample


def read_dataset(config: DataConfig) -> tuple[list[Sample], list[dict[str, Any]]]:
    """Validated samples (ids, texts) and the raw records they came from, in file order."""
    samples = load_samples(config)          # validates every row, with file/line errors
    records = [record for _, (_, record) in zip(range(len(samples)), _records(Path(config.path)))]
    return samples, records


def write_dataset(source: Path, target: Path, records: list[dict[str, Any]]) -> Path:
    """Write `records` to `target` in the format of `source` (written to a temporary name
    first, then renamed)."""
    name = source.name.lower()
    tmp = target.with_name(f".{target.name}.partial")
    if source.is_dir():
        if (source / "dataset_info.json").is_file() or (source / "state.json").is_file():
            import datasets

            datasets.Dataset.from_list(records).save_to_disk(str(tmp))
        else:
            tmp.mkdir(parents=True, exist_ok=True)
            for record in records:
                (tmp / f"{record['id']}.txt").write_text(record["text"], encoding="utf-8")
    elif name.endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(records), tmp)
    else:
        opener = gzip.open if name.endswith(".gz") else open
        with opener(tmp, "wt", encoding="utf-8", newline="") as handle:
            if name.removesuffix(".gz").endswith((".csv", ".tsv")):
                fields = list(dict.fromkeys(k for r in records for k in r))
                writer = csv.DictWriter(handle, fieldnames=fields,
                                        delimiter="\t" if ".tsv" in name else ",")
                writer.writeheader()
                writer.writerows(records)
            elif name.removesuffix(".gz").endswith((".jsonl", ".json", ".ndjson")):
                for record in records:
                    handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            else:
                raise InputError(f"{source}: cannot write this format back")
    if target.exists():
        import shutil

        shutil.rmtree(target) if target.is_dir() else target.unlink()
    tmp.rename(target)
    return target
