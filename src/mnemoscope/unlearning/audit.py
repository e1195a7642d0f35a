"""One model's side of the before-and-after audit, written under DIR/<stage>/:

    <stage>/extraction/   an `extract` run (greedy, no PII) on audit_data.jsonl
    <stage>/mia/          a `score` run on the same file: forget = 1, held-out = 0
    <stage>/summary.json  extraction rates (exact, approximate) of forget and held-out,
                          MIA AUROC per signal, perplexity of retain / forget / held-out,
                          fluency of the greedy continuations (perplexity under the
                          original model, distinct-1/2), and per-text rows

A stage whose summary.json exists is not redone; its sub-runs resume by themselves.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Sequence

from ..data import DataConfig
from ..runs import claim_folder, write_json_atomic, write_text_atomic
from ..types import Sample
from .config import AuditConfig
from .fluency import mean_distinct, pooled_perplexity

GROUP_NAMES = {"member": "forget", "non_member": "holdout", "all": "forget"}
FORGET_PREFIX, HOLDOUT_PREFIX = "forget:", "holdout:"


def write_audit_data(path: Path, forget: Sequence[Sample], holdout: Sequence[Sample] | None) -> DataConfig:
    """forget (label 1) and held-out (label 0) texts in one file, ids prefixed by their
    set so that equal ids in the two files stay apart. Without held-out data: no labels."""
    lines = []
    for prefix, label, group in ((FORGET_PREFIX, 1, forget), (HOLDOUT_PREFIX, 0, holdout or [])):
        for sample in group:
            record = {"id": prefix + sample.id, "text": sample.text}
            if holdout:
                record["label"] = label
            lines.append(json.dumps(record))
    write_text_atomic(path, "\n".join(lines) + "\n")
    return DataConfig(path=str(path))


def perplexity(model, texts: Sequence[str]) -> float:
    """exp(- mean log p) over every scored token of `texts` (start token excluded)."""
    scores = model.score(list(texts))
    total = sum(float(s.logprobs.sum()) for s in scores)
    count = sum(len(s.logprobs) for s in scores)
    return math.exp(-total / count)


def _fluency(rows, texts: dict[str, str], model, original) -> tuple[dict[str, Any], dict[str, dict]]:
    """Per group: pooled perplexity under `original` of the greedy continuations and their
    distinct-1/2; per text: the same for its own continuation."""
    from ..extraction.token_loss import continuation_logprobs

    usable = rows[rows["extractable"]]
    prefixes = [model.encode(texts[i])[:int(k)] for i, k in zip(usable["id"], usable["prefix_tokens"])]
    generated = [list(map(int, g)) for g in usable["generated_ids"]]
    totals = continuation_logprobs(original, prefixes, generated) if generated else []
    per_text = {}
    for sample_id, gen, total in zip(usable["id"], generated, totals):
        per_text[sample_id] = {"fluency_perplexity": math.exp(-total / len(gen)) if gen else None,
                               "distinct_1": mean_distinct([gen], 1),
                               "distinct_2": mean_distinct([gen], 2),
                               "generated": model.decode(gen)}
    groups = {}
    for name, prefix in (("forget", FORGET_PREFIX), ("holdout", HOLDOUT_PREFIX)):
        keys = [i for i, sample_id in enumerate(usable["id"]) if sample_id.startswith(prefix)]
        if not keys:
            continue
        gens = [generated[i] for i in keys]
        groups[name] = {"perplexity_under_original": pooled_perplexity(
                            [float(totals[i]) for i in keys], [len(g) for g in gens]),
                        "distinct_1": mean_distinct(gens, 1), "distinct_2": mean_distinct(gens, 2),
                        "texts": len(keys)}
    return groups, per_text


def audit_stage(stage_dir: Path, model, original, audit_data: DataConfig, audit_samples: Sequence[Sample],
                retain_texts: Sequence[str], has_holdout: bool, config: AuditConfig,
                chunk_size: int, progress: bool) -> dict[str, Any]:
    """Audit `model` (fluency judged by `original`); returns and writes the stage summary."""
    from ..extraction.audit import ExtractSpec, run_extract
    from ..extraction.discoverable import DiscoverableConfig
    from ..membership import ScoreSpec, run_score

    summary_path = stage_dir / "summary.json"
    if summary_path.is_file():
        return json.loads(summary_path.read_text(encoding="utf-8"))
    if not stage_dir.exists():             # listed in the run's manifest: a retrain removes it
        claim_folder(stage_dir)
    extraction = run_extract(ExtractSpec(
        data=audit_data, out=str(stage_dir / "extraction"),
        extraction=DiscoverableConfig(prefix_tokens=config.prefix_tokens,
                                      suffix_tokens=config.suffix_tokens, samples=0),
        pii=False, chunk_size=chunk_size, progress=progress), model=model)
    rates = {GROUP_NAMES[g]: {"exact": extraction.summary["exact_match_rate"][g],
                              "approx": extraction.summary["approx_match_rate"][g],
                              "mean_longest_match": extraction.summary["mean_longest_match"][g]}
             for g in extraction.summary["exact_match_rate"] if g != "all" or not has_holdout}
    mia = None
    if has_holdout:
        scored = run_score(ScoreSpec(data=audit_data, out=str(stage_dir / "mia"),
                                     signals=config.signals, chunk_size=chunk_size,
                                     save_tokens=False, bootstrap=config.bootstrap,
                                     progress=progress, report=False), model=model)
        mia = {name: {"auroc": scored.summary[name]["auroc"],
                      "auroc_ci": scored.summary[name]["auroc_ci"]} for name in scored.signals}
    texts = {s.id: s.text for s in audit_samples}
    fluency, per_text = _fluency(extraction.rows, texts, model, original)
    for row in extraction.rows.itertuples():
        per_text.setdefault(row.id, {}).update(exact_match=bool(row.exact_match),
                                               approx_match=bool(row.approx_match),
                                               longest_match=int(row.longest_match))
    summary = {"extraction": rates, "mia_auroc": mia,
               "perplexity": {
                   "retain": perplexity(model, retain_texts),
                   "forget": perplexity(model, [s.text for s in audit_samples
                                                if s.id.startswith(FORGET_PREFIX)]),
                   **({"holdout": perplexity(model, [s.text for s in audit_samples
                                                     if s.id.startswith(HOLDOUT_PREFIX)])}
                      if has_holdout else {})},
               "fluency": fluency, "per_text": per_text}
    write_json_atomic(summary_path, summary)
    return summary
