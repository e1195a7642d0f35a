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
error of the mean for consistency), so a move can be told from noise.
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


def pathway_similarity(updates: Sequence[np.ndarray]) -> tuple[float, float]:
    """Mean pairwise cosine of samples' layer updates, averaged over layers, and its
    jackknife standard error (leave one sample out). `updates`: one (L-1, H) per sample."""
    units = _unit(np.stack([np.asarray(u, dtype=np.float64) for u in updates]))  # (N, L, H)
    n = units.shape[0]
    if n < 2:
        return float("nan"), float("nan")
    value = float(_pairwise_cosine_per_layer(units).mean())
    if n < 3:
        return value, float("nan")
    total = units.sum(0)
    leave_out = []
    for i in range(n):
        rest = total - units[i]
        leave_out.append((((rest * rest).sum(-1) - (n - 1)) / ((n - 1) * (n - 2))).mean())
    leave_out = np.asarray(leave_out)
    se = float(np.sqrt((n - 1) / n * ((leave_out - leave_out.mean()) ** 2).sum()))
    return value, se


def pathway_consistency(updates: Sequence[np.ndarray]) -> tuple[float, float]:
    """Mean cosine between consecutive layers' updates within a sample, averaged over
    samples, and its standard error. NaN with fewer than two updates per sample."""
    per_sample = []
    for u in updates:
        units = _unit(np.asarray(u, dtype=np.float64))           # (L-1, H)
        if units.shape[0] < 2:
            return float("nan"), float("nan")
        per_sample.append(float((units[1:] * units[:-1]).sum(-1).mean()))
    values = np.asarray(per_sample)
    se = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")
    return float(values.mean()), se
