"""Report sections of the contamination audits: CDD (peakedness histogram, flagged items),
partial-prompt completion (ROUGE-L and exact match by ratio) and the knowledge cutoff
(accuracy per period with the cutoff marked). Every data string goes through table_html
or svg, which escape it."""

from __future__ import annotations

from html import escape

from ..report.context import ReportContext
from ..report.sections import sections, table_html
from ..report.svg import histogram_svg, series_svg

MAX_ITEMS = 50             # rows of the per-item tables
PREVIEW_CHARS = 160


def _preview(text) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"


GROUP_NAMES = {"member": "members", "non_member": "non-members"}


def _groups(summary: dict, key: str = "by_label", whole: dict | None = None) -> list[tuple[str, dict]]:
    """("all", whole) then one entry per label group of summary[key]."""
    return [("all", summary if whole is None else whole)] + \
        [(GROUP_NAMES.get(k, k), v) for k, v in (summary.get(key) or {}).items()]


@sections.register("cdd")
class CDDSection:
    order = 20

    def applies(self, ctx: ReportContext) -> bool:
        return ctx.kind == "cdd" and "peakedness" in getattr(ctx.rows, "columns", [])

    def render(self, ctx: ReportContext) -> str:
        s, rows = ctx.summary, ctx.rows
        config = s.get("config", {})
        parts = ["<h2>Contamination: CDD (output-distribution peakedness)</h2>",
                 f"<p class='note'>Per item, {escape(str(config.get('samples')))} samples at "
                 f"T = {escape(str(config.get('temperature')))} are compared with the greedy "
                 "output (token Levenshtein distance over the first "
                 f"{escape(str(config.get('compare_tokens')))} tokens). Peakedness = share of "
                 f"samples within α·ℓ (α = {escape(str(config.get('alpha')))}, ℓ = the longest "
                 f"output); flagged when peakedness &gt; ξ = {escape(str(config.get('xi')))}.</p>"]
        table = []
        for name, g in _groups(s):
            ci = g.get("flagged_rate_ci")
            table.append([name, g.get("n_items"), g.get("flagged_rate"),
                          f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else None, g.get("mean_peakedness")])
        parts.append(table_html(["group", "items", "flagged rate", "95% CI", "mean peakedness"],
                                table, "cdd-table"))
        if s.get("ted"):
            ted_rows = _groups(s, "ted_by_label", s["ted"])
            parts.append("<h3>TED accuracy</h3><p class='note'>Original = mean correctness of "
                         "all samples; TED = of the samples left after dropping those within "
                         f"τ = {escape(str(s['ted'].get('tau')))} tokens of greedy and duplicates "
                         "(an item with none left scores 0).</p>")
            parts.append(table_html(
                ["group", "original", "greedy", "TED (corrected)", "samples removed"],
                [[n, v["original_accuracy"], v["greedy_accuracy"], v["corrected_accuracy"],
                  v["samples_removed_share"]] for n, v in ted_rows], "ted-table"))
        peaks = rows["peakedness"].to_numpy(dtype=float)
        if "label" in rows.columns:
            labels = rows["label"].to_numpy()
            groups = {"members": peaks[labels == 1], "non-members": peaks[labels == 0]}
        else:
            groups = {"all items": peaks}
        parts.append('<div class="plots">' + histogram_svg("peakedness", groups, bins=20,
                                                           ident="cdd-hist") + "</div>")
        parts.append(self._items(ctx))
        return "\n".join(parts)

    def _items(self, ctx: ReportContext) -> str:
        rows = ctx.rows.sort_values(["flagged", "peakedness"], ascending=False).head(MAX_ITEMS)
        flagged = int(ctx.rows["flagged"].sum())
        table = [[r["id"], r.get("label"), float(r["peakedness"]), bool(r["flagged"]),
                  _preview(ctx.texts.get(str(r["id"]))), _preview(r.get("greedy_text"))]
                 for _, r in rows.iterrows()]
        return (f"<h3>Items, most peaked first ({flagged} flagged)</h3>" +
                table_html(["id", "label", "peakedness", "flagged", "prompt", "greedy output"],
                           table, "cdd-items"))


