"""Exposure of a canary's secret (Carlini et al. 2019, "The Secret Sharer").

    exposure = log2 |R| - log2 rank(secret)

where rank 1 is the candidate with the lowest log-perplexity Px(t) = -log p(text with t)
among all |R| candidates. Exposure runs from 0 (the secret ranks last) to log2 |R| (it
ranks first): each extra bit halves the share of candidates the model prefers over it.

- Exact: when |R| <= exact_limit, every candidate is scored (10**4 4-digit secrets take
  seconds on a small model).
- Estimated: otherwise a skew-normal is fitted to Px over `samples` random candidates and
  exposure = -log2 Pr_{t in R}[Px(t) <= Px(secret)], as the paper does (Section 4.3). The
  estimate is clipped to [0, log2 |R|].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .canaries import Canary, all_secrets, sample_secrets


@dataclass(frozen=True)
class ExposureConfig:
    exact_limit: int = 10_000     # score every candidate when |R| is at most this
    samples: int = 2_000          # candidates for the skew-normal fit otherwise
    batch_size: int = 64
    seed: int = 0


def exposure_from_rank(rank: int, space_size: int) -> float:
    if not 1 <= rank <= space_size:
        raise ValueError(f"rank {rank} is outside 1..{space_size}")
    return math.log2(space_size) - math.log2(rank)


def rank_of_secret(secret_log_perplexity: float, other_log_perplexities: Sequence[float]) -> int:
    """1 + the number of other candidates the model strictly prefers (lower Px). Ties go
    to the secret, so a model that cannot tell candidates apart does not look safe."""
    others = np.asarray(other_log_perplexities, dtype=np.float64)
    return 1 + int((others < secret_log_perplexity).sum())


def skewnorm_exposure(secret_log_perplexity: float, sampled_log_perplexities: Sequence[float],
                      space_size: int) -> tuple[float, dict[str, float]]:
    """-log2 of the fitted Pr[Px(t) <= Px(secret)], clipped to [0, log2 |R|]."""
    from scipy.stats import skewnorm

    values = np.asarray(sampled_log_perplexities, dtype=np.float64)
    shape, loc, scale = skewnorm.fit(values)
    log_cdf = float(skewnorm.logcdf(secret_log_perplexity, shape, loc, scale))
    exposure = -log_cdf / math.log(2)
    exposure = min(max(exposure, 0.0), math.log2(space_size))
    return exposure, {"shape": float(shape), "loc": float(loc), "scale": float(scale)}


def normal_exposure(secret_log_perplexity: float, sampled_log_perplexities: Sequence[float],
                    space_size: int) -> float:
    """-log2 Pr[Px(t) <= Px(secret)] under a normal fitted to the sampled Px (mean and
    standard deviation), clipped to [0, log2 |R|]. For a handful of candidates, where the
    skew-normal's three parameters are not identified (on 15 candidates its fitted shape
    ran to 7e7), as in a check during training."""
    from scipy.stats import norm

    values = np.asarray(sampled_log_perplexities, dtype=np.float64)
    scale = max(float(values.std(ddof=1)), 1e-9)
    log_cdf = float(norm.logcdf(secret_log_perplexity, values.mean(), scale))
    return min(max(-log_cdf / math.log(2), 0.0), math.log2(space_size))


def log_perplexities(model, texts: Sequence[str], batch_size: int) -> np.ndarray:
    """Px(text) = -sum_t log p(x_t | x_<t) over every token of the text (the shared
    format tokens add the same amount to every candidate, so ranks are those of the
    secret part). The format's tokens, shared by every candidate, run through the network
    once (shared_prefix.py)."""
    from .shared_prefix import sequence_logprobs

    return -sequence_logprobs(model, [model.encode(t) for t in texts], batch_size=batch_size)


def canary_exposure(model, canary: Canary, secret_digits: int,
                    config: ExposureConfig = ExposureConfig()) -> dict[str, Any]:
    """One row for the run: the canary, its secret's Px, rank and exposure."""
    space = 10 ** secret_digits
    if space <= config.exact_limit:
        others = [s for s in all_secrets(secret_digits) if s != canary.secret]
    else:
        others = sample_secrets(secret_digits, config.samples, config.seed, canary.secret)
    # the secret is scored in the same batches as the candidates it is ranked against
    scored = log_perplexities(model, [canary.text_with(s) for s in [canary.secret, *others]],
                              config.batch_size)
    secret_px, px = float(scored[0]), scored[1:]
    row: dict[str, Any] = {"id": canary.id, "repetitions": canary.repetitions,
                           "format": canary.format, "secret": canary.secret,
                           "space_size": space, "secret_log_perplexity": secret_px}
    if space <= config.exact_limit:
        rank = rank_of_secret(secret_px, px)
        row.update(method="exact", rank=rank, exposure=exposure_from_rank(rank, space),
                   candidates_scored=len(others))
    else:
        exposure, fit = skewnorm_exposure(secret_px, px, space)
        # the rank among the sampled candidates, scaled up: a check on the fit
        sampled_rank = rank_of_secret(secret_px, px)
        row.update(method="skewnorm", exposure=exposure, candidates_scored=len(others),
                   rank=None, sampled_rank=sampled_rank,
                   empirical_exposure=exposure_from_rank(sampled_rank, len(others) + 1),
                   fit_shape=fit["shape"], fit_loc=fit["loc"], fit_scale=fit["scale"])
    return row


def exposure_by_repetition(rows: Sequence[dict[str, Any]], space_size: int) -> dict[str, Any]:
    """Mean, min and max exposure per repetition count, keyed by the count as a string.

    Also the mean secret log-perplexity (nats; no fit involved) and, for fitted rows, the
    mean empirical exposure among the sampled candidates, which cannot exceed
    log2(samples + 1): a fitted exposure above that is an extrapolation of the skew-normal's
    tail, and a secret far below every sample can land on a poorly fitted part of it."""
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(int(row["repetitions"]), []).append(row)
    summary: dict[str, Any] = {}
    for reps, group in sorted(grouped.items()):
        values = [float(r["exposure"]) for r in group]
        entry = {"n": len(values), "mean_exposure": float(np.mean(values)),
                 "min_exposure": float(np.min(values)), "max_exposure": float(np.max(values)),
                 "max_possible": math.log2(space_size)}
        px = [float(r["secret_log_perplexity"]) for r in group
              if r.get("secret_log_perplexity") is not None]
        if px:
            entry["mean_secret_log_perplexity"] = float(np.mean(px))
        empirical = [float(r["empirical_exposure"]) for r in group
                     if _is_number(r.get("empirical_exposure"))]
        if empirical:
            entry["mean_empirical_exposure"] = float(np.mean(empirical))
        summary[str(reps)] = entry
    return summary


def _is_number(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))
