"""One corpus shard (file) streamed past the n-gram index: the unit of work, of resume, and
of a Ray task. `scan_shard(index, path, config)` is a pure function of its arguments, so
the local loop and the Ray tasks give the same result for a shard.

A shard's result (a JSON-able dict):

    file, records, tokens       what was read (tokens = words, or tokenizer ids)
    skipped, skipped_lines      lines skipped with skip_bad_lines (count, first line numbers)
    matched                     sorted global item-gram numbers found in this shard
    n_spans                     {item id: merged spans found in this shard}
    spans                       {item id: the first `max_spans` of them, in corpus order:
                                 [record, line, start char, end char, corpus text]}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..text.corpus import ReadStats, read_batches
from .ngram_index import NgramIndex
from .overlap_stats import merge_spans

SNIPPET_CHARS = 300             # corpus text kept per span (the evidence in the report)


@dataclass(frozen=True)
class ScanConfig:
    text_column: str = "text"        # the corpus field/column holding the text
    max_spans: int = 100             # spans kept per item and shard (all are counted)
    skip_bad_lines: bool = False     # skip and count malformed lines instead of stopping
    batch_chars: int = 4 << 20       # characters per batch: the scan's memory


def _char_spans(index: NgramIndex, text: str, word_spans: list[tuple[int, int]],
                words_in_record: int) -> list[tuple[int, int]]:
    offsets = index.tokenization.key_spans(text)
    if len(offsets) != words_in_record:              # cannot happen; never guess offsets
        return [(-1, -1) for _ in word_spans]
    return [(offsets[a][0], offsets[b - 1][1]) for a, b in word_spans]


def scan_shard(index: NgramIndex, path: str, config: ScanConfig = ScanConfig()) -> dict[str, Any]:
    """Stream one corpus file past the index (see module doc)."""
    matched = np.zeros(index.n_grams, dtype=bool)
    span_counts = np.zeros(len(index.item_ids), dtype=np.int64)
    kept: dict[int, list[list[Any]]] = {}
    stats = ReadStats()
    tokens = 0
    for batch in read_batches(Path(path), config.text_column,
                              skip_bad_lines=config.skip_bad_lines,
                              batch_chars=config.batch_chars, stats=stats):
        keys, lengths = index.tokenization.keys(batch.texts)
        tokens += int(lengths.sum())
        ids = index.tokenization.lookup(keys, index.vocabulary)
        starts = np.concatenate([[0], np.cumsum(lengths)])
        hits = index.find(ids, np.repeat(starts[1:], lengths))
        if not len(hits.positions):
            continue
        matched[hits.item_grams] = True
        records = len(lengths)
        record = np.searchsorted(starts, hits.positions, side="right") - 1
        first = hits.positions - starts[record]
        groups, begin, end = merge_spans(index.item_of(hits.item_grams) * records + record,
                                         first, first + hits.lengths)
        items, record = groups // records, groups % records
        np.add.at(span_counts, items, 1)
        _keep_spans(index, config, batch, lengths, items, record, begin, end, kept)
    return {"file": str(path), "records": stats.records, "tokens": tokens,
            "skipped": stats.skipped, "skipped_lines": stats.skipped_lines,
            "matched": np.flatnonzero(matched).tolist(),
            "n_spans": {index.item_ids[i]: int(c) for i, c in enumerate(span_counts) if c},
            "spans": {index.item_ids[i]: spans for i, spans in sorted(kept.items())}}


def _keep_spans(index: NgramIndex, config: ScanConfig, batch, lengths: np.ndarray,
                items: np.ndarray, record: np.ndarray, begin: np.ndarray, end: np.ndarray,
                kept: dict[int, list[list[Any]]]) -> None:
    """Add the first spans of each item (up to max_spans per item) with character offsets;
    offsets are computed only for records that hold a kept span."""
    chosen: dict[int, list[tuple[int, int, int]]] = {}          # record -> (item, a, b)
    for item, rec, a, b in zip(items.tolist(), record.tolist(), begin.tolist(), end.tolist()):
        have = kept.setdefault(item, [])
        if len(have) >= config.max_spans:
            continue
        have.append([])                                         # filled below, in order
        chosen.setdefault(rec, []).append((item, a, b, len(have) - 1))
    for rec, wanted in chosen.items():
        text = batch.texts[rec].as_py()
        chars = _char_spans(index, text, [(a, b) for _, a, b, _ in wanted], int(lengths[rec]))
        for (item, _, _, slot), (start, stop) in zip(wanted, chars):
            snippet = text[start:stop] if start >= 0 else ""
            if len(snippet) > SNIPPET_CHARS:
                snippet = snippet[:SNIPPET_CHARS] + "…"
            kept[item][slot] = [batch.first + rec, int(batch.lines[rec]), start, stop, snippet]
