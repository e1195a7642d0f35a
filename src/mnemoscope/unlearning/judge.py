"""Unlearning judged against a model retrained without the forget set (MUSE, TOFU).

Each model (the original, the unlearned, the retrained) gets the same audit (audit.py);
`criteria_stage` adds what the comparison needs and writes DIR/<stage>/criteria.json:

    verbmem          mean ROUGE-L F1 of the greedy continuation of each forget text's
                     first prefix tokens against its true next tokens (the audit's
                     extraction generations, decoded)
    member_scores    per signal, the forget and held-out texts' scores (the audit's MIA run)
    knowmem          with QA files: mean ROUGE-L F1 of the greedy answers (forget, retain)
    truth_ratio      with forget QA holding paraphrased and perturbed answers: TOFU's
                     truth ratio per question

`compare` turns three of them into the table of summary.json; `ParityCheck` is the
stopping rule of --stop parity (PrivLeak within tolerance and extraction at the held-out
rate), measured during training.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..runs import read_rows, write_json_atomic
from ..types import Sample
from .audit import FORGET_PREFIX, HOLDOUT_PREFIX
from .criteria import (forget_quality, mean_rouge_l_f1, muse_auc, privleak, privleak_ci,
                       ratio)

HEADLINE_SIGNAL = "min_k_plus_plus"     # the and MUSE-style default for PrivLeak


def true_suffixes(model, samples: Sequence[Sample], prefix_tokens: int,
                  suffix_tokens: int) -> dict[str, str]:
    """The decoded true continuation each extraction prompt is compared with."""
    from ..extraction.discoverable import split_tokens

    out = {}
    for sample in samples:
        split = split_tokens(model.encode(sample.text), prefix_tokens, suffix_tokens)
        if split is not None:
            out[sample.id] = model.decode(split[1])
    return out


def verbmem(per_text: dict[str, dict], truths: dict[str, str]) -> float | None:
    """VerbMem: mean ROUGE-L F1 of the forget texts' generations against their truth."""
    keys = [k for k in truths if k in per_text and per_text[k].get("generated") is not None]
    return mean_rouge_l_f1([per_text[k]["generated"] for k in keys], [truths[k] for k in keys])


def member_scores(stage_dir: Path) -> dict[str, dict[str, list[float]]]:
    """Per signal column, the forget and held-out scores in id order (the audit's MIA run)."""
    rows = read_rows(stage_dir / "mia").sort_values("id")
    forget = rows["id"].str.startswith(FORGET_PREFIX)
    holdout = rows["id"].str.startswith(HOLDOUT_PREFIX)
    skip = {"id", "label", "n_tokens"}
    out = {}
    for column in rows.columns:
        if column in skip or not np.issubdtype(rows[column].dtype, np.number):
            continue
        out[column] = {"forget": [float(v) for v in rows.loc[forget, column]],
                       "holdout": [float(v) for v in rows.loc[holdout, column]]}
    return out


def criteria_stage(stage_dir: Path, model, audit: dict[str, Any], truths: dict[str, str],
                   forget_qa, retain_qa, max_answer_tokens: int) -> dict[str, Any]:
    """The criteria of one audited model, cached in stage_dir/criteria.json. A cached
    KnowMem asked with another prompt than today's (qa.KNOWMEM_PROMPT; the zero-shot
    results of earlier versions carry none) is asked again, and only it."""
    from .qa import KNOWMEM_PROMPT, knowmem, truth_ratios

    path = stage_dir / "criteria.json"
    cached = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    result: dict[str, Any] = cached or {"verbmem": verbmem(audit["per_text"], truths),
                                        "member_scores": member_scores(stage_dir)}
    changed = cached is None
    for group, questions in (("forget", forget_qa), ("retain", retain_qa)):
        key = f"knowmem_{group}"
        if questions and (result.get(key) or {}).get("prompt") != KNOWMEM_PROMPT:
            result[key] = knowmem(model, questions, max_answer_tokens)
            changed = True
    if cached is None and forget_qa and any(q.has_truth_ratio for q in forget_qa):
        result["truth_ratio_forget"] = truth_ratios(model, forget_qa)
    if changed:
        write_json_atomic(path, result)
    return result


