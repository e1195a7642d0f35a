"""`mnemoscope contamination overlap ITEMS --corpus PATH [PATH ...]`: which benchmark items
appear in a training corpus, by shared n-grams (default 13 normalized words, as in
lm-eval-harness's decontamination). Model-free.

The benchmark is indexed once (ngram_index.py); each corpus file (a shard) is streamed past
the index (overlap_scan.py) in this process or as a Ray task with the index broadcast
(scale/ray_tasks.py). Each finished shard is checkpointed as one JSON file, so a re-run
after a crash scans only the shards not done. Formulas: overlap_stats.py.

    <out>/spec.json        identity: items (hash), corpus files (path, size), n,
                           tokenization, threshold, max_spans, text column
    <out>/shards/*.json    one result per finished corpus file
    <out>/parts/           one row per item: n_tokens, n_grams, matched_grams, overlap,
                           dirty, short_item, n_spans, spans (file, record, line, start,
                           end, text)
    <out>/summary.json     dirty_rate, n_dirty, mean_overlap, by_label, items (per item),
                           corpus (files, records, tokens, skipped lines), config
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..data import DataConfig
from ..types import InputError, Sample
from .overlap_scan import ScanConfig, scan_shard
from .overlap_stats import is_dirty, overlap_fraction

log = logging.getLogger(__name__)
SHARDS_DIR = "shards"
GROUP_NAMES = {1: "member", 0: "non_member"}


@dataclass(frozen=True)
class OverlapConfig:
    n: int = 13                       # gram length in tokens (lm-eval-harness: 13 words)
    tokenizer: str = "words"          # words | a tokenizer name (smollm2-135m) or folder
    threshold: float = 0.0            # dirty: >= 1 matched gram and overlap >= threshold
    corpus_text_column: str = "text"
    max_spans: int = 100              # spans kept per item and corpus file (all counted)
    skip_bad_lines: bool = False      # skip and count malformed corpus lines

    def __post_init__(self) -> None:
        if self.n < 1:
            raise InputError(f"n must be at least 1, not {self.n}")
        if not 0.0 <= self.threshold <= 1.0:
            raise InputError(f"threshold {self.threshold} must be a share in [0, 1]")
        if self.max_spans < 0:
            raise InputError("max_spans must be >= 0")

    def scan(self) -> ScanConfig:
        return ScanConfig(text_column=self.corpus_text_column, max_spans=self.max_spans,
                          skip_bad_lines=self.skip_bad_lines)


@dataclass(frozen=True)
class OverlapSpec:
    data: DataConfig
    corpus: tuple[str, ...]
    out: str
    overlap: OverlapConfig = field(default_factory=OverlapConfig)
    engine: str = "local"
    workers: int = 2
    ray_address: str | None = None
    progress: bool = True
    report: bool = True


@dataclass
class OverlapResult:
    run_dir: Path
    rows: Any
    summary: dict[str, Any]

    def table(self) -> str:
        s = self.summary
        lines = [f"{'group':<12} {'items':>6} {'dirty':>6} {'dirty rate':>10} {'mean overlap':>12}"]
        for name, g in [("all", s)] + list((s.get("by_label") or {}).items()):
            lines.append(f"{name:<12} {g['n_items']:>6} {g['n_dirty']:>6} "
                         f"{g['dirty_rate']:>10.3f} {g['mean_overlap']:>12.3f}")
        c = s["corpus"]
        lines.append(f"corpus: {c['files']} files, {c['records']} records, {c['tokens']} "
                     f"tokens" + (f", {c['skipped_lines']} bad lines skipped"
                                  if c["skipped_lines"] else ""))
        lines.append(f"run: {self.run_dir}")
        return "\n".join(lines)


def _shard_name(position: int, path: Path) -> str:
    digest = hashlib.sha256(str(path).encode("utf-8")).hexdigest()[:12]
    return f"shard-{position:06d}-{digest}.json"


def identity(spec: OverlapSpec, files: Sequence[Path], tokenization) -> dict[str, Any]:
    from ..data import data_identity

    config = spec.overlap
    return {"kind": "overlap", "data": data_identity(spec.data),
            # sizes, not hashes: hashing a large corpus would cost as much as scanning it
            "corpus": [{"path": str(p), "size": p.stat().st_size} for p in files],
            "overlap": {"n": config.n, "tokenization": tokenization.identity(),
                        "threshold": config.threshold, "max_spans": config.max_spans,
                        "corpus_text_column": config.corpus_text_column}}


def _scan_pending(spec: OverlapSpec, index, files: Sequence[Path], shard_dir: Path) -> None:
    from ..runs import write_json_atomic

    names = [_shard_name(i, p) for i, p in enumerate(files)]
    pending = [i for i, name in enumerate(names) if not (shard_dir / name).is_file()]
    if len(pending) < len(files):
        log.info("resuming %s: %d of %d corpus files already scanned", spec.out,
                 len(files) - len(pending), len(files))
    from tqdm.auto import tqdm

    bar = tqdm(total=len(files), initial=len(files) - len(pending), unit="file",
               desc="overlap" + (" (ray)" if spec.engine == "ray" else ""),
               disable=not spec.progress, file=sys.stderr)

    def save(position: int, result: dict[str, Any]) -> None:
        write_json_atomic(shard_dir / names[pending[position]], result)
        bar.update(1)

    scan = spec.overlap.scan()
    try:
        if spec.engine == "ray":
            from ..scale.ray_tasks import map_shards_on_ray

            map_shards_on_ray(scan_shard, index, [str(files[i]) for i in pending],
                              args=(scan,), workers=spec.workers, address=spec.ray_address,
                              on_result=save)
        else:
            for position, i in enumerate(pending):
                save(position, scan_shard(index, str(files[i]), scan))
    finally:
        bar.close()


def _load_shards(files: Sequence[Path], shard_dir: Path) -> list[dict[str, Any]]:
    return [json.loads((shard_dir / _shard_name(i, p)).read_text(encoding="utf-8"))
            for i, p in enumerate(files)]


def item_rows(items: Sequence[Sample], index, shards: list[dict[str, Any]],
              config: OverlapConfig) -> list[dict[str, Any]]:
    """One row per item from the shard results, in item order."""
    import numpy as np

    matched = np.zeros(index.n_grams, dtype=bool)
    for shard in shards:
        matched[np.asarray(shard["matched"], dtype=np.int64)] = True
    found_before = np.concatenate([[0], np.cumsum(matched, dtype=np.int64)])
    per_item = np.diff(found_before[index.gram_start])          # found grams per item
    rows = []
    for i, item in enumerate(items):
        total = index.grams_of(i)
        found = int(per_item[i])
        spans, n_spans = [], 0
        for shard in shards:
            n_spans += int(shard["n_spans"].get(item.id, 0))
            for record, line, start, end, text in shard["spans"].get(item.id, []):
                if len(spans) < config.max_spans:
                    spans.append({"file": shard["file"], "record": int(record),
                                  "line": int(line), "start": int(start), "end": int(end),
                                  "text": text})
        row = {"id": item.id, "n_tokens": int(index.item_tokens[i]), "n_grams": total,
               "matched_grams": found, "overlap": overlap_fraction(found, total),
               "dirty": is_dirty(found, total, config.threshold),
               "short_item": bool(0 < index.item_tokens[i] < config.n),
               "n_spans": n_spans, "spans": spans}
        if item.label is not None:
            row["label"] = int(item.label)
        rows.append(row)
    return rows


def _group(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    dirty = sum(bool(r["dirty"]) for r in rows)
    return {"n_items": n, "n_dirty": dirty, "dirty_rate": dirty / n if n else 0.0,
            "mean_overlap": sum(float(r["overlap"]) for r in rows) / n if n else 0.0}


def summarize(rows: list[dict[str, Any]], shards: list[dict[str, Any]],
              config: OverlapConfig, tokenization: dict[str, Any]) -> dict[str, Any]:
    summary = _group(rows)
    labels = sorted({r["label"] for r in rows if "label" in r}, reverse=True)
    if labels:
        summary["by_label"] = {GROUP_NAMES.get(v, str(v)): _group([r for r in rows
                                                                   if r.get("label") == v])
                               for v in labels}
    summary["items"] = [{"id": r["id"], "overlap": r["overlap"], "dirty": r["dirty"],
                         "matched_grams": r["matched_grams"], "n_grams": r["n_grams"],
                         "n_spans": r["n_spans"]} for r in rows]
    summary["items_without_tokens"] = sum(r["n_tokens"] == 0 for r in rows)
    summary["short_items"] = sum(bool(r["short_item"]) for r in rows)
    summary["corpus"] = {
        "files": len(shards), "records": sum(s["records"] for s in shards),
        "tokens": sum(s["tokens"] for s in shards),
        "skipped_lines": sum(s["skipped"] for s in shards),
        "skipped_by_file": {s["file"]: {"count": s["skipped"], "first_lines": s["skipped_lines"]}
                            for s in shards if s["skipped"]}}
    summary["config"] = {**asdict(config), "tokenization": tokenization,
                         "rule": "dirty = matched grams >= 1 and overlap >= threshold"}
    return summary


def run_overlap(spec: OverlapSpec) -> OverlapResult:
    """Run (or resume) the overlap audit described by `spec`."""
    from ..data import load_samples
    from ..runs import RunWriter
    from ..scale.engines import check_engine
    from ..text.corpus import corpus_files
    from .ngram_index import build_index
    from .ngram_tokens import tokenization as make_tokenization

    check_engine(spec.engine)
    items = load_samples(spec.data)
    files = corpus_files(spec.corpus)
    tokens = make_tokenization(spec.overlap.tokenizer)
    index = build_index([s.id for s in items], [s.text for s in items], spec.overlap.n, tokens)
    ident = identity(spec, files, tokens)
    runtime = {"engine": spec.engine, "workers": spec.workers if spec.engine == "ray" else 1}
    run = RunWriter.open(spec.out, "overlap", {k: v for k, v in ident.items() if k != "kind"},
                         runtime=runtime)
    shard_dir = Path(spec.out) / SHARDS_DIR
    shard_dir.mkdir(exist_ok=True)
    _scan_pending(spec, index, files, shard_dir)
    shards = _load_shards(files, shard_dir)
    if not any(s["records"] for s in shards):
        raise InputError(f"empty corpus: {len(files)} file(s) hold no records "
                         f"(first: {files[0]}). Point --corpus at the training data.")
    rows = item_rows(items, index, shards, spec.overlap)
    run.write_missing(rows)
    summary = run.finish(summarize(rows, shards, spec.overlap, ident["overlap"]["tokenization"]),
                         report=spec.report)
    return OverlapResult(Path(spec.out), run.rows(), summary)


def default_out(items: str) -> str:
    return str(Path("runs") / f"overlap-{Path(items).stem}")


def ngram_overlap(items: str, *, corpus: str | Sequence[str], out: str | None = None,
                  n: int = 13, tokenizer: str = "words", threshold: float = 0.0,
                  engine: str = "local", workers: int = 2, ray_address: str | None = None,
                  text_column: str = "text", id_column: str | None = None,
                  label_column: str | None = None, limit: int | None = None,
                  progress: bool = False, report: bool = True, **config: Any) -> OverlapResult:
    """Python API: the same as `mnemoscope contamination overlap`. `config` takes the other
    fields of OverlapConfig (corpus_text_column, max_spans, skip_bad_lines)."""
    corpus = (corpus,) if isinstance(corpus, (str, Path)) else tuple(str(c) for c in corpus)
    spec = OverlapSpec(
        data=DataConfig(path=str(items), text_column=text_column, id_column=id_column,
                        label_column=label_column, limit=limit),
        corpus=tuple(str(c) for c in corpus), out=out or default_out(str(items)),
        overlap=OverlapConfig(n=n, tokenizer=tokenizer, threshold=threshold, **config),
        engine=engine, workers=workers, ray_address=ray_address, progress=progress,
        report=report)
    return run_overlap(spec)
