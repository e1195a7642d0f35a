"""The HTML report: one self-contained file (no network, no CDN) that is a pure view of a
run folder. Plots are inline SVG computed in Python; a small inline script sorts, searches
and pages the sample table and draws the token heatmap. Every dataset or model string is
escaped (server side) or inserted with textContent (client side)."""

from __future__ import annotations

import json
import time
from html import escape
from pathlib import Path

from ..types import InputError
from . import membership_section  # noqa: F401  (registers the membership section)
from .context import ReportContext, safe_json
from .page import CSS, SCRIPT
from .sections import discover_sections, sections

__all__ = ["build_report", "sections", "write_report"]


def _load_texts(spec: dict, ids: set[str]) -> dict[str, str]:
    """Texts are not stored in the rows; read them back from the dataset when it is there."""
    data = spec.get("identity", {}).get("data") or {}
    path = data.get("path")
    if not path or not Path(path).exists():
        return {}
    from ..data import DataConfig, load_samples

    try:
        samples = load_samples(DataConfig(path=path, text_column=data.get("text_column") or "text",
                                          label_column=data.get("label_column"),
                                          id_column=data.get("id_column"), limit=data.get("limit")))
    except Exception:           # the report must render even if the data moved or changed
        return {}
    return {s.id: s.text for s in samples if s.id in ids}


def build_report(run_dir: str | Path, options: dict | None = None) -> str:
    from ..runs import read_json, read_rows

    run_dir = Path(run_dir)
    if not (run_dir / "spec.json").is_file():
        raise InputError(f"{run_dir}: not a run folder (no spec.json). Pass the --out folder of a run.")
    spec = read_json(run_dir / "spec.json", "run spec (spec.json)")
    summary_path = run_dir / "summary.json"
    summary = read_json(summary_path, "summary (summary.json)") if summary_path.is_file() else {}
    rows = read_rows(run_dir)
    ctx = ReportContext(run_dir, spec, summary, rows, options=dict(options or {}))
    if len(rows) and "id" in rows.columns:
        # a checkpoint series has one row per text and checkpoint; its texts' ids are sample_id
        key = "sample_id" if "sample_id" in rows.columns else "id"
        ctx.texts = _load_texts(spec, set(rows[key].dropna().astype(str).head(5000)))
    rendered = []
    discover_sections()
    for name in sections.names():
        section = sections.get(name)()
        if section.applies(ctx):
            rendered.append((section.order, section.render(ctx)))
    body = "\n".join(html for _, html in sorted(rendered, key=lambda item: item[0]))
    identity = spec.get("identity", {})
    model = (identity.get("model") or {}).get("name", "?")
    data = (identity.get("data") or {}).get("path", "?")
    spec_text = escape(json.dumps(spec, indent=2, default=str))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>mnemoscope report: {escape(str(model))}</title><style>{CSS}</style></head>
<body>
<h1>mnemoscope report</h1>
<p><b>kind</b> {escape(str(identity.get('kind', '?')))} &middot; <b>model</b> {escape(str(model))}
&middot; <b>data</b> {escape(str(data))} &middot; <b>created</b> {escape(str(spec.get('created', '?')))}
&middot; <b>rendered</b> {escape(time.strftime('%Y-%m-%d %H:%M'))} &middot; <b>rows</b> {len(rows)}</p>
<details><summary>Spec (everything needed to reproduce this run)</summary><pre>{spec_text}</pre></details>
{body}
<script type="application/json" id="report-data">{safe_json(ctx.data_blocks)}</script>
<script>{SCRIPT}</script>
</body></html>
"""


def write_report(run_dir: str | Path, options: dict | None = None) -> Path:
    from ..fileio import atomic_write_text

    return atomic_write_text(Path(run_dir) / "report.html", build_report(run_dir, options))
