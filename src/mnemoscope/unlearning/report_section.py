"""The unlearning section: before vs after on every headline figure, the training run,
and the forget texts' greedy continuations before and after. Reads only the run folder
written by `mnemoscope unlearn`; every dataset or model string is escaped."""

from __future__ import annotations

from html import escape

from ..report.context import ReportContext
from ..report.sections import sections, table_html

MAX_EXAMPLES = 20
PREVIEW_CHARS = 200


@sections.register("unlearning")
class UnlearningSection:
    order = 5                      # the verdict of the run comes first

    def applies(self, ctx: ReportContext) -> bool:
        return ctx.kind == "unlearn" and "headline" in ctx.summary

    def render(self, ctx: ReportContext) -> str:
        s = ctx.summary
        init = f", {s['lora_init']} initialisation" if s.get("lora_init") else ""
        parts = ["<h2>Unlearning</h2>",
                 f"<p><b>{escape(str(s['method']).upper())}</b> ({escape(str(s['adapter']))}"
                 f"{escape(init)}), learning rate {escape(str(s['learning_rate']))}, "
                 f"{escape(str(s['steps']))} steps, stopped: {escape(str(s['stopped']))}. "
                 f"Retain perplexity change: <b>{s['retain_perplexity_change_pct']:+.2f}%</b>.</p>",
                 "<p class='note'>Success: the forget set's extraction rates fall to the held-out "
                 "level, the MIA AUROC of forget vs held-out texts falls to about 0.5, retain "
                 "perplexity barely moves, and generations stay fluent (perplexity under the "
                 "original model stays low, distinct-n stays high).</p>"]
        rows = [[r["metric"], r["before"], r["after"], _delta(r["before"], r["after"])]
                for r in s["headline"]]
        parts.append(table_html(["metric", "before", "after", "change"], rows, "unlearning-table"))
        parts.append(self._examples(ctx))
        return "\n".join(parts)

    def _examples(self, ctx: ReportContext) -> str:
        rows = getattr(ctx, "rows", None)
        if rows is None or "generated_after" not in getattr(rows, "columns", []):
            return ""
        forget = rows[rows["set"] == "forget"].head(MAX_EXAMPLES)
        table = [[r.id, _yes(r.exact_match_before), _yes(r.exact_match_after),
                  _clip(r.generated_before), _clip(r.generated_after)]
                 for r in forget.itertuples()]
        return ("<h3>Forget texts: greedy continuation of the true prefix</h3>" +
                table_html(["id", "extracted before", "extracted after", "continuation before",
                            "continuation after"], table, "unlearning-examples"))


def _delta(before, after):
    if isinstance(before, (int, float)) and isinstance(after, (int, float)):
        return f"{after - before:+.3f}"
    return None


def _yes(value) -> str:
    return "—" if value is None else ("yes" if bool(value) else "no")


def _clip(text) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"
