"""The run store and the one run lifecycle every audit follows.

    <run>/spec.json          what produced it; `identity` must match to resume
    <run>/parts/*.parquet    rows, written as the run goes (each part written to a temporary
                             name, fsynced, then renamed: a crash never leaves half a part)
    <run>/summary.json       metrics, rewritten at the end
    <run>/report.html        a view of the above
    <run>/.lock              held while a process works on the run (a second one is refused)
    <run>/.mnemoscope        "this folder is mnemoscope's", and the manifest of every path
                             written in it: deletions go through it (manifest.py)

An audit is "rows for a chunk + a summary from rows":

    run = RunWriter.open(out, "extract", {"data": data_identity(cfg), ...}, model=identity)
    pending = run.pending(samples)                   # ids not on disk yet, length-sorted
    run.process(pending, job, make_rows=..., ...)    # one part per chunk, local or on Ray
    run.finish(summarize(run.rows()), report=True)   # summary.json, then report.html

A re-run with the same identity skips ids already in a part; a different identity is
refused. MNEMOSCOPE_FAULT kills the process inside a write, for crash tests (faults.py). Rows are plain Parquet: `pandas.read_parquet(run / "parts")` or DuckDB's
`read_parquet('run/parts/*.parquet')` read them without mnemoscope.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence, TypeVar

from . import faults, manifest
from ._version import __version__
from .fileio import fsync_folder
from .types import InputError, SpecMismatchError

T = TypeVar("T")
log = logging.getLogger(__name__)

SPEC_FILE = "spec.json"
SUMMARY_FILE = "summary.json"
PARTS_DIR = "parts"
BAD_PARTS_DIR = "parts.unreadable"   # beside parts/, so read_parquet(parts) never sees them
LOCK_FILE = ".lock"
MARKER_FILE = manifest.MARKER        # "this folder is mnemoscope's" (before spec.json exists),
                                     # and the list of what it wrote there
# What a folder may hold and still be adopted as a new run (editor and OS droppings).
IGNORABLE = {".DS_Store", "Thumbs.db"}


# ---------------------------------------------------------------- durable files
def write_bytes_atomic(path: str | Path, data: bytes, what: str = "file") -> Path:
    """Write `data` to a temporary name beside `path`, fsync it, rename it over `path`, and
    fsync the folder: after a crash or power loss the file is either old or new, never cut.
    The path is listed in its run's manifest first. `what` names the fault points
    (faults.py: file or json)."""
    path = Path(path)
    manifest.record(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as handle:
        faults.write(handle, data, what)
        handle.flush()
        os.fsync(handle.fileno())
    faults.point(f"{what}.synced")
    os.replace(tmp, path)
    faults.point(f"{what}.renamed")
    fsync_folder(path.parent)
    return path


def write_text_atomic(path: str | Path, text: str, what: str = "file") -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"), what)


def write_json_atomic(path: str | Path, payload: Any) -> Path:
    return write_text_atomic(path, json.dumps(payload, indent=2, sort_keys=False,
                                              default=json_default) + "\n", "json")


def write_part(parts: Path, name: str, table: Any) -> Path:
    """One Parquet part, all or nothing: listed in the manifest, serialised, written to a
    temporary name, fsynced, renamed to parts/<name>, and the folder fsynced. The local
    engine and Ray actors both write parts through here."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    target = parts / name
    manifest.record(target)
    tmp = parts / f".{name}.{uuid.uuid4().hex[:12]}.tmp"
    with open(tmp, "wb") as handle:
        faults.write(handle, memoryview(sink.getvalue()), "part")
        handle.flush()
        os.fsync(handle.fileno())
    faults.point("part.synced")
    os.replace(tmp, target)
    faults.point("part.renamed")
    fsync_folder(parts)
    return target