def _privleak_of(scores: dict, reference: dict, signal: str, bootstrap: int) -> dict[str, Any]:
    mine, ref = scores[signal], reference[signal]
    auc = muse_auc(mine["forget"], mine["holdout"])
    auc_ref = muse_auc(ref["forget"], ref["holdout"])
    out = {"auc_muse": auc, "auc_retrained_muse": auc_ref,
           "privleak": privleak(auc, auc_ref) if auc_ref > 0 else None}
    if bootstrap and out["privleak"] is not None:
        out["privleak_ci"] = list(privleak_ci(mine["forget"], mine["holdout"], ref["forget"],
                                              ref["holdout"], resamples=bootstrap))
    return out


def forget_statistic(criteria: dict[str, Any]) -> tuple[str, list[float] | None]:
    """TOFU's per-question truth ratio when the forget QA gave one, else the per-text
    loss signal (minus the mean NLL) of the forget texts (None when the audit's signals
    leave the loss out)."""
    if criteria.get("truth_ratio_forget"):
        return "truth_ratio", criteria["truth_ratio_forget"]
    return "loss", (criteria["member_scores"].get("loss") or {}).get("forget")


def _knowmem(criteria: dict[str, Any], group: str) -> float | None:
    return (criteria.get(f"knowmem_{group}") or {}).get("rouge_l_f1")


def judge_model(criteria: dict[str, Any], audit: dict[str, Any], retrained: dict[str, Any],
                original_criteria: dict[str, Any], original_audit: dict[str, Any],
                bootstrap: int) -> dict[str, Any]:
    """One model's column of the table, against the retrained model."""
    signals = [s for s in criteria["member_scores"] if s in retrained["member_scores"]]
    leaks = {s: _privleak_of(criteria["member_scores"], retrained["member_scores"], s,
                             bootstrap if s == HEADLINE_SIGNAL else 0) for s in signals}
    stat, values = forget_statistic(criteria)
    reference_stat, reference = forget_statistic(retrained)
    quality = (forget_quality(values, reference)
               if reference_stat == stat and values and reference else None)
    column: dict[str, Any] = {
        "verbmem": criteria["verbmem"],
        "knowmem_forget": _knowmem(criteria, "forget"),
        "knowmem_retain": _knowmem(criteria, "retain"),
        "privleak": leaks,
        "forget_quality": {"statistic": stat, "p_value": quality},
        "forget_quality_loss": forget_quality(criteria["member_scores"]["loss"]["forget"],
                                              retrained["member_scores"]["loss"]["forget"])
        if "loss" in signals else None,
        "retain_perplexity": audit["perplexity"]["retain"],
        "retain_perplexity_ratio": ratio(audit["perplexity"]["retain"],
                                         original_audit["perplexity"]["retain"]),
        "knowmem_retain_ratio": ratio(_knowmem(criteria, "retain"),
                                      _knowmem(original_criteria, "retain")),
        "forget_exact_extraction": audit["extraction"]["forget"]["exact"],
        "holdout_exact_extraction": audit["extraction"].get("holdout", {}).get("exact"),
        "fluency_holdout_perplexity_under_original":
            (audit["fluency"].get("holdout") or {}).get("perplexity_under_original"),
        "fluency_holdout_distinct_2": (audit["fluency"].get("holdout") or {}).get("distinct_2"),
        "fluency_forget_distinct_2": (audit["fluency"].get("forget") or {}).get("distinct_2"),
    }
    return column


