"""`mnemoscope watermark embed`: data -> watermarked copy + secret key + summary.

    DIR/<data file>      the watermarked dataset, same format and columns as the input
                         (never replaces a file of that name that embed did not write)
    DIR/key.json         SECRET: the seed and, per text, every changed position with the
                         original word, the published word, the control word and the
                         candidate set they were drawn from. Keep it private: the control
                         must never be published.
    DIR/summary.json     substitutions, and how much meaning is kept (sentence-embedding cosine)
    DIR/spec.json, DIR/parts/   resumable progress (one row per text)

The data file, key and summary are written atomically (fileio), the key before the data,
with the data's SHA-256: so a later embed into DIR can tell its own data file from a
user's file of the same name, and replaces only its own.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..data import DataConfig, data_hash, data_identity
from ..fileio import atomic_write_json
from ..models import ModelConfig
from ..runs import (SPEC_FILE, SUMMARY_FILE, RunWriter, chunked, json_default, read_rows,
                    write_chunks)
from ..types import InputError, Sample
from .dataset_io import read_dataset, write_dataset
from .keyfile import KEY_FILE, KEY_FORMAT
from .leximark import (Change, Substituter, WatermarkConfig, apply_changes, draw_changes,
                       text_rng)
from ..text.words import sentence_spans

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbedSpec:
    data: DataConfig
    out: str
    watermark: WatermarkConfig = field(default_factory=WatermarkConfig)
    seed: int | None = None            # None: a fresh secret seed (or the one being resumed)
    model: ModelConfig | None = None   # only for watermark.surprisal == "model"
    chunk_size: int = 16
    progress: bool = True


def _resolve_seed(spec: EmbedSpec) -> int:
    if spec.seed is not None:
        return int(spec.seed)
    existing = Path(spec.out) / SPEC_FILE
    if existing.is_file():
        return int(json.loads(existing.read_text(encoding="utf-8"))["identity"]["seed"])
    return secrets.randbits(63)


def check_target(out: Path, source: Path) -> None:
    """Refuse to replace DIR/<input name> unless it is the watermarked copy an earlier embed
    wrote there (its hash is in DIR/key.json), and always when it is the input itself."""
    target = out / source.name
    if not (target.exists() or target.is_symlink()):
        return
    if target.resolve() == source.resolve():
        raise InputError(f"--out {out} would overwrite the input {source}; pick another folder.")
    try:
        recorded = json.loads((out / KEY_FILE).read_text(encoding="utf-8")).get("data_sha256")
    except (OSError, ValueError, AttributeError):
        recorded = None
    if recorded is None or not target.exists() or data_hash(target) != recorded:
        raise InputError(f"{target} already exists and is not the watermarked copy that "
                         f"`watermark embed` wrote into {out} (or it was changed since). Move it "
                         "away, or pick another --out.")


def _sentence_pairs(text: str, changes: Sequence[Change], version: str) -> tuple[list[str], list[str]]:
    """(original, changed) for every sentence that holds at least one change."""
    originals, changed = [], []
    for start, end in sentence_spans(text):
        inside = [c for c in changes if start <= c.start and c.end <= end]
        if inside:
            local = [Change(c.start - start, c.end - start, c.original, c.watermark, c.control,
                            c.candidates) for c in inside]
            originals.append(text[start:end])
            changed.append(apply_changes(text[start:end], local, version))
    return originals, changed


def _rows(chunk: Sequence[Sample], substituter: Substituter, seed: int) -> list[dict[str, Any]]:
    rows = []
    for sample in chunk:
        changes = draw_changes(substituter.positions(sample.text), text_rng(seed, sample.id))
        row: dict[str, Any] = {"id": sample.id, "n_changes": len(changes),
                               "changes": json.dumps([c.to_json() for c in changes])}
        for version in ("watermark", "control"):
            changed_text = apply_changes(sample.text, changes, version)
            originals, sentences = _sentence_pairs(sample.text, changes, version)
            sims = substituter.embedder.similarity([sample.text] + originals,
                                                   [changed_text] + sentences)
            row[f"similarity_{version}"] = float(sims[0])
            row[f"sentence_similarities_{version}"] = [float(s) for s in sims[1:]]
        rows.append(row)
    return rows


def _identity(spec: EmbedSpec, seed: int) -> dict[str, Any]:
    return {"method": "leximark", "data": data_identity(replace(spec.data, label_column=None)),
            "watermark": asdict(spec.watermark), "seed": seed,
            "model": spec.model.model if spec.watermark.surprisal == "model" and spec.model else None}


def run_embed(spec: EmbedSpec, *, model=None, embedder=None, wordnet=None) -> dict[str, Any]:
    """Embed (or resume embedding) a watermark; returns the summary."""
    source = Path(spec.data.path)
    samples, records = read_dataset(spec.data)
    out = Path(spec.out)
    check_target(out, source)
    seed = _resolve_seed(spec)
    if spec.watermark.surprisal == "model" and model is None:
        from ..models import load_model

        model = load_model(spec.model or ModelConfig())
    if wordnet is None:
        from ..text.wordnet import load_wordnet

        wordnet = load_wordnet()
    if embedder is None:
        from ..text.embedder import SentenceEmbedder

        embedder = SentenceEmbedder()
    substituter = Substituter(spec.watermark, wordnet, embedder, model=model)
    writer = RunWriter.open(out, "watermark-embed", _identity(spec, seed))
    pending = writer.pending(samples, sort_key=lambda s: 0)     # in file order
    write_chunks(writer, chunked(pending, spec.chunk_size), lambda c: _rows(c, substituter, seed),
                 total=len(samples), already_done=len(samples) - len(pending),
                 desc="watermarking", progress=spec.progress)
    return finish_embed(spec, samples, records, seed, embedder.name)


def finish_embed(spec: EmbedSpec, samples: list[Sample], records: list[dict[str, Any]], seed: int,
                 embedder_name: str) -> dict[str, Any]:
    out = Path(spec.out)
    rows = read_rows(out).set_index("id")
    key_texts, watermarked = [], []
    for sample, record in zip(samples, records):
        changes = [Change.from_json(c) for c in json.loads(rows.at[sample.id, "changes"])]
        key_texts.append({"id": sample.id, "changes": [c.to_json() for c in changes]})
        watermarked.append({**record, spec.data.text_column: apply_changes(sample.text, changes,
                                                                           "watermark")})
    source = Path(spec.data.path)
    check_target(out, source)

    def write_key(new_data: Path) -> None:   # before the data swap: the key always vouches
        atomic_write_json(out / KEY_FILE, {   # for what is (or is about to be) at DIR/<name>
            "format": KEY_FORMAT, "seed": seed, "watermark": asdict(spec.watermark),
            "data_file": source.name, "data_sha256": data_hash(new_data),
            "text_column": spec.data.text_column,
            "id_column": spec.data.id_column, "source": str(source.resolve()),
            "note": "SECRET. 'watermark' words are in the published data; 'control' words must "
                    "never be published: verification compares the two.",
            "texts": key_texts}, default=json_default)

    write_dataset(source, out / source.name, watermarked, before_replace=write_key)
    summary = embed_summary(rows.loc[[s.id for s in samples]], embedder_name)
    atomic_write_json(out / SUMMARY_FILE, summary, default=json_default)
    return summary


def embed_summary(rows, embedder_name: str) -> dict[str, Any]:
    changed = rows[rows["n_changes"] > 0]
    summary: dict[str, Any] = {
        "n_texts": int(len(rows)), "n_texts_changed": int(len(changed)),
        "n_substitutions": int(rows["n_changes"].sum()),
        "substitutions_per_text": float(rows["n_changes"].mean()) if len(rows) else 0.0,
        "similarity_model": embedder_name,
    }
    for version in ("watermark", "control"):
        texts = changed[f"similarity_{version}"].to_numpy(dtype=float)
        sentences = np.concatenate([np.asarray(v, dtype=float) for v in
                                    changed[f"sentence_similarities_{version}"]] or [np.zeros(0)])
        summary[version] = {
            "mean_similarity": float(texts.mean()) if texts.size else None,
            "min_similarity": float(texts.min()) if texts.size else None,
            "mean_sentence_similarity": float(sentences.mean()) if sentences.size else None,
            "n_changed_sentences": int(sentences.size)}
    summary["mean_similarity"] = summary["watermark"]["mean_similarity"]
    summary["note"] = ("similarity: cosine of all-MiniLM-L6-v2 sentence embeddings, original vs "
                       "changed, over texts with at least one substitution (mean_sentence_similarity: "
                       "over changed sentences only)")
    return summary
