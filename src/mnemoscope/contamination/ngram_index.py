"""The benchmark's n-gram index, and the vectorized lookup of a batch of corpus tokens in it.

Index. Every benchmark item of m tokens (words or tokenizer ids) gives its m - n + 1
n-grams; an item shorter than n tokens (but not empty) gives one gram, the whole item, so
that a short item can still be found verbatim. Tokens are mapped to ids in the benchmark
vocabulary (the sorted distinct tokens of all items): a corpus token outside it cannot
belong to any benchmark gram, so it breaks every window that holds it.

Lookup, per batch of corpus records, all in numpy:

    ids        corpus tokens -> vocabulary ids, -1 outside the vocabulary        (N,)
    windows    the start positions p whose L tokens are all in the vocabulary and all in
               one record (a gram never spans two records)
    hash       h(p) = sum_j T[ids[p + j]] * R_j  (mod 2^64), T: one random 64-bit value per
               vocabulary id, R_j: random odd multipliers; both seeded, so an index built
               twice is identical and the index object itself is what workers receive
    prefilter  the top bits of h(p) looked up in a bitmap of the grams' top bits (one
               gather; at least 16 slots per gram, so ~94% of non-grams stop here)
    candidates h(p) found in the sorted gram hashes (searchsorted, a cache-missing
               binary search: the prefilter exists to spare most windows this step)
    hits       candidates whose L ids equal the gram's ids exactly (no false hit survives)

Distinct index grams never share a hash (checked when the index is built; another seed is
drawn in the ~1e-6 case they do), so no true hit is lost either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..types import InputError
from .ngram_tokens import Tokenization

HASH_SEED = 0x6D6E656D          # "mnem"
MAX_BITMAP_BITS = 27            # prefilter bitmap: at most 128 MB, for > 8 M grams


@dataclass(frozen=True)
class LengthIndex:
    """The unique grams of one length L, sorted by hash, with who owns each one."""

    length: int
    hashes: np.ndarray          # (U,) uint64, strictly increasing
    grams: np.ndarray           # (U, L) int32 vocabulary ids, in hash order
    owner_start: np.ndarray     # (U + 1,) int64: owners of gram u are owner_gram[s[u]:s[u+1]]
    owner_gram: np.ndarray      # (O,) int64 global item-gram numbers (see NgramIndex)
    present: np.ndarray         # (2^bits,) bool: some gram's hash has these top bits
    bits: int

    def maybe_present(self, hashes: np.ndarray) -> np.ndarray:
        return self.present[hashes >> np.uint64(64 - self.bits)]


@dataclass(frozen=True)
class Hits:
    """Verified hits of one batch: one entry per (corpus window, owning item gram)."""

    positions: np.ndarray       # (H,) start of the window in the batch's flat token array
    lengths: np.ndarray         # (H,) L, tokens in the window
    item_grams: np.ndarray      # (H,) global item-gram number


@dataclass(frozen=True)
class NgramIndex:
    """Item i owns the global gram numbers gram_start[i] .. gram_start[i + 1] - 1, in the
    order of their position in the item."""

    n: int
    tokenization: Tokenization
    item_ids: tuple[str, ...]
    item_tokens: np.ndarray     # (I,) tokens per item
    gram_start: np.ndarray      # (I + 1,) int64
    vocabulary: Any             # sorted distinct item tokens (pyarrow strings or int64)
    values: np.ndarray          # (V,) uint64, T above
    multipliers: np.ndarray     # (n,) uint64, R above
    by_length: dict[int, LengthIndex] = field(default_factory=dict)

    @property
    def n_grams(self) -> int:
        return int(self.gram_start[-1])

    def grams_of(self, item: int) -> int:
        return int(self.gram_start[item + 1] - self.gram_start[item])

    def item_of(self, item_grams: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.gram_start, item_grams, side="right") - 1

    def find(self, ids: np.ndarray, record_ends: np.ndarray) -> Hits:
        """Verified hits among (N,) vocabulary ids; record_ends[p] is the end (exclusive) of
        the record holding position p."""
        return find_hits(self, ids, record_ends)


def window_hashes(token_values: np.ndarray, starts: np.ndarray, length: int,
                  multipliers: np.ndarray) -> np.ndarray:
    """h(p) for every p in starts: sum_j token_values[p + j] * multipliers[j] mod 2^64."""
    hashes = np.zeros(len(starts), dtype=np.uint64)
    for offset in range(length):
        hashes += token_values[starts + offset] * multipliers[offset]
    return hashes


def _random_tables(vocabulary_size: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    values = rng.integers(0, np.iinfo(np.uint64).max, size=vocabulary_size, dtype=np.uint64,
                          endpoint=True)
    multipliers = rng.integers(0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64,
                               endpoint=True) | np.uint64(1)
    return values, multipliers


def _item_grams(item_tokens: np.ndarray, n: int):
    """Per gram: (item, start in the flat item tokens, length), in global gram order."""
    item_start = np.concatenate([[0], np.cumsum(item_tokens)])
    counts = np.where(item_tokens >= n, item_tokens - n + 1, np.minimum(item_tokens, 1))
    items = np.repeat(np.arange(len(item_tokens)), counts)
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    starts = item_start[items] + within
    lengths = np.minimum(item_tokens[items], n)
    gram_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return starts, lengths, gram_start


def _length_index(ids: np.ndarray, starts: np.ndarray, numbers: np.ndarray, length: int,
                  values: np.ndarray, multipliers: np.ndarray) -> LengthIndex | None:
    """Grams deduplicated by hash (sorting G uint64 keys is far cheaper than sorting G
    rows); grams that share a hash must then be equal, else it is a collision: reseed."""
    windows = ids[starts[:, None] + np.arange(length)]                  # (G, L)
    gram_hashes = window_hashes(values[ids], starts, length, multipliers)
    order = np.argsort(gram_hashes, kind="stable")
    sorted_hashes, sorted_windows = gram_hashes[order], windows[order]
    same = sorted_hashes[1:] == sorted_hashes[:-1]
    if np.any(same) and not np.array_equal(sorted_windows[1:][same], sorted_windows[:-1][same]):
        return None
    first = np.concatenate([[True], ~same])
    hashes, grams = sorted_hashes[first], sorted_windows[first]
    owner_rank = np.cumsum(first) - 1                     # unique gram of each sorted gram
    owner_start = np.searchsorted(owner_rank, np.arange(len(hashes) + 1))
    bits = int(min(MAX_BITMAP_BITS, max(10, np.ceil(np.log2(16 * len(hashes))))))
    present = np.zeros(1 << bits, dtype=bool)
    present[hashes >> np.uint64(64 - bits)] = True
    return LengthIndex(length, hashes, grams.astype(np.int32), owner_start.astype(np.int64),
                       numbers[order].astype(np.int64), present, bits)


def build_index(item_ids: Sequence[str], texts: Sequence[str], n: int,
                tokenization: Tokenization) -> NgramIndex:
    """The index of the items' n-grams (see module doc)."""
    import pyarrow as pa

    if n < 1:
        raise InputError(f"n must be at least 1, not {n}")
    if not texts:
        raise InputError("no benchmark items to index")
    keys, item_tokens = tokenization.keys(pa.array(list(texts), type=pa.large_string()))
    vocabulary = tokenization.vocabulary_of(keys)
    ids = tokenization.lookup(keys, vocabulary)
    starts, lengths, gram_start = _item_grams(item_tokens, n)
    numbers = np.arange(len(starts), dtype=np.int64)
    for attempt in range(8):
        values, multipliers = _random_tables(len(vocabulary), n, HASH_SEED + attempt)
        by_length: dict[int, LengthIndex] = {}
        for length in sorted(set(lengths.tolist())):
            chosen = lengths == length
            built = _length_index(ids, starts[chosen], numbers[chosen], length, values,
                                  multipliers)
            if built is None:
                break
            by_length[length] = built
        else:
            return NgramIndex(n, tokenization, tuple(item_ids), item_tokens.astype(np.int64),
                              gram_start, vocabulary, values, multipliers, by_length)
    raise RuntimeError("could not draw collision-free n-gram hashes")   # pragma: no cover


