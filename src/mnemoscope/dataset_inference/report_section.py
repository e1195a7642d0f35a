"""The dataset-inference section: the verdict and p-value, the distribution check, each
split's test, the false-positive check, and the features (their AUROC suspect vs validation
and the histograms of the three that separate the sets most). Reads only the run folder."""

from __future__ import annotations

from html import escape

import numpy as np

from ..report.context import ReportContext
from ..report.sections import sections, table_html
from ..report.svg import histogram_svg


@sections.register("dataset_inference")
class DatasetInferenceSection:
    order = 5                      # the verdict comes first

    def applies(self, ctx: ReportContext) -> bool:
        return ctx.kind == "dataset_inference" and "p_value" in ctx.summary

    def render(self, ctx: ReportContext) -> str:
        s = ctx.summary
        fp = s.get("false_positive_check") or {}
        parts = ["<h2>Dataset inference</h2>",
                 f"<p><b>{escape(str(s.get('verdict')))}</b>: p = {_p(s.get('p_value'))} "
                 f"(alpha {escape(str(s.get('alpha')))}); {s.get('n_suspect')} suspect and "
                 f"{s.get('n_validation')} validation texts, {len(s.get('features') or [])} "
                 f"features.</p>",
                 f"<p class='note'>{escape(str(s.get('test', '')))}. Held-out AUROC of the "
                 f"linear score (median over splits): {s.get('heldout_auroc', 0):.3f}.</p>"]
        check = s.get("split_check")
        if check:
            css = "warning" if check.get("warning") else "note"
            parts.append(f"<p class='{css}'><b>Distribution check:</b> "
                         f"{escape(str(check.get('message', '')))}</p>")
        if fp.get("rate") is not None:
            low, high = fp.get("rate_ci") or (None, None)
            parts.append(f"<h3>False-positive check</h3><p class='note'>The same test on two "
                         f"random halves of the validation set, {fp.get('repeats')} seeds: "
                         f"p &lt; {fp.get('alpha')} in {fp.get('rate', 0):.0%} of them "
                         f"(95% CI [{low or 0:.2f}, {high or 0:.2f}]); about alpha is "
                         "expected.</p>")
        rows = [[i, _p(p)] for i, p in enumerate(s.get("split_p_values") or [])]
        parts.append("<h3>Splits</h3>" + table_html(["split", "p-value"], rows, "di-splits"))
        aurocs = s.get("feature_auroc") or {}
        parts.append("<h3>Features</h3>" + table_html(
            ["feature", "AUROC suspect vs validation"],
            [[name, value] for name, value in sorted(aurocs.items(), key=lambda kv: -abs(
                (kv[1] or 0.5) - 0.5))], "di-features"))
        parts.append(self._histograms(ctx, aurocs))
        return "\n".join(parts)

    @staticmethod
    def _histograms(ctx: ReportContext, aurocs) -> str:
        rows = ctx.rows
        if "label" not in getattr(rows, "columns", []):
            return ""
        top = sorted(aurocs, key=lambda c: -abs((aurocs[c] or 0.5) - 0.5))[:3]
        labels = rows["label"].to_numpy()
        plots = [histogram_svg(c, {"suspect": rows[c].to_numpy(dtype=float)[labels == 1],
                                   "validation": rows[c].to_numpy(dtype=float)[labels == 0]},
                               ident=f"di-hist-{i}")
                 for i, c in enumerate(top) if c in rows.columns]
        return '<div class="plots">' + "".join(plots) + "</div>"


def _p(value) -> str:
    return "—" if value is None else f"{float(value):.3g}"
