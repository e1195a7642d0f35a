"""The dynamics section: memorization against the training step, for a `dynamics` run (the
Trainer callback, the lab) and for a `score` run over a checkpoint series. Curves are
inline SVG; each metric's first crossing of its threshold is stated as "first memorized
at step ...". Thresholds come from the run's summary, or from `mnemoscope report DIR
--threshold auroc=0.8` (ctx.options)."""

from __future__ import annotations

from html import escape
from typing import Any

from ..report.context import ReportContext
from ..report.sections import sections, table_html
from ..report.svg import lines_svg
from .summary import first_crossing

DEFAULT_THRESHOLDS = {"auroc": 0.9, "exposure": 5.0, "extraction": 0.1}
WHAT = {"auroc": "AUROC", "exposure": "canary exposure (bits)",
        "extraction": "members extracted verbatim (share)"}


def thresholds(ctx: ReportContext) -> dict[str, float]:
    chosen = dict(DEFAULT_THRESHOLDS)
    chosen.update(ctx.summary.get("thresholds") or {})
    chosen.update(getattr(ctx, "options", {}).get("thresholds") or {})
    return chosen


def series_from_score(summary: dict[str, Any]) -> tuple[list[int], dict[str, list]] | None:
    """(steps, {"auroc/<signal>": values}) from a checkpoint-series score summary."""
    per_signal = {k: v["by_checkpoint"] for k, v in summary.items()
                  if isinstance(v, dict) and isinstance(v.get("by_checkpoint"), list)}
    if not per_signal:
        return None
    first = next(iter(per_signal.values()))
    steps = [int(c["step"]) if c.get("step") is not None else i for i, c in enumerate(first)]
    return steps, {f"auroc/{name}": [c.get("auroc") for c in entries]
                   for name, entries in per_signal.items()}


@sections.register("dynamics")
class DynamicsSection:
    order = 8                     # after a verdict, before the per-text sections

    def applies(self, ctx: ReportContext) -> bool:
        if ctx.kind == "dynamics":
            return bool(ctx.summary.get("steps"))
        return series_from_score(ctx.summary) is not None

    def render(self, ctx: ReportContext) -> str:
        limits = thresholds(ctx)
        if ctx.kind == "dynamics":
            steps, curves = ctx.summary["steps"], ctx.summary["curves"]
        else:
            steps, curves = series_from_score(ctx.summary)   # type: ignore[misc]
        parts = ["<h2>Memorization over training</h2>", self._crossings(steps, curves, limits)]
        parts.append('<div class="plots">' + "".join(self._plots(steps, curves, limits))
                     + "</div>")
        if ctx.kind == "dynamics":
            parts.append(self._indicators(ctx.summary))
        parts.append(self._table(steps, curves))
        return "\n".join(parts)

    def _crossings(self, steps, curves, limits) -> str:
        rows, sentences = [], []
        for name, values in curves.items():
            kind = name.split("/")[0]
            if kind not in limits or name.endswith("held_out"):
                continue
            step = first_crossing(steps, values, limits[kind])
            rows.append([name, limits[kind], "never" if step is None else step])
            if step is not None:
                sentences.append(f"{escape(name)} &ge; {limits[kind]:g}: first at step "
                                 f"<b>{step}</b>")
        lead = ("<p>First memorized: " + "; ".join(sentences) + ".</p>") if sentences else \
            "<p>No curve reached its threshold.</p>"
        return lead + table_html(["curve", "threshold", "first step at or above"], rows,
                                 "dynamics-crossings")

    def _plots(self, steps, curves, limits) -> list[str]:
        def pick(prefix: str) -> dict[str, list]:
            return {n.split("/", 1)[1] if "/" in n else n: v for n, v in curves.items()
                    if n == prefix or n.startswith(prefix + "/")}

        plots = []
        auroc = pick("auroc")
        if auroc:
            plots.append(lines_svg(steps, auroc, title="AUROC", x_label="step",
                                   y_label="AUROC (members vs held out)", y_range=(0.0, 1.0),
                                   hline=limits["auroc"], hline_label=f"{limits['auroc']:g}",
                                   ident="dynamics-auroc"))
        losses = {k: v for k, v in pick("loss").items()}
        if losses:
            plots.append(lines_svg(steps, losses, title="loss", x_label="step",
                                   y_label="mean loss (nats/token)", ident="dynamics-loss"))
        exposure = pick("exposure")
        if exposure:
            plots.append(lines_svg(steps, exposure, title="canary exposure", x_label="step",
                                   y_label="exposure (bits)", hline=limits["exposure"],
                                   hline_label=f"{limits['exposure']:g} bits",
                                   ident="dynamics-exposure"))
        extraction = pick("extraction")
        if extraction:
            plots.append(lines_svg(steps, extraction, title="extraction", x_label="step",
                                   y_label="share extracted verbatim (greedy)",
                                   y_range=(0.0, 1.0), hline=limits["extraction"],
                                   ident="dynamics-extraction"))
        indicator = {n: v for n, v in curves.items()
                     if n.startswith(("pathway_", "loss_gap"))}
        if indicator:
            plots.append(lines_svg(steps, indicator, title="indicators", x_label="step",
                                   y_label="value", ident="dynamics-indicators"))
        return plots

    def _indicators(self, summary) -> str:
        info = summary.get("indicators") or {}
        held = info.get("held_out_loss") or {}
        rows = []
        for name in ("loss_gap", "pathway_similarity", "pathway_consistency"):
            entry = info.get(name)
            if entry:
                rows.append([name, entry.get("trend_per_100_steps"), entry.get("first_move_step"),
                             entry.get("min_at_step"), entry.get("max_at_step"),
                             entry.get("moved_before_held_out_turn")])
        overhead = summary.get("overhead") or {}
        note = (f"<p class='note'>Held-out loss: lowest at step {held.get('lowest_at_step')}, "
                f"risen beyond noise from step {held.get('turn_step')} (None: never). "
                "A first move is a change from the first check by more than 3 paired "
                "standard errors (the same texts at every check). Pathway indicators use "
                "training texts only (docs/dynamics.md).</p>")
        if overhead:
            note += (f"<p class='note'>{overhead.get('checks')} checks took "
                     f"{overhead.get('check_seconds')} s, "
                     f"{100 * (overhead.get('share_of_training') or 0):.1f}% of the training "
                     "time.</p>")
        return ("<h3>Generalization indicators</h3>" + table_html(
            ["indicator", "trend per 100 steps", "first move at", "lowest at", "highest at",
             "moved before held-out loss turned"], rows, "dynamics-indicators-table") + note)

    def _table(self, steps, curves) -> str:
        names = [n for n in curves if not n.startswith(("auroc_low", "auroc_high"))]
        rows = [[step] + [curves[n][i] for n in names] for i, step in enumerate(steps)]
        return ("<details><summary>Every value per step</summary>"
                + table_html(["step"] + names, rows, "dynamics-table") + "</details>")
