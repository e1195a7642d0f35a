"""A report section written outside mnemoscope, in one file (docs/extending.md): a line
under the membership table naming the text the toy signal finds easiest."""

from __future__ import annotations

from html import escape

from mnemoscope.report.context import ReportContext
from mnemoscope.report.sections import sections


@sections.register("toy")
class ToySection:
    order = 90

    def applies(self, ctx: ReportContext) -> bool:
        return "toy" in ctx.summary and "toy" in ctx.rows.columns

    def render(self, ctx: ReportContext) -> str:
        best = ctx.rows.sort_values("toy", ascending=False).iloc[0]
        return (f'<section id="toy"><h2>Toy</h2><p>easiest token in text '
                f'{escape(str(best["id"]))} (log p {float(best["toy"]):.3f})</p></section>')