def json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def read_json(path: str | Path, what: str) -> Any:
    """A JSON file mnemoscope wrote, or an InputError that names it."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no {what} here. Point at a run folder mnemoscope "
                         "wrote.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: the {what} is not valid JSON ({exc}). Restore it, or "
                         "start the run in a new folder.") from None


# ---------------------------------------------------------------- identities
def resume_identity(model_identity: dict[str, Any] | None) -> dict[str, Any] | None:
    """The part of a backend's identity that must match to resume a run: everything but
    library versions (recorded in spec.json, but they change scores only by float noise).
    The one rule for every audit."""
    if model_identity is None:
        return None
    return {k: v for k, v in model_identity.items() if k not in RECORDED_ONLY}


# identity keys recorded in spec.json that never block a resume: library versions, and why
# `--dtype auto` chose the dtype (the dtype itself does block)
RECORDED_ONLY = ("versions", "dtype_choice")


def default_out(data: str, model: str, kind: str = "score") -> str:
    """runs/[<kind>-]<data stem>-<model stem>: the default run folder of every audit, for
    the CLI and the Python API alike (`score` runs have no kind prefix)."""
    stem = "endpoint" if "://" in model else Path(model.rstrip("/")).stem
    prefix = "" if kind == "score" else f"{kind}-"
    return str(Path("runs") / f"{prefix}{Path(data).stem}-{stem}")


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    """What differs between two identities, RECORDED_ONLY keys left out at every depth
    (a model identity nested in an audit's own, such as unlearn's retrained reference,
    follows the same rule as the run's model)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted((set(old) | set(new)) - set(RECORDED_ONLY)):
            out += _differences(old.get(key), new.get(key), f"{prefix}{key}.")
        return out
    if old != new:
        return [f"{prefix.rstrip('.')}: {old!r} -> {new!r}"]
    return []


# ---------------------------------------------------------------- one process per run
_HELD_LOCKS: dict[str, int] = {}      # resolved run folder -> open fd holding its lock


def _acquire_lock(directory: Path) -> None:
    """Refuse a second process on the same run folder (two writers would duplicate rows
    or race on spec.json). The lock is an flock on <run>/.lock, released when the run
    finishes or the process dies; the same process may reopen its own run."""
    key = str(directory.resolve())
    if key in _HELD_LOCKS:
        return
    import fcntl

    if not (directory / LOCK_FILE).exists():
        manifest.record(directory / LOCK_FILE)
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise InputError(f"{directory} is in use by another mnemoscope process (pid {holder}). "
                         "Wait for it to finish, or pass another --out.") from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode("ascii"))
    _HELD_LOCKS[key] = fd


def _release_lock(directory: Path) -> None:
    fd = _HELD_LOCKS.pop(str(directory.resolve()), None)
    if fd is not None:
        os.close(fd)            # closing the descriptor drops the flock


def _refuse_foreign(directory: Path) -> None:
    """Never adopt a folder mnemoscope did not make: a mistyped --out pointing at a user's
    folder would otherwise get our files (and, for some audits, deletions) inside it."""
    if not directory.is_dir():
        if directory.exists():
            raise InputError(f"--out {directory} is a file, not a folder. Pass a folder path.")
        return
    if (directory / MARKER_FILE).is_file() or (directory / SPEC_FILE).is_file():
        return
    foreign = sorted(p.name for p in directory.iterdir()
                     if p.name not in IGNORABLE and p.name not in (LOCK_FILE, MARKER_FILE)
                     and not (p.name.startswith(".") and p.name.endswith(".tmp")))
    if foreign:
        shown = ", ".join(foreign[:3]) + (" ..." if len(foreign) > 3 else "")
        raise InputError(f"--out {directory} already holds files that are not a mnemoscope run "
                         f"({shown}); nothing was touched. Pass a new or empty folder.")


def check_out(directory: str | Path) -> None:
    """What RunWriter.open would refuse about a folder, known before any model loads and
    without writing anything: a file, a foreign non-empty folder, an unreadable spec.json."""
    directory = Path(directory)
    _refuse_foreign(directory)
    if (directory / SPEC_FILE).is_file():
        read_json(directory / SPEC_FILE, "run spec (spec.json)")


def claim_folder(directory: str | Path) -> Path:
    """Make (or check) an output folder for an audit that writes its own files there before
    its run opens (watermark verify writes the pairs it scores): a foreign non-empty folder
    is refused, and the folder is marked as mnemoscope's. A folder made inside another
    mnemoscope folder (a lab's calibration/, say) is listed in that folder's manifest."""
    directory = Path(directory)
    _refuse_foreign(directory)
    if not directory.exists():
        manifest.record(directory, folder=True)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER_FILE).touch()
    return directory