def compare(columns: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The table's rows: {"metric", <column name>: value, ...}."""
    def leak(c, s):
        return ((c["privleak"].get(s) or {}).get("privleak"))

    rows = [("VerbMem: ROUGE-L F1 of forget continuations", lambda c: c["verbmem"]),
            ("KnowMem forget: ROUGE-L F1 of answers", lambda c: c["knowmem_forget"]),
            ("KnowMem retain: ROUGE-L F1 of answers", lambda c: c["knowmem_retain"])]
    signals = next(iter(columns.values()))["privleak"].keys()
    for s in sorted(signals, key=lambda n: (n != HEADLINE_SIGNAL, n)):
        rows.append((f"PrivLeak % ({s})", lambda c, s=s: leak(c, s)))
    rows += [("forget quality: KS p-value", lambda c: c["forget_quality"]["p_value"]),
             ("forget quality by per-text loss: KS p-value", lambda c: c["forget_quality_loss"]),
             ("forget exact extraction rate", lambda c: c["forget_exact_extraction"]),
             ("retain perplexity", lambda c: c["retain_perplexity"]),
             ("retain perplexity / original", lambda c: c["retain_perplexity_ratio"]),
             ("retain KnowMem / original", lambda c: c["knowmem_retain_ratio"]),
             ("held-out continuations: perplexity under the original",
              lambda c: c["fluency_holdout_perplexity_under_original"]),
             ("held-out continuations: distinct-2", lambda c: c["fluency_holdout_distinct_2"])]
    return [{"metric": name, **{k: pick(c) for k, c in columns.items()}} for name, pick in rows]


@dataclass
class ParityCheck:
    """--stop parity, measured at a check: PrivLeak per watched signal against the retrained
    model's scores, the forget extraction rate and VerbMem from one greedy pass, and forget
    quality by per-text loss. Parity: every watched |PrivLeak| <= tol and the extraction
    rate at or below the target (the held-out rate before unlearning)."""

    forget: Sequence[Sample]
    holdout: Sequence[Sample]
    reference: dict[str, dict[str, list[float]]]     # retrained member_scores
    watched: tuple[str, ...]
    tolerance: float
    target_rate: float
    prefix_tokens: int
    suffix_tokens: int
    metric: str = "exact"

    def measure(self, model) -> dict[str, Any]:
        from ..extraction.discoverable import DiscoverableConfig, greedy_rows
        from ..signals import Context, signals

        ordered = sorted([(s.id, s.text, "forget") for s in self.forget]
                         + [(s.id, s.text, "holdout") for s in self.holdout],
                         key=lambda x: (FORGET_PREFIX if x[2] == "forget"
                                        else HOLDOUT_PREFIX) + x[0])
        scored = model.score([t for _, t, _ in ordered])
        point: dict[str, Any] = {}
        for name in self.watched:
            signal = signals.get(name)()
            values = [float(signal(s, Context(text=t))) for s, (_, t, _) in zip(scored, ordered)]
            forget = [v for v, (_, _, g) in zip(values, ordered) if g == "forget"]
            holdout = [v for v, (_, _, g) in zip(values, ordered) if g == "holdout"]
            ref = self.reference[name]
            point[f"privleak_{name}"] = privleak(muse_auc(forget, holdout),
                                                 muse_auc(ref["forget"], ref["holdout"]))
            if name == "loss":
                point["forget_quality_loss"] = forget_quality(forget, ref["forget"])
        config = DiscoverableConfig(prefix_tokens=self.prefix_tokens,
                                    suffix_tokens=self.suffix_tokens, samples=0)
        rows = [r for r in greedy_rows(self.forget, model, config) if r["extractable"]]
        key = "exact_match" if self.metric == "exact" else "approx_match"
        point["forget_rate"] = sum(bool(r[key]) for r in rows) / max(1, len(rows))
        truths = true_suffixes(model, self.forget, self.prefix_tokens, self.suffix_tokens)
        point["verbmem"] = mean_rouge_l_f1([model.decode(r["generated_ids"]) for r in rows],
                                           [truths[r["id"]] for r in rows])
        return point

    def reached(self, point: dict[str, Any]) -> bool:
        leaks = [point[f"privleak_{s}"] for s in self.watched]
        return (all(not math.isnan(v) and abs(v) <= self.tolerance for v in leaks)
                and point["forget_rate"] <= self.target_rate + 1e-12)
