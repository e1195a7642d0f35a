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
        if s.get("judged"):
            parts.append(_judged(s))
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


def _judged(s) -> str:
    """The table against the retrained model, and the trajectory of the checks."""
    judged = s["judged"]
    names = [k for k in judged["table"][0] if k != "metric"] if judged["table"] else []
    parts = ["<h3>Judged against a model retrained without the forget set</h3>",
             "<p class='note'>Reference: " + escape(str(judged["reference"])) + ". PrivLeak "
             "(MUSE) = (AUC - AUC of the retrained model) / AUC of the retrained model x 100, "
             "AUC = P(a held-out text scores as more familiar than a forget text): 0 is as "
             "private as retraining, strongly negative means the forget set still looks "
             "familiar, positive means it looks less familiar than never-seen text "
             "(over-unlearning). Forget quality (TOFU) = KS-test p-value against the retrained "
             "model's per-text " + escape(str(judged["forget_quality_statistic"]).replace(
                 "_", " ")) + " on the forget set: 1 = indistinguishable, near 0 = "
             "distinguishable. VerbMem and KnowMem are ROUGE-L F1.</p>",
             table_html(["metric", *names], [[r["metric"], *[r[n] for n in names]]
                                             for r in judged["table"]], "unlearning-judged")]
    trajectory = s.get("trajectory") or []
    if trajectory:
        from ..report.svg import lines_svg

        steps = [float(p["step"]) for p in trajectory]
        leaks = {k[len("privleak_"):]: [p.get(k) for p in trajectory]
                 for k in trajectory[0] if k.startswith("privleak_")}
        parts.append(lines_svg(steps, {f"PrivLeak % ({k})": v for k, v in leaks.items()},
                               title="PrivLeak at each check", x_label="step",
                               y_label="PrivLeak %", hline=0.0, hline_label="retrained",
                               ident="unlearning-privleak"))
        rates = {name: [p.get(key) for p in trajectory]
                 for name, key in (("forget extraction rate", "forget_rate"),
                                   ("VerbMem", "verbmem"),
                                   ("forget quality (loss)", "forget_quality_loss"))}
        parts.append(lines_svg(steps, rates, title="Extraction, VerbMem and forget quality "
                               "at each check", x_label="step", y_label="value",
                               y_range=(0.0, 1.0), ident="unlearning-checks"))
    return "\n".join(parts)