def find_hits(index: NgramIndex, ids: np.ndarray, record_ends: np.ndarray) -> Hits:
    total = len(ids)
    outside = ids < 0
    outside_before = np.concatenate([[0], np.cumsum(outside, dtype=np.int64)])
    token_values = np.where(outside, np.uint64(0), index.values[np.maximum(ids, 0)])
    found_pos, found_len, found_grams = [], [], []
    for length, sub in index.by_length.items():
        if total < length:
            continue
        starts = np.arange(total - length + 1)
        inside = (starts + length <= record_ends[:len(starts)]) & \
                 (outside_before[starts + length] == outside_before[starts])
        starts = np.flatnonzero(inside)
        if not len(starts):
            continue
        hashes = window_hashes(token_values, starts, length, index.multipliers)
        maybe = sub.maybe_present(hashes)
        starts, hashes = starts[maybe], hashes[maybe]
        where = np.minimum(np.searchsorted(sub.hashes, hashes), len(sub.hashes) - 1)
        maybe = sub.hashes[where] == hashes
        starts, where = starts[maybe], where[maybe]
        if not len(starts):
            continue
        windows = ids[starts[:, None] + np.arange(length)]
        exact = np.all(windows == sub.grams[where], axis=1)
        starts, where = starts[exact], where[exact]
        counts = sub.owner_start[where + 1] - sub.owner_start[where]
        repeat = np.repeat(np.arange(len(where)), counts)
        within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        found_grams.append(sub.owner_gram[sub.owner_start[where][repeat] + within])
        found_pos.append(starts[repeat])
        found_len.append(np.full(len(repeat), length, dtype=np.int64))
    if not found_pos:
        empty = np.zeros(0, dtype=np.int64)
        return Hits(empty, empty, empty)
    return Hits(np.concatenate(found_pos), np.concatenate(found_len),
                np.concatenate(found_grams))
