"""Token frequencies for DC-PDD (Zhang et al. 2024): how common each token of the target's
vocabulary is in a reference corpus, built once per (source, tokenizer) and cached.

Sources:
- `--freq-corpus PATH` (files or folders: .jsonl/.json/.ndjson field "text", .txt
  paragraphs, .parquet column "text"; .gz/.zst), streamed with the corpus reader of
  `contamination overlap` (text/corpus.py) and tokenized with the target's tokenizer;
- by default, wordfreq's English word frequencies ("best" list, ~321k words): each word w
  with frequency f_w adds f_w x 1e9 to the counts of the tokens of " w" (a billion words of
  English, wordfreq's Zipf scale). wordfreq lowercases and drops punctuation, so
  capitalised forms, punctuation and code tokens get only the smoothing floor: a corpus
  like the data's own domain is the better reference when one is at hand.

Smoothing (as DC-PDD): f_t = (count_t + 1) / (total + V), V the vocabulary size, so an
unseen token has a small, finite frequency. Stored: counts as float64 in
<cache>/token-frequencies/<key>.npz, key = SHA-256 of the source's identity and the
tokenizer's fingerprint (models/tokenizer.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

WORDFREQ_WORDS = 1e9          # virtual corpus size: frequencies become counts
CACHE_FORMAT = 1


@dataclass(frozen=True)
class TokenFrequencies:
    """-ln f_t for every token id (shape (V,)), and where f came from."""

    neg_log_freq: np.ndarray
    identity: dict[str, Any]

    def lookup(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.neg_log_freq)):
            raise ValueError(f"token ids outside the frequency table (0..{len(self.neg_log_freq) - 1}): "
                             "the scores carry no real token ids (an endpoint without --tokenizer?)")
        return self.neg_log_freq[ids]


def smoothed(counts: np.ndarray) -> np.ndarray:
    """-ln((count + 1) / (total + V)), shape (V,)."""
    counts = np.asarray(counts, dtype=np.float64)
    return -np.log((counts + 1.0) / (counts.sum() + len(counts)))


def wordfreq_counts(tokenizer: Any, size: int) -> tuple[np.ndarray, dict[str, Any]]:
    from importlib.metadata import version

    import wordfreq

    frequencies = wordfreq.get_frequency_dict("en", wordlist="best")
    words = list(frequencies)
    encoded = tokenizer([" " + w for w in words], add_special_tokens=False).input_ids
    ids = np.fromiter((t for seq in encoded for t in seq), dtype=np.int64)
    weights = np.repeat(np.array([frequencies[w] for w in words]) * WORDFREQ_WORDS,
                        [len(seq) for seq in encoded])
    counts = np.bincount(ids, weights=weights, minlength=size)[:size].astype(np.float64)
    return counts, {"source": "wordfreq", "wordfreq": version("wordfreq"), "list": "en/best",
                    "words": len(words)}


def corpus_counts(tokenizer: Any, paths: Sequence[Path], size: int) -> tuple[np.ndarray, dict[str, Any]]:
    from .corpus import ReadStats, read_batches

    counts = np.zeros(size, dtype=np.float64)
    digest = hashlib.sha256()
    stats = ReadStats()
    for path in paths:
        with open(path, "rb") as handle:            # the content hash, for the run's identity
            while block := handle.read(1 << 22):
                digest.update(block)
        for batch in read_batches(path, "text", stats=stats):
            texts = [t for t in batch.texts.to_pylist() if t]
            for ids in tokenizer(texts, add_special_tokens=False).input_ids:
                counts += np.bincount(np.asarray(ids, dtype=np.int64), minlength=size)[:size]
    return counts, {"source": "corpus", "paths": [str(p) for p in paths],
                    "sha256": digest.hexdigest(), "records": stats.records}


def _source_key(corpus: Sequence[Path] | None) -> dict[str, Any]:
    if corpus is None:
        from importlib.metadata import version

        return {"wordfreq": version("wordfreq")}
    return {"files": [[str(p), p.stat().st_size, p.stat().st_mtime_ns] for p in corpus]}


def load_or_build(tokenizer: Any, corpus: Sequence[Path] | None = None) -> TokenFrequencies:
    """The table for this tokenizer and source: read from the cache, or built and cached."""
    from ..models.embedded import cache_dir
    from ..models.tokenizer import fingerprint, vocab_size

    size = vocab_size(tokenizer)
    key_source = {"format": CACHE_FORMAT, "tokenizer": fingerprint(tokenizer), "vocab": size,
                  "source": _source_key(corpus)}
    key = hashlib.sha256(json.dumps(key_source, sort_keys=True).encode()).hexdigest()
    path = cache_dir() / "token-frequencies" / f"{key[:32]}.npz"
    if path.is_file():
        stored = np.load(path, allow_pickle=False)
        counts, about = stored["counts"], json.loads(str(stored["about"]))
    else:
        counts, about = wordfreq_counts(tokenizer, size) if corpus is None else \
            corpus_counts(tokenizer, corpus, size)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.partial")
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, counts=counts, about=np.array(json.dumps(about)))
        os.replace(tmp, path)
    identity = {**about, "tokens": float(counts.sum()), "vocab": size,
                "tokenizer": key_source["tokenizer"],
                "table_sha256": hashlib.sha256(counts.tobytes()).hexdigest()}
    return TokenFrequencies(smoothed(counts), identity)