# ---------------------------------------------------------------- the run
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
            _acquire_lock(self.dir)
            existing = read_json(spec_path, "run spec (spec.json)")
            diffs = _differences(existing.get("identity") if isinstance(existing, dict)
                                 else None, identity)
            if diffs and self._holds_no_results():
                # a run that failed before writing anything (a wrong column, say) must not
                # block the corrected command
                log.info("%s: replacing the spec of a run that holds no results", self.dir)
                write_json_atomic(spec_path, {"identity": identity, **(extra or {}),
                                              "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
                diffs = []
            if diffs:
                shown = "; ".join(diffs[:3]) + (" ..." if len(diffs) > 3 else "")
                hint = ""
                if any(d.startswith("model.dtype: 'float32'") for d in diffs):
                    # runs made before `--dtype auto` chose bfloat16 on AMX CPUs
                    hint = " To resume it as it was made, pass --dtype float32."
                raise SpecMismatchError(
                    f"{self.dir} already holds a run with a different spec ({shown}).{hint} Use "
                    "another --out, or delete that folder to start over.")
            self.resumed = True
        else:
            claim_folder(self.dir)
            _acquire_lock(self.dir)
            write_json_atomic(spec_path, {"identity": identity, **(extra or {}),
                                          "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
            self.resumed = False
        if not self.parts.exists():
            manifest.record(self.parts, folder=True)
        self.parts.mkdir(exist_ok=True)
        self._clean_temporaries()

    @classmethod
    def open(cls, out: str | Path, kind: str, identity: dict[str, Any], *,
             model: dict[str, Any] | None = None,
             runtime: dict[str, Any] | None = None) -> "RunWriter":
        """Open or resume the run of one audit. `identity` holds what must match to resume
        (data, parameters); `model` is the backend's full identity, of which everything but
        library versions must match too (`resume_identity`). `runtime` (batch size, device,
        engine) is recorded and never blocks a resume."""
        full = {"kind": kind, **({"model": resume_identity(model)} if model is not None else {}),
                **identity}
        extra = {"mnemoscope_version": __version__, "python": platform.python_version(),
                 "versions": (model or {}).get("versions", {}), "runtime": runtime or {}}
        if (model or {}).get("dtype_choice"):
            extra["dtype_choice"] = model["dtype_choice"]
        return cls(out, full, extra)

    def _holds_no_results(self) -> bool:
        """Nothing but spec.json, the lock and empty folders (temporaries don't count)."""
        for path in self.dir.rglob("*"):
            name = path.name
            if path.is_dir() or name in (SPEC_FILE, LOCK_FILE, MARKER_FILE) or name in IGNORABLE \
                    or (name.startswith(".") and name.endswith(".tmp")):
                continue
            return False
        return True

    def _clean_temporaries(self) -> None:
        """Temporaries of a killed process, those of paths the manifest lists only (we hold
        the lock, so none is in flight)."""
        for folder in (self.dir, self.parts):
            try:
                manifest.remove_temporaries(folder)
            except OSError as exc:
                log.warning("%s: a stale temporary file was not removed (%s)", folder, exc)

    def done_ids(self) -> set[str]:
        """Ids present in readable parts. A part that cannot be read (cut short by a power
        loss, say) is moved to parts.unreadable/ with a warning, and its rows are redone."""
        import pyarrow.parquet as pq

        done: set[str] = set()
        for part in sorted(self.parts.glob("*.parquet")):
            try:
                done.update(pq.read_table(part, columns=["id"]).column("id").to_pylist())
            except Exception as exc:      # pyarrow raises ArrowInvalid, OSError, KeyError...
                aside = self.dir / BAD_PARTS_DIR
                if not aside.exists():
                    manifest.record(aside, folder=True)
                aside.mkdir(exist_ok=True)
                manifest.record(aside / part.name)
                os.replace(part, aside / part.name)
                log.warning("%s: part %s cannot be read (%s); moved to %s, its rows will be "
                            "computed again", self.dir, part.name, str(exc).splitlines()[0][:120],
                            aside)
        return done

    def pending(self, items: Sequence[T], row_ids: Callable[[T], Sequence[str]] | None = None,
                sort_key: Callable[[T], Any] | None = None) -> list[T]:
        """The items some of whose rows are not on disk yet, sorted by `sort_key` (default:
        text length, so batches hold texts of similar length). `row_ids(item)` lists the
        rows an item writes (default: its id)."""
        done = self.done_ids()
        ids_of = row_ids or (lambda item: [item.id])  # type: ignore[attr-defined]
        pending = [it for it in items if not all(r in done for r in ids_of(it))]
        if done:
            log.info("resuming %s: %d of %d items already done", self.dir,
                     len(items) - len(pending), len(items))
        pending.sort(key=sort_key or (lambda it: len(it.text)))  # type: ignore[attr-defined]
        return pending

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        self._buffer.extend(rows)

    def flush(self) -> Path | None:
        if not self._buffer:
            return None
        import pyarrow as pa

        name = f"part-{time.time_ns():020d}-{self.worker}-{uuid.uuid4().hex[:8]}.parquet"
        part = write_part(self.parts, name, pa.Table.from_pylist(self._buffer))
        self._buffer.clear()
        faults.point("part.done")
        return part

    def write_missing(self, rows: Iterable[dict[str, Any]]) -> None:
        """For audits whose rows come all at once: write those not on disk, as one part."""
        done = self.done_ids()
        self.add(r for r in rows if r["id"] not in done)
        self.flush()

    def process(self, items: Sequence[Any], job: Any, *, chunk_size: int,
                make_rows: Callable[[Sequence[Any]], list[dict[str, Any]]] | None = None,
                total: int, desc: str, unit: str = "item", progress: bool = True,
                engine: str = "local", workers: int = 2, address: str | None = None) -> None:
        """Write the rows of `items` (already pending) one part per chunk of `chunk_size`:
        in this process with `make_rows`, or on a Ray actor pool that opens `job`."""
        from .scale.engines import run_chunks

        run_chunks(self, job, list(chunked(items, max(1, chunk_size))), engine=engine,
                   make_rows=make_rows, workers=workers, address=address, total=total,
                   already_done=total - len(items), desc=desc, unit=unit, progress=progress)

    def rows(self, columns: list[str] | None = None):
        return read_rows(self.dir, columns)

    def finish(self, summary: dict[str, Any], *, report: bool = True) -> dict[str, Any]:
        """Write summary.json, then report.html (a view: a failure to draw it is a warning,
        never a lost run), and release the folder."""
        write_summary(self.dir, summary)
        if report:
            write_report_quietly(self.dir)
        self.close()
        return summary

    def close(self) -> None:
        _release_lock(self.dir)


def write_report_quietly(run_dir: str | Path) -> None:
    try:
        from .report import write_report
    except ImportError:
        return
    try:
        write_report(run_dir)
    except Exception as exc:   # a report is a view; never lose a finished run over it
        log.warning("report for %s not written: %s", run_dir, exc)


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
    """All rows of a run as a pandas DataFrame, in part order, one row per id. A part that
    cannot be read is named in an InputError (a resume moves it aside and redoes it)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = sorted((Path(directory) / PARTS_DIR).glob("*.parquet"))
    if not parts:
        return pd.DataFrame(columns=columns or ["id"])
    tables = []
    for part in parts:
        try:
            tables.append(pq.read_table(part, columns=columns))
        except Exception as exc:      # ArrowInvalid, OSError: a damaged file
            raise InputError(f"{part}: this part cannot be read ({str(exc).splitlines()[0][:120]}). "
                             "Re-run the audit's command with the same --out: it sets the part "
                             "aside and recomputes its rows.") from None
    frame = pa.concat_tables(tables, promote_options="default").to_pandas()
    return frame.drop_duplicates(subset="id", keep="first").reset_index(drop=True)


def read_spec(directory: str | Path) -> dict[str, Any]:
    return read_json(Path(directory) / SPEC_FILE, "run spec (spec.json)")


def write_summary(directory: str | Path, summary: dict[str, Any]) -> Path:
    return write_json_atomic(Path(directory) / SUMMARY_FILE, summary)
