"""Redraw a watermark with a new seed from the candidate sets stored in a key: the same
positions and candidates, new published and control words. No model or WordNet needed.

This is how the false-alarm experiment makes many independent watermark/control pairs of
the same texts cheaply (bench/watermark_experiment.py); it is also a way to re-key a
dataset before publishing it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..data import DataConfig, data_hash
from ..fileio import atomic_write_json
from ..runs import json_default
from .dataset_io import read_dataset, write_dataset
from .keyfile import KEY_FILE, key_data_path, read_key
from .leximark import Change, swap_version, text_rng


def redraw(directory: str | Path, out: str | Path, *, seed: int,
           key: dict[str, Any] | None = None) -> Path:
    directory, out = Path(directory), Path(out)
    key = key or read_key(directory)
    data_path = key_data_path(directory, key)
    relative = data_path.relative_to(directory.resolve())
    samples, records = read_dataset(DataConfig(path=str(data_path), text_column=key["text_column"],
                                               id_column=key.get("id_column")))
    by_id = {entry["id"]: [Change.from_json(c) for c in entry["changes"]] for entry in key["texts"]}
    out.mkdir(parents=True, exist_ok=True)
    new_texts, new_records = [], []
    for sample, record in zip(samples, records):
        old = by_id.get(sample.id, [])
        original = swap_version(sample.text, old, "watermark", "original")
        rng = text_rng(seed, sample.id)
        new = []
        for change in old:
            published, control = rng.sample(list(change.candidates), 2)
            new.append(Change(change.start, change.end, change.original, published, control,
                              change.candidates))
        new_texts.append({"id": sample.id, "changes": [c.to_json() for c in new]})
        new_records.append({**record, key["text_column"]: swap_version(original, new, "original",
                                                                       "watermark")})

    def write_key(new_data: Path) -> None:
        atomic_write_json(out / KEY_FILE, {**key, "seed": seed, "texts": new_texts,
                                           "data_sha256": data_hash(new_data)},
                          default=json_default)

    (out / relative).parent.mkdir(parents=True, exist_ok=True)
    write_dataset(data_path, out / relative, new_records, before_replace=write_key)
    return out
