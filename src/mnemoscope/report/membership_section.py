"""The membership section: verdict table, ROC curves, score histograms, a per-sample table
(sortable, searchable, paginated by the page script) and a token heatmap."""

from __future__ import annotations

from html import escape

import numpy as np

from .context import ReportContext
from .sections import sections, table_html
from .svg import histogram_svg, roc_svg

MAX_TABLE_ROWS = 5000      # rows embedded for the table: bounded file size for 100k-row runs
MAX_TOKEN_ROWS = 200       # samples whose per-token scores are embedded for the heatmap
PREVIEW_CHARS = 300


def signal_columns(ctx: ReportContext) -> list[str]:
    return [c for c in ctx.summary if isinstance(ctx.summary[c], dict) and "mean" in ctx.summary[c]
            and c in ctx.rows.columns]


@sections.register("membership")
class MembershipSection:
    order = 10

    def applies(self, ctx: ReportContext) -> bool:
        return bool(signal_columns(ctx))

    def render(self, ctx: ReportContext) -> str:
        ctx = last_checkpoint(ctx)
        columns = signal_columns(ctx)
        labelled = any(ctx.summary[c].get("auroc") is not None for c in columns)
        parts = ["<h2>Membership signals</h2>"]
        best = None
        if labelled:
            best = max(columns, key=lambda c: ctx.summary[c].get("auroc") or -1)
            rows = []
            for c in columns:
                v = ctx.summary[c]
                low, high = v.get("auroc_ci") or (None, None)
                ci = f"[{low:.3f}, {high:.3f}]" if low is not None else "—"
                rows.append([c + ("  ★ best" if c == best else ""), v.get("auroc"), ci,
                             v.get("tpr_at_1pct_fpr"), v.get("tpr_at_0.1pct_fpr")])
            parts.append(table_html(["signal", "AUROC", "95% CI", "TPR@1%FPR", "TPR@0.1%FPR"],
                                    rows, "verdict-table"))
            n_non = ctx.summary[columns[0]].get("n_nonmembers") or 0
            if n_non and n_non < 1000:
                parts.append(f"<p class='note'>With {n_non} non-members the smallest non-zero FPR "
                             f"is {1 / n_non:.2%}: TPR at lower FPR means TPR with no false "
                             "positive.</p>")
            parts.append(self._roc(ctx, columns))
        else:
            reason = ctx.summary[columns[0]].get("reason", "")
            parts.append(f"<p class='note'>No AUROC: {escape(reason)}. Showing score "
                         "distributions and the most member-like samples.</p>")
            rows = [[c, ctx.summary[c].get("mean"), ctx.summary[c].get("std")] for c in columns]
            parts.append(table_html(["signal", "mean", "std"], rows, "verdict-table"))
        parts.append(self._histograms(ctx, columns, labelled))
        ctx.data_blocks["samples"] = self._samples(ctx, columns, best or columns[0])
        parts.append(SAMPLES_HTML)
        return "\n".join(parts)

    def _roc(self, ctx, columns) -> str:
        from sklearn.metrics import roc_curve

        labels = ctx.rows["label"].to_numpy()
        curves = {}
        for c in columns:
            scores = ctx.rows[c].to_numpy(dtype=float)
            ok = np.isfinite(scores)
            fpr, tpr, _ = roc_curve(labels[ok], scores[ok])
            curves[f"{c} ({ctx.summary[c]['auroc']:.3f})"] = (fpr, tpr)
        return f'<div class="plots">{roc_svg(curves)}</div>'

    def _histograms(self, ctx, columns, labelled) -> str:
        plots = []
        for i, c in enumerate(columns):
            scores = ctx.rows[c].to_numpy(dtype=float)
            if labelled:
                labels = ctx.rows["label"].to_numpy()
                groups = {"members": scores[labels == 1], "non-members": scores[labels == 0]}
            else:
                groups = {"all texts": scores}
            plots.append(histogram_svg(c, groups, ident=f"hist-{i}"))
        return '<h3>Score distributions</h3><div class="plots">' + "".join(plots) + "</div>"

    def _samples(self, ctx, columns, rank_by) -> dict:
        frame = ctx.rows.sort_values(rank_by, ascending=False, na_position="last")
        shown = frame.head(MAX_TABLE_ROWS)
        has_tokens = "token_logprobs" in frame.columns
        records = []
        for position, (_, row) in enumerate(shown.iterrows()):
            text = ctx.texts.get(str(row["id"]))
            if text is None and "token_text" in frame.columns and row.get("token_text") is not None:
                text = "".join(row["token_text"])
            record = {"id": str(row["id"]), "text": (text or "")[:PREVIEW_CHARS],
                      "label": None if "label" not in frame.columns else _int(row["label"]),
                      "scores": [_num(row[c]) for c in columns]}
            if has_tokens and position < MAX_TOKEN_ROWS and row.get("token_text") is not None:
                record["tokens"] = [str(t) for t in row["token_text"]]
                record["logprobs"] = [_num(v) for v in row["token_logprobs"]]
                if "token_z" in frame.columns and row.get("token_z") is not None:
                    record["z"] = [_num(v) for v in row["token_z"]]
            records.append(record)
        return {"columns": columns, "rank_by": rank_by, "total": int(len(frame)),
                "rows": records}


def last_checkpoint(ctx: ReportContext) -> ReportContext:
    """A checkpoint series holds one row per text and checkpoint; the per-text views show
    the checkpoint the summary's figures are for (the last), with the texts' own ids."""
    rows = ctx.rows
    if "checkpoint" not in getattr(rows, "columns", []) or "sample_id" not in rows.columns:
        return ctx
    from dataclasses import replace

    chosen = next((v.get("checkpoint") for v in ctx.summary.values()
                   if isinstance(v, dict) and v.get("checkpoint") is not None), None)
    picked = rows[rows["checkpoint"] == chosen].copy()
    picked["id"] = picked["sample_id"]
    return replace(ctx, rows=picked.reset_index(drop=True))   # data_blocks stays shared


def _num(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return round(value, 5) if np.isfinite(value) else None


def _int(value):
    try:
        return None if value != value else int(value)
    except (TypeError, ValueError):
        return None


SAMPLES_HTML = """
<h3>Samples</h3>
<p class="note" id="samples-note"></p>
<div class="controls"><input id="search" type="search" placeholder="search id or text">
<button id="prev">&larr; prev</button> <span id="page"></span> <button id="next">next &rarr;</button></div>
<table id="samples-table"><thead></thead><tbody></tbody></table>
<h3>Token heatmap</h3>
<p class="note">Click a sample row. Colour: <select id="heat-mode"><option value="logprobs">log p(token)</option>
<option value="z">Min-K%++ z-score</option></select> (red = unlikely, green = likely).</p>
<div id="heatmap" class="heatmap"></div>
"""
