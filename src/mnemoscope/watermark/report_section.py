"""The watermark verification section: the verdict, the paired test per signal, and the
distribution of per-text differences (published minus control). Reads only the run folder
written by `mnemoscope watermark verify`."""

from __future__ import annotations

from html import escape

from ..report.context import ReportContext
from ..report.sections import sections, table_html
from ..report.svg import histogram_svg


@sections.register("watermark")
class WatermarkSection:
    order = 5                      # before the membership section: the verdict comes first

    def applies(self, ctx: ReportContext) -> bool:
        return "verdict" in ctx.summary and "tests" in ctx.summary

    def render(self, ctx: ReportContext) -> str:
        s = ctx.summary
        parts = ["<h2>Watermark verification</h2>",
                 f"<p><b>{escape(str(s.get('verdict', '')))}</b></p>",
                 f"<p class='note'>{escape(str(s.get('test', '')))}; alpha = "
                 f"{escape(str(s.get('alpha')))}; {escape(str(s.get('n_texts')))} texts, "
                 f"{escape(str(s.get('n_substitutions')))} substitutions. "
                 f"{escape(str(s.get('note', '')))}</p>"]
        rows = []
        for name, test in s["tests"].items():
            mark = "  ★ verdict" if name == s.get("signal") else ""
            rows.append([name + mark, _p(test.get("p_value")), _p(test.get("t_test_p_value")),
                         test.get("paired_auroc"), test.get("mean_difference"), test.get("n")])
        parts.append(table_html(["signal", "sign-flip p", "t-test p", "paired AUROC",
                                 "mean difference", "texts"], rows, "watermark-table"))
        parts.append(self._differences(ctx))
        return "\n".join(parts)

    def _differences(self, ctx: ReportContext) -> str:
        signal = str(ctx.summary.get("signal", ""))
        if signal not in getattr(ctx.rows, "columns", []):
            return ""
        frame = ctx.rows.set_index("id")
        ids = [i[2:] for i in frame.index if str(i).startswith("w:")]
        published = frame.loc[["w:" + i for i in ids], signal].to_numpy(dtype=float)
        control = frame.loc[["c:" + i for i in ids], signal].to_numpy(dtype=float)
        plot = histogram_svg(f"{signal} difference", {"watermarked - control": published - control},
                             ident="watermark-differences")
        return ("<h3>Per-text differences</h3><p class='note'>Under 'never trained on it' these "
                "are symmetric about 0; training on the published text moves them right.</p>"
                f'<div class="plots">{plot}</div>')


def _p(value) -> str | None:
    """p-values keep their magnitude (1e-05, not 0.000)."""
    return None if value is None else f"{float(value):.3g}"
