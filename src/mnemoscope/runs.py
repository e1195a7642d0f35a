"""The run store: one folder per run, append-only, resumable.

    <run>/spec.json          what produced it; `identity` must match to resume
    <run>/parts/*.parquet    rows, written as the run goes (each part written to a temporary
                             name, then renamed: a crash never leaves half a part)
    <run>/summary.json       metrics, rewritten at the end
    <run>/report.html        a view of the above

A re-run with the same identity skips ids already in a part; a different identity is
refused. Rows are plain Parquet: `pandas.read_parquet(run / "parts")` or DuckDB's
`read_parquet('run/parts/*.parquet')` read them without mnemoscope.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence, TypeVar

T = TypeVar("T")

from .types import SpecMismatchError

SPEC_FILE = "spec.json"
SUMMARY_FILE = "summary.json"
PARTS_DIR = "parts"


def write_json_atomic(path: Path, payload: Any) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=False, default=json_default) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)


def json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            out += _differences(old.get(key), new.get(key), f"{prefix}{key}.")
        return out
    if old != new:
        return [f"{prefix.rstrip('.')}: {old!r} -> {new!r}"]
    return []


class RunWriter:
    """Opens (or resumes) a run folder and appends rows to it in Parquet parts."""

    def __init__(self, directory: str | Path, identity: dict[str, Any],
                 extra: dict[str, Any] | None = None, worker: str = "main") -> None:
        self.dir = Path(directory)
        self.parts = self.dir / PARTS_DIR
        self.worker = worker
        self._buffer: list[dict[str, Any]] = []
        spec_path = self.dir / SPEC_FILE
        identity = json.loads(json.dumps(identity, default=json_default))
        if spec_path.is_file():
            existing = json.loads(spec_path.read_text(encoding="utf-8"))
            diffs = _differences(existing.get("identity"), identity)
            if diffs:
                shown = "; ".join(diffs[:3]) + (" ..." if len(diffs) > 3 else "")
                raise SpecMismatchError(
                    f"{self.dir} already holds a run with a different spec ({shown}). Use another "
                    "--out, or delete that folder to start over.")
            self.resumed = True
        else:
            self.dir.mkdir(parents=True, exist_ok=True)
            write_json_atomic(spec_path, {"identity": identity, **(extra or {}),
                                          "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
            self.resumed = False
        self.parts.mkdir(exist_ok=True)

    def done_ids(self) -> set[str]:
        import pyarrow.parquet as pq

        done: set[str] = set()
        for part in sorted(self.parts.glob("*.parquet")):
            done.update(pq.read_table(part, columns=["id"]).column("id").to_pylist())
        return done

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        self._buffer.extend(rows)

    def flush(self) -> Path | None:
        if not self._buffer:
            return None
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist(self._buffer)
        name = f"part-{time.time_ns():020d}-{self.worker}-{uuid.uuid4().hex[:8]}.parquet"
        tmp = self.parts / f".{name}.tmp"
        pq.write_table(table, tmp)
        os.replace(tmp, self.parts / name)
        self._buffer.clear()
        return self.parts / name


def chunked(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def write_chunks(writer: RunWriter, chunks: Iterable[Sequence[T]],
                 make_rows: Callable[[Sequence[T]], list[dict[str, Any]]], *, total: int,
                 already_done: int, desc: str, unit: str = "text", progress: bool = True) -> None:
    """The loop every audit runs: each chunk's rows become one part as soon as the chunk is
    done, so a crash loses at most the chunk in flight; a progress bar counts items."""
    from tqdm.auto import tqdm

    bar = tqdm(total=total, initial=already_done, unit=unit, desc=desc, disable=not progress,
               file=sys.stderr)
    try:
        for chunk in chunks:
            writer.add(make_rows(chunk))
            writer.flush()
            bar.update(len(chunk))
    finally:
        bar.close()


def read_rows(directory: str | Path, columns: list[str] | None = None):
    """All rows of a run as a pandas DataFrame, in part order, one row per id."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = sorted((Path(directory) / PARTS_DIR).glob("*.parquet"))
    if not parts:
        return pd.DataFrame(columns=columns or ["id"])
    tables = [pq.read_table(p, columns=columns) for p in parts]
    frame = pa.concat_tables(tables, promote_options="default").to_pandas()
    return frame.drop_duplicates(subset="id", keep="first").reset_index(drop=True)


def read_spec(directory: str | Path) -> dict[str, Any]:
    return json.loads((Path(directory) / SPEC_FILE).read_text(encoding="utf-8"))


def read_summary(directory: str | Path) -> dict[str, Any]:
    return json.loads((Path(directory) / SUMMARY_FILE).read_text(encoding="utf-8"))


def write_summary(directory: str | Path, summary: dict[str, Any]) -> Path:
    path = Path(directory) / SUMMARY_FILE
    write_json_atomic(path, summary)
    return path


def default_out(data: str, model: str, kind: str = "score") -> str:
    """runs/[<kind>-]<data stem>-<model stem>: the default run folder of every audit, for
    the CLI and the Python API alike (`score` runs have no kind prefix)."""
    stem = "endpoint" if "://" in model else Path(model.rstrip("/")).stem
    prefix = "" if kind == "score" else f"{kind}-"
    return str(Path("runs") / f"{prefix}{Path(data).stem}-{stem}")

