"""`mnemoscope watermark verify DIR --model M --out RUN`: was M trained on the watermarked data?

Every watermarked text is scored next to its control (the same text with the unpublished
synonyms from the key) by the ordinary membership audit (`membership.run_score`, so rows,
resume, summary and report are the same as `mnemoscope score`); then the paired
differences go through the sign-flip test of stats.py.

    RUN/pairs.jsonl        the texts scored: "w:<id>" (published, label 1), "c:<id>" (control, 0)
    RUN/parts/, spec.json  membership rows, as `mnemoscope score` writes them (resumable)
    RUN/differences.csv    per text: each signal on both versions and their difference
    RUN/summary.json       p_value, auroc (paired), verdict, the test per signal, and the
                           usual per-signal membership summary (AUROC of the pooled scores)
    RUN/report.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data import DataConfig, load_samples
from ..membership import ScoreSpec, run_score
from ..models import ModelConfig
from ..runs import claim_folder, read_rows, write_summary
from ..types import InputError
from .embed import KEY_FILE, KEY_FORMAT
from .leximark import Change, swap_version
from .stats import minimum_p_value, paired_test, verdict

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


def read_key(directory: Path) -> dict[str, Any]:
    path = directory / KEY_FILE
    if not path.is_file():
        raise InputError(f"{directory}: no {KEY_FILE}. Pass the --out folder of "
                         "`mnemoscope watermark embed` (it holds the key and the data).")
    key = json.loads(path.read_text(encoding="utf-8"))
    if key.get("format") != KEY_FORMAT:
        raise InputError(f"{path}: not a mnemoscope watermark key (format {key.get('format')!r}).")
    return key


def build_pairs(directory: Path, key: dict[str, Any]) -> list[dict[str, Any]]:
    """Published and control version of every text that carries at least one change."""
    data_path = directory / key["data_file"]
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
                         f"({', '.join(signals)}).")
    if not 0 < spec.alpha < 1:
        raise InputError(f"--alpha {spec.alpha}: must be between 0 and 1")
    out = Path(spec.out)
    claim_folder(out)                      # refuses a user's own folder before writing
    pairs_path = out / "pairs.jsonl"
    text = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in build_pairs(directory, key))
    if not pairs_path.is_file() or pairs_path.read_text(encoding="utf-8") != text:
        pairs_path.write_text(text, encoding="utf-8")
    result = run_score(ScoreSpec(
        data=DataConfig(path=str(pairs_path)), out=str(out), model=spec.model, signals=signals,
        reference_model=spec.reference_model, chunk_size=spec.chunk_size, save_tokens=False,
        bootstrap=spec.bootstrap, seed=spec.seed, progress=spec.progress, report=False),
        model=model)
    table = paired_differences(read_rows(out), result.signals)
    table.to_csv(out / "differences.csv", index=False)
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
    write_summary(out, summary)
    if spec.report:
        from ..report import write_report

        write_report(out)
    return summary