@sections.register("completion")
class CompletionSection:
    order = 20

    def applies(self, ctx: ReportContext) -> bool:
        return ctx.kind == "completion" and "rouge_l" in getattr(ctx.rows, "columns", [])

    def render(self, ctx: ReportContext) -> str:
        s = ctx.summary
        keys = list(s.get("rouge_l", {}))
        parts = ["<h2>Contamination: partial-prompt completion</h2>",
                 "<p class='note'>Each item is cut after a share of its characters (at a word "
                 "boundary) and continued greedily; the prediction is compared with the true "
                 "remainder cut to the same number of words. ROUGE-L is stemmed; exact match = "
                 "ROUGE-L of 1.</p>"]
        table, series = [], {}
        for name, g in _groups(s):
            for key in keys:
                table.append([name, key, g["evaluable"][key], g["rouge_l"][key],
                              g["exact_match"][key]])
            series[f"ROUGE-L ({name})"] = [g["rouge_l"][k] for k in keys]
            series[f"exact match ({name})"] = [g["exact_match"][k] for k in keys]
        parts.append(table_html(["group", "prefix ratio", "items", "ROUGE-L", "exact match"],
                                table, "completion-table"))
        parts.append('<div class="plots">' + series_svg(
            keys, series, title="ROUGE-L by prefix ratio", x_label="prefix ratio",
            y_label="mean over items", ident="completion-plot") + "</div>")
        best = ctx.rows[ctx.rows["evaluable"]].sort_values("rouge_l", ascending=False)
        items = [[r["item_id"], r.get("label"), r["ratio"], float(r["rouge_l"]),
                  bool(r["exact_match"]), _preview(r["prefix"][-PREVIEW_CHARS:]),
                  _preview(r["target"]), _preview(r["prediction"])]
                 for _, r in best.head(MAX_ITEMS).iterrows()]
        parts.append("<h3>Closest completions</h3>" + table_html(
            ["item", "label", "ratio", "ROUGE-L", "exact", "prefix (end)", "target",
             "prediction"], items, "completion-items"))
        return "\n".join(parts)


@sections.register("cutoff")
class CutoffSection:
    order = 20

    def applies(self, ctx: ReportContext) -> bool:
        return ctx.kind == "cutoff" and bool(ctx.summary.get("periods"))

    def render(self, ctx: ReportContext) -> str:
        s = ctx.summary
        periods = s["periods"]
        labels = [p["period"] for p in periods]
        marker, marker_label = None, ""
        if s.get("cutoff_period") in labels:
            marker = labels.index(s["cutoff_period"]) + 0.5
            marker_label = f"cutoff {s['cutoff']} ({s['cutoff_source']})"
        parts = ["<h2>Contamination: accuracy around a knowledge cutoff</h2>"]
        if s.get("gap") is not None:
            low, high = s["gap_ci"]
            parts.append(table_html(
                ["cutoff", "source", "accuracy before", "accuracy after", "gap (pp)",
                 "95% CI (bootstrap)"],
                [[s["cutoff"], s["cutoff_source"], s["accuracy_before"], s["accuracy_after"],
                  f"{s['gap']:+.1f}", f"[{low:+.1f}, {high:+.1f}]"]], "cutoff-table"))
        else:
            parts.append(f"<p class='note'>No gap: {escape(str(s.get('reason', '')))}</p>")
        point = s.get("change_point")
        if point:
            parts.append(f"<p class='note'>Estimated change point ({escape(s.get('estimator', ''))}"
                         f"): after {escape(point['last_period_before'])}, log-likelihood ratio "
                         f"{point['log_likelihood_ratio']:.2f}.</p>")
        accuracy = [p["accuracy"] for p in periods]
        parts.append('<div class="plots">' + series_svg(
            labels, {"accuracy": accuracy}, title="accuracy per period", x_label=s.get("period", ""),
            y_label="accuracy", marker=marker, marker_label=marker_label,
            ident="cutoff-plot") + "</div>")
        parts.append(table_html(["period", "items", "correct", "accuracy"],
                                [[p["period"], p["n"], p["correct"], p["accuracy"]]
                                 for p in periods], "cutoff-periods"))
        return "\n".join(parts)
