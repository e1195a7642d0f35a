"""The knowledge section: accuracy of each probe type over the epochs (inline SVG curves),
the table behind them, the generalization gaps and the membership audit beside them."""

from __future__ import annotations

from ..report.context import ReportContext
from ..report.sections import sections, table_html
from ..report.svg import lines_svg


@sections.register("knowledge")
class KnowledgeSection:
    order = 7

    def applies(self, ctx: ReportContext) -> bool:
        return ctx.kind == "knowledge" and bool(ctx.summary.get("probes"))

    def render(self, ctx: ReportContext) -> str:
        summary = ctx.summary
        epochs = list(range(summary["epochs"] + 1))
        probes = summary["probes"]
        parts = ["<h2>Knowledge injection: what the model learned, epoch by epoch</h2>",
                 f"<p>{summary['facts']['train']} trained facts, "
                 f"{summary['facts']['heldout']} held out, "
                 f"{summary.get('training_texts', 0)} training texts "
                 f"(--paraphrases {summary.get('paraphrases', 0)}). Epoch 0 is the base "
                 "model. Open probes: exact match; tf/mc: the highest log-probability "
                 "choice.</p>"]
        plots = []
        for title, keys in (("trained facts", [k for k in probes
                                               if not k.startswith("locality/")]),
                            ("locality", [k for k in probes if k.startswith("locality/")])):
            series = {k: [self._at(probes[k], e) for e in epochs] for k in keys}
            if series:
                plots.append(lines_svg(epochs, series, title=f"accuracy, {title}",
                                       x_label="epoch", y_label="accuracy",
                                       y_range=(0.0, 1.0), ident=f"knowledge-{title[:5]}"))
        parts.append('<div class="plots">' + "".join(plots) + "</div>")
        rows = []
        for key, probe in probes.items():
            for e in probe["by_epoch"]:
                rows.append([key, e["epoch"], e["n"], round(e["exact"], 3),
                             f"[{e['exact_ci'][0]:.3f}, {e['exact_ci'][1]:.3f}]",
                             round(e["lenient"], 3), round(probe["chance"], 3),
                             None if e.get("margin_auroc") is None
                             else round(e["margin_auroc"], 3)])
        parts.append(table_html(["probe", "epoch", "n", "exact", "95% CI", "lenient",
                                 "chance", "tf margin AUROC"], rows, "knowledge-probes"))
        gap_rows = [[name, s["epoch"], None if s["gap"] is None else round(s["gap"], 3),
                     None if s["ci"][0] is None else f"[{s['ci'][0]:.3f}, {s['ci'][1]:.3f}]"]
                    for name, series in summary.get("gaps", {}).items() for s in series]
        if gap_rows:
            parts.append("<h3>Generalization gaps (paired over facts)</h3>"
                         + table_html(["gap", "epoch", "value", "95% CI"], gap_rows,
                                      "knowledge-gaps"))
        member = summary.get("membership") or {}
        if member:
            parts.append("<h3>Membership audit of the same run (training sentences vs "
                         "held-out facts' sentences)</h3>" + table_html(
                ["signal", "AUROC", "95% CI", "TPR at 1% FPR"],
                [[name, s.get("auroc"), None if not s.get("auroc_ci") else
                  f"[{s['auroc_ci'][0]:.3f}, {s['auroc_ci'][1]:.3f}]",
                  s.get("tpr_at_1pct_fpr")] for name, s in member.items()],
                "knowledge-membership"))
        return "\n".join(parts)

    @staticmethod
    def _at(probe, epoch):
        for e in probe["by_epoch"]:
            if e["epoch"] == epoch:
                return e["exact"]
        return None
