"""The formulas of the n-gram overlap audit, apart from any I/O.

    overlap(item)  = (# of the item's n-grams found anywhere in the corpus) / (# of its n-grams)
                     (an item gram is one position in the item: a gram repeated inside the
                     item counts once per position; an item with no tokens has 0 grams and
                     overlap 0)
    dirty(item)    = matched grams >= 1  and  overlap >= threshold
                     (threshold 0, the default, is lm-eval-harness's rule: any shared 13-gram)
    spans          the corpus windows that matched, merged per (item, record): windows that
                   overlap or touch ([0, 13) and [13, 26)) become one span
"""

from __future__ import annotations

import numpy as np


def overlap_fraction(matched_grams: int, total_grams: int) -> float:
    return float(matched_grams) / total_grams if total_grams else 0.0


def is_dirty(matched_grams: int, total_grams: int, threshold: float) -> bool:
    return matched_grams >= 1 and overlap_fraction(matched_grams, total_grams) >= threshold


def merge_spans(groups: np.ndarray, starts: np.ndarray, ends: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge intervals [start, end) that overlap or touch within each group (an int64 key,
    e.g. item * records + record). Returns (group, start, end) of the merged spans, sorted
    by group then start."""
    groups, starts, ends = (np.asarray(a, dtype=np.int64) for a in (groups, starts, ends))
    if not len(groups):
        return groups, starts, ends
    order = np.lexsort((starts, groups))
    groups, starts, ends = groups[order], starts[order], ends[order]
    # running max of `end` inside each group: offset every group above all earlier ones so
    # one np.maximum.accumulate never carries an end across a group boundary
    rank = np.concatenate([[0], np.cumsum(groups[1:] != groups[:-1])])
    shift = rank * (int(ends.max()) + 1)
    reach = np.maximum.accumulate(ends + shift) - shift
    new = np.ones(len(groups), dtype=bool)
    new[1:] = (groups[1:] != groups[:-1]) | (starts[1:] > reach[:-1])
    first = np.flatnonzero(new)
    last = np.concatenate([first[1:], [len(groups)]]) - 1
    return groups[first], starts[first], reach[last]
