"""Unlearning judged against a model retrained without the forget set: the numbers of MUSE
(Shi et al. 2024) and TOFU (Maini et al. 2024), as pure functions (no model here).

    rouge_l           ROUGE-L precision / recall / F1 on words (VerbMem, KnowMem)
    muse_auc          MUSE's orientation of the forget-vs-holdout AUC
    privleak          (AUC_unlearned - AUC_retrained) / AUC_retrained x 100
    privleak_ci       paired bootstrap CI of PrivLeak over texts
    forget_quality    two-sample KS p-value (TOFU)
    truth_ratio       TOFU's R_truth of one question
    ratio             utility as a share of the original model's
"""

from __future__ import annotations

import math
import re
from typing import Sequence

import numpy as np

_WORD = re.compile(r"[a-z0-9]+")


def rouge_words(text: str) -> list[str]:
    """The words ROUGE compares: lowercased runs of letters and digits, everything else a
    separator, no stemming (the rouge_score package's default tokenizer, which MUSE uses)."""
    return _WORD.findall(text.lower())


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence, by dynamic programming in O(len a x len b)."""
    if not a or not b:
        return 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(candidate: str, reference: str) -> dict[str, float]:
    """ROUGE-L of `candidate` against `reference`: precision = LCS / candidate words,
    recall = LCS / reference words, F1 their harmonic mean; all 0 when either is empty."""
    cand, ref = rouge_words(candidate), rouge_words(reference)
    common = lcs_length(cand, ref)
    if common == 0:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    precision, recall = common / len(cand), common / len(ref)
    return {"precision": precision, "recall": recall,
            "f1": 2 * precision * recall / (precision + recall)}


def mean_rouge_l_f1(candidates: Sequence[str], references: Sequence[str]) -> float | None:
    if len(candidates) != len(references):
        raise ValueError("one reference per candidate")
    if not candidates:
        return None
    return float(np.mean([rouge_l(c, r)["f1"] for c, r in zip(candidates, references)]))


def muse_auc(forget_scores: Sequence[float], holdout_scores: Sequence[float]) -> float:
    """MUSE's PrivLeak AUC (privleak/scripts/get_ppl.py, key "forget_holdout"): forget texts
    labelled 0, held-out texts labelled 1, scored by a membership signal (MUSE: minus the
    perplexity; here any signal, higher = more member-like). It is P(a held-out text scores
    above a forget text), ties 1/2: 1 - the usual membership AUROC with forget as members.
    A model that memorized the forget set gives ~0; one that never saw it ~0.5."""
    forget = np.asarray(forget_scores, dtype=np.float64)
    holdout = np.asarray(holdout_scores, dtype=np.float64)
    if forget.size == 0 or holdout.size == 0:
        return math.nan
    above = (holdout[:, None] > forget[None, :]).sum()
    ties = (holdout[:, None] == forget[None, :]).sum()
    return float((above + 0.5 * ties) / (forget.size * holdout.size))


def privleak(auc_unlearned: float, auc_retrained: float) -> float:
    """MUSE's PrivLeak in percent, both AUCs in MUSE's orientation (muse_auc): 0 for a model
    as private as the retrained one, strongly negative when the forget set still looks
    familiar (MUSE: -99.8 for the target model on News), positive when it looks LESS
    familiar than never-seen text (over-unlearning, itself a membership tell)."""
    return (auc_unlearned - auc_retrained) / auc_retrained * 100.0


def privleak_ci(forget: Sequence[float], holdout: Sequence[float], forget_ref: Sequence[float],
                holdout_ref: Sequence[float], *, resamples: int = 1000, level: float = 0.95,
                seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap of PrivLeak: forget and held-out texts are resampled (each set
    on its own), the same draw for both models, since both score the same texts."""
    arrays = [np.asarray(x, dtype=np.float64) for x in (forget, holdout, forget_ref, holdout_ref)]
    if arrays[0].size != arrays[2].size or arrays[1].size != arrays[3].size:
        raise ValueError("both models must score the same forget and held-out texts")
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        f = rng.integers(0, arrays[0].size, arrays[0].size)
        h = rng.integers(0, arrays[1].size, arrays[1].size)
        reference = muse_auc(arrays[2][f], arrays[3][h])
        if reference > 0:
            values.append(privleak(muse_auc(arrays[0][f], arrays[1][h]), reference))
    if not values:
        return (math.nan, math.nan)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def forget_quality(unlearned_stat: Sequence[float], retrained_stat: Sequence[float]) -> float:
    """TOFU's forget quality: the p-value of the two-sample Kolmogorov-Smirnov test between
    the per-text statistics of the unlearned and the retrained model on the forget set
    (exact for small samples, scipy's default). 1 for identical samples; near 0 when the
    two distributions differ. TOFU reads it as 'can we tell the two models apart?'"""
    from scipy.stats import ks_2samp

    return float(ks_2samp(np.asarray(unlearned_stat, dtype=np.float64),
                          np.asarray(retrained_stat, dtype=np.float64)).pvalue)


def truth_ratio(paraphrased: tuple[float, int], perturbed: Sequence[tuple[float, int]]) -> float:
    """TOFU's truth ratio of one question: the geometric mean over the perturbed (wrong)
    answers of P(answer | question)^(1/length), divided by the same for the paraphrased
    (true) answer. Each answer is (sum of log p of its tokens, number of tokens). Below 1
    the model prefers the truth; ~1 it cannot tell; TOFU's forget quality runs the KS test
    on these values. Computed in log space."""
    para_total, para_len = paraphrased
    if para_len < 1 or not perturbed or any(n < 1 for _, n in perturbed):
        raise ValueError("the truth ratio needs a non-empty paraphrased answer and at least "
                         "one non-empty perturbed answer")
    log_pert = float(np.mean([total / n for total, n in perturbed]))
    return math.exp(log_pert - para_total / para_len)


def ratio(value: float | None, original: float | None) -> float | None:
    """value / original (utility preserved: 1 = as good as before), None when undefined."""
    if value is None or original is None or original == 0:
        return None
    return value / original
