"""A training-data-only generalization indicator: how shared the samples' *pathways* are.

Li, Fan & Zhou 2025 ("Where to find Grokking in LLM Pretraining? Monitor
Memorization-to-Generalization without Test") follow a mixture-of-experts model's training
samples through the network. A sample's pathway is its expert choice at every layer. While
the model memorizes, pathways are instance-specific and jump between unrelated experts
from layer to layer; as it generalizes they become shared between samples and smooth
across layers, with the training loss already flat. Two metrics follow, computed on
training data alone: the distance between samples' pathways (edit distance of the expert
sequences) and a pathway's consistency (cosine similarity of the routing-weighted expert
embeddings of consecutive layers).

A dense model has no router, so there is no discrete choice to compare. What plays the
part of layer l's routed expert output here is the layer's *update* to the residual
stream, u_l = h_l - h_{l-1}, averaged over the sample's tokens: in an MoE layer that update
is exactly sum_e g_e E_e(x), the routing-weighted expert output. The two metrics become:

- **similarity** (across samples): the mean, over layers, of the mean pairwise cosine
  between samples' updates. Low = each sample takes its own route (memorization-like);
  high = routes are shared. This replaces the edit distance (a distance between discrete
  sequences) with its continuous counterpart, and compares layer by layer.
- **consistency** (within a sample): the mean cosine between consecutive layers' updates,
  averaged over samples: how smoothly the route continues from one layer to the next.

Both read one forward pass with hidden states (models/probe.py), on the members only.
Each comes with a standard error (jackknife over samples for similarity, the standard
error of the mean for consistency). The per-sample pieces are kept at every check, so the
change between two checks of the same samples gets a paired standard error, far smaller
than either check's own: that is what tells a move from noise (dynamics/summary.py).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def layer_updates(layer_means: np.ndarray) -> np.ndarray:
    """(L, H) residual stream per layer -> (L-1, H): what each layer added."""
    means = np.asarray(layer_means, dtype=np.float64)
    return means[1:] - means[:-1]


def _unit(vectors: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norm, 1e-12)


def _pairwise_cosine_per_layer(units: np.ndarray) -> np.ndarray:
    """units: (N, L, H) unit vectors -> (L,) mean cosine over the N(N-1)/2 pairs, with
    ||sum_i u_i||^2 = N + 2 sum_{i<j} cos(u_i, u_j), so no N x N matrix is formed."""
    n = units.shape[0]
    total = units.sum(0)                                        # (L, H)
    return ((total * total).sum(-1) - n) / (n * (n - 1))


def similarity_leave_one_out(updates: Sequence[np.ndarray]) -> np.ndarray:
    """(N,): the similarity with each sample left out in turn (the jackknife's pieces;
    kept per check, so the change between two checks gets a paired standard error)."""
    units = _unit(np.stack([np.asarray(u, dtype=np.float64) for u in updates]))  # (N, L, H)
    n = units.shape[0]
    if n < 3:
        return np.full(n, np.nan)
    total = units.sum(0)
    rest = total[None] - units                                       # (N, L, H)
    return (((rest * rest).sum(-1) - (n - 1)) / ((n - 1) * (n - 2))).mean(-1)


def jackknife_se(leave_one_out: np.ndarray) -> float:
    """sqrt((n-1)/n * sum (theta_i - mean)^2); NaN below 2 pieces."""
    values = np.asarray(leave_one_out, dtype=np.float64)
    if values.size < 2 or not np.isfinite(values).all():
        return float("nan")
    n = values.size
    return float(np.sqrt((n - 1) / n * ((values - values.mean()) ** 2).sum()))


def pathway_similarity(updates: Sequence[np.ndarray]) -> tuple[float, float]:
    """Mean pairwise cosine of samples' layer updates, averaged over layers, and its
    jackknife standard error (leave one sample out). `updates`: one (L-1, H) per sample."""
    units = _unit(np.stack([np.asarray(u, dtype=np.float64) for u in updates]))  # (N, L, H)
    if units.shape[0] < 2:
        return float("nan"), float("nan")
    value = float(_pairwise_cosine_per_layer(units).mean())
    return value, jackknife_se(similarity_leave_one_out(updates))


def consistency_per_sample(updates: Sequence[np.ndarray]) -> np.ndarray:
    """(N,): each sample's mean cosine between consecutive layers' updates (NaN with
    fewer than two updates)."""
    out = []
    for u in updates:
        units = _unit(np.asarray(u, dtype=np.float64))               # (L-1, H)
        out.append(float((units[1:] * units[:-1]).sum(-1).mean()) if units.shape[0] > 1
                   else float("nan"))
    return np.asarray(out)


def pathway_consistency(updates: Sequence[np.ndarray]) -> tuple[float, float]:
    """Mean cosine between consecutive layers' updates within a sample, averaged over
    samples, and its standard error. NaN with fewer than two updates per sample."""
    values = consistency_per_sample(updates)
    if not np.isfinite(values).all():
        return float("nan"), float("nan")
    se = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")
    return float(values.mean()), se
