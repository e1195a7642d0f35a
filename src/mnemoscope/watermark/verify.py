"""`mnemoscope watermark verify DIR --model M --out RUN`: was M trained on the watermarked data?

Every watermarked text is scored next to its control (the same text with the unpublished
synonyms from the key) by the ordinary membership audit (`membership.run_score`, so rows,
resume, summary and report are the same as `mnemoscope score`); then the paired
differences go through the sign-flip test of stats.py.

The run folder is meant to be shared (with a court, a reviewer, the model's owner), so it
holds nothing from which the control could be rebuilt: the control texts are built from
the key in memory and handed to the audit as samples, never written; rows keep scores,
not token ids (save_tokens=False), and the report shows published texts only.

    RUN/published.jsonl    the published texts scored, ids "w:<id>" (label 1), and the key's
                           SHA-256 (so a changed key cannot resume this run)
    RUN/parts/, spec.json  membership rows, as `mnemoscope score` writes them (resumable):
                           "w:<id>" published, "c:<id>" control (label 0); scores only
    RUN/differences.csv    per text: each signal on both versions and their difference
    RUN/summary.json       p_value, auroc (paired), verdict, the test per signal, and the
                           usual per-signal membership summary (AUROC of the pooled scores)
    RUN/report.html
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data import DataConfig, load_samples
from ..fileio import atomic_output, atomic_write_json, atomic_write_text
from ..membership import ScoreSpec, run_score
from ..models import ModelConfig
from ..runs import SUMMARY_FILE, claim_folder, json_default, read_rows
from ..types import InputError, Sample
from .keyfile import KEY_FILE, key_data_path, read_key
from .leximark import Change, swap_version
from .stats import minimum_p_value, paired_test, verdict

# score's signals.DEFAULT less `lowercase`: the paired test compares two versions of one
# text that differ in a few words, and a second (lowercased) pass adds cost, not power
DEFAULT_SIGNALS = ("loss", "zlib", "min_k", "min_k_plus_plus")
WATERMARK_PREFIX, CONTROL_PREFIX = "w:", "c:"


@dataclass(frozen=True)
class VerifySpec:
    watermark_dir: str
    out: str
    model: ModelConfig = field(default_factory=ModelConfig)
    signals: tuple[str, ...] = DEFAULT_SIGNALS
    signal: str | None = None           # the signal whose test gives the verdict; None:
                                        # `reference` with a reference model, else `loss`
    reference_model: str | None = None  # adds the `reference` signal
    alpha: float = 0.01
    resamples: int = 100_000            # sign patterns drawn when n > 16 (else exact)
    seed: int = 0
    chunk_size: int = 64
    bootstrap: int = 1000
    progress: bool = True
    report: bool = True


def build_pairs(directory: Path, key: dict[str, Any]) -> list[dict[str, Any]]:
    """Published and control version of every text that carries at least one change.
    SECRET: the controls must stay in memory (see the module docstring)."""
    data_path = key_data_path(directory, key)
    if not data_path.exists():
        raise InputError(f"{data_path}: the watermarked data named in the key is missing.")
    samples = {s.id: s for s in load_samples(DataConfig(
        path=str(data_path), text_column=key["text_column"], id_column=key.get("id_column")))}
    pairs = []
    for entry in key["texts"]:
        changes = [Change.from_json(c) for c in entry["changes"]]
        if not changes:
            continue
        if entry["id"] not in samples:
            raise InputError(f"{data_path}: text id {entry['id']!r} from the key is missing.")
        published = samples[entry["id"]].text
        try:
            control = swap_version(published, changes, "watermark", "control")
        except InputError as exc:
            raise InputError(f"{data_path} id {entry['id']!r}: {exc}. Was the data edited after "
                             "embedding?") from None
        pairs.append({"id": WATERMARK_PREFIX + entry["id"], "text": published, "label": 1})
        pairs.append({"id": CONTROL_PREFIX + entry["id"], "text": control, "label": 0})
    if not pairs:
        raise InputError(f"{directory}: the key records no substitution, so there is nothing to "
                         "verify (texts too short, or no replaceable words).")
    return pairs


def published_file_text(pairs: list[dict[str, Any]], key_sha256: str) -> str:
    """RUN/published.jsonl: the published half of `pairs` only."""
    return "".join(json.dumps({**p, "key_sha256": key_sha256}, ensure_ascii=False) + "\n"
                   for p in pairs if p["id"].startswith(WATERMARK_PREFIX))


def paired_differences(rows, columns: list[str]):
    """One row per text: each signal on both versions and watermarked - control."""
    import pandas as pd

    rows = rows.set_index("id")
    ids = sorted(i[len(WATERMARK_PREFIX):] for i in rows.index if i.startswith(WATERMARK_PREFIX))
    table = {"id": ids}
    for column in columns:
        published = rows.loc[[WATERMARK_PREFIX + i for i in ids], column].to_numpy(dtype=float)
        control = rows.loc[[CONTROL_PREFIX + i for i in ids], column].to_numpy(dtype=float)
        table[f"{column}_watermarked"] = published
        table[f"{column}_control"] = control
        table[f"{column}_difference"] = published - control
    return pd.DataFrame(table)


def run_verify(spec: VerifySpec, *, model=None) -> dict[str, Any]:
    directory = Path(spec.watermark_dir)
    key = read_key(directory)
    signals = tuple(spec.signals) + (("reference",) if spec.reference_model else ())
    signal = spec.signal or ("reference" if spec.reference_model else "loss")
    if signal not in signals:
        raise InputError(f"--signal {signal!r} is not among the scored signals "
                         f"({', '.join(signals)}). Pick one of them, or add it to --signals.")
    if not 0 < spec.alpha < 1:
        raise InputError(f"--alpha {spec.alpha}: must be between 0 and 1")
    out = Path(spec.out)
    pairs = build_pairs(directory, key)    # reads only: a bad key leaves no folder behind
    claim_folder(out)                      # refuses a user's own folder before writing
    published_path = out / "published.jsonl"
    key_sha256 = hashlib.sha256((directory / KEY_FILE).read_bytes()).hexdigest()
    text = published_file_text(pairs, key_sha256)
    if not published_path.is_file() or published_path.read_text(encoding="utf-8") != text:
        atomic_write_text(published_path, text)
    # save_tokens stays False: token ids (and token text) of a control would spell it out
    result = run_score(ScoreSpec(
        data=DataConfig(path=str(published_path)), out=str(out), model=spec.model, signals=signals,
        reference_model=spec.reference_model, chunk_size=spec.chunk_size, save_tokens=False,
        bootstrap=spec.bootstrap, seed=spec.seed, progress=spec.progress, report=False),
        model=model, samples=[Sample(p["id"], p["text"], p["label"]) for p in pairs])
    table = paired_differences(read_rows(out), result.signals)
    with atomic_output(out / "differences.csv") as tmp:
        table.to_csv(tmp, index=False)
    tests = {c: paired_test(table[f"{c}_difference"], resamples=spec.resamples, seed=spec.seed)
             for c in result.signals}
    primary = tests[signal]
    summary = {
        "verdict": verdict(primary["p_value"], spec.alpha, primary["n"], signal),
        "p_value": primary["p_value"],
        "auroc": primary["paired_auroc"],
        "auroc_pooled": result.summary[signal]["auroc"],
        "signal": signal, "alpha": spec.alpha, "n_texts": primary["n"],
        "n_substitutions": sum(len(t["changes"]) for t in key["texts"]),
        "test": "one-sided exact sign-flip test on paired differences (watermarked - control)",
        "min_possible_p_value": minimum_p_value(primary["n"], spec.resamples),
        "tests": tests,
        "note": ("auroc: P(watermarked version scores higher than its control), the AUROC of the "
                 "paired comparison; auroc_pooled: the usual AUROC over all scores. Only "
                 f"'{signal}' decides the verdict; the other tests are for information and "
                 "not corrected for multiple testing."),
        **result.summary,                   # per-signal membership summaries (report, tools)
    }
    atomic_write_json(out / SUMMARY_FILE, summary, default=json_default)
    if spec.report:
        from ..report import write_report

        write_report(out)
    return summary
