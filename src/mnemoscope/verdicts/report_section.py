"""The report's verdict checks: ROC curves of the text-only baseline, text + signals and the
combined signal beside the best single signal, and reliability diagrams of the combined
probabilities (cross-fitted on this run, a lab's, or applied with --calibration). Reads
summary.json and <run>/verdicts/*.parquet; computes nothing but the curves' points."""

from __future__ import annotations

from html import escape

import numpy as np

from ..report.context import ReportContext
from ..report.sections import sections
from ..report.svg import histogram_svg, reliability_svg, roc_svg
from .summary import CALIBRATED_FILE, OUT_OF_FOLD_FILE, VERDICTS_DIR


@sections.register("verdicts")
class VerdictsSection:
    order = 11                       # right after the membership table it qualifies

    def applies(self, ctx: ReportContext) -> bool:
        return isinstance(ctx.summary.get("combined"), dict) \
            or isinstance(ctx.summary.get("calibrated"), dict)

    def render(self, ctx: ReportContext) -> str:
        parts = ["<h2>Verdict checks</h2>"]
        combined = ctx.summary.get("combined")
        if isinstance(combined, dict) and combined.get("auroc") is not None:
            parts.append(self._explain(combined))
            plots = [self._roc(ctx)]
            if combined.get("reliability"):
                plots.append(reliability_svg(
                    {"combined, out-of-fold": combined["reliability"]["bins"]},
                    ident="reliability-combined"))
            parts.append('<div class="plots">' + "".join(p for p in plots if p) + "</div>")
        calibrated = ctx.summary.get("calibrated")
        if isinstance(calibrated, dict):
            parts.append(self._calibrated(ctx, calibrated))
        return "\n".join(parts)

    @staticmethod
    def _explain(combined) -> str:
        best = combined.get("best_single_signal")
        low = (combined.get("auroc_ci") or [None])[0]
        verdict = ("its CI lower bound exceeds" if combined.get("named_best")
                   else "its CI lower bound does not exceed")
        return (f"<p class='note'>combined: logistic regression over every signal column, "
                f"standardized, {combined.get('folds')}-fold cross-fitted "
                f"({combined.get('repeats')} seeded repeat(s)); AUROC "
                f"{combined['auroc']:.3f}, {verdict} the best single signal's AUROC "
                f"({escape(str(best))}, {combined.get('best_single_auroc') or 0:.3f} vs lower "
                f"bound {low or 0:.3f}). blind_baseline: the same cross-fitting on text "
                "features alone (TF-IDF word 1-2-grams + simple features), never the "
                "model.</p>")

    @staticmethod
    def _roc(ctx: ReportContext) -> str:
        import pandas as pd
        from sklearn.metrics import roc_curve

        path = ctx.run_dir / VERDICTS_DIR / OUT_OF_FOLD_FILE
        if not path.is_file():
            return ""
        frame = pd.read_parquet(path)
        curves = {}
        best = (ctx.summary.get("combined") or {}).get("best_single_signal")
        if best in getattr(ctx.rows, "columns", []) and "label" in ctx.rows.columns:
            joined = frame[["id"]].merge(ctx.rows[["id", best]].astype({"id": str}), on="id")
            fpr, tpr, _ = roc_curve(frame["label"], joined[best].to_numpy(dtype=float))
            curves[f"{best} ({ctx.summary[best]['auroc']:.3f})"] = (fpr, tpr)
        for column in ("combined", "text_and_signals", "blind_baseline"):
            if column in frame.columns:
                fpr, tpr, _ = roc_curve(frame["label"], frame[column])
                value = (ctx.summary.get(column) or {}).get("auroc")
                if value is None:
                    value = (ctx.summary.get("split_check") or {}).get("text_and_signals_auroc")
                curves[f"{column} ({value:.3f})"] = (fpr, tpr)
        return roc_svg(curves, ident="roc-verdicts")

    @staticmethod
    def _calibrated(ctx: ReportContext, calibrated) -> str:
        import pandas as pd

        parts = [f"<h3>Calibrated membership probability</h3><p class='note'>The combined "
                 f"weights of lab {escape(str(calibrated.get('lab')))} applied to every text "
                 f"(signals {escape(', '.join(calibrated.get('signals') or []))}). "
                 f"Mean {calibrated.get('mean') or 0:.3f}; "
                 f"{calibrated.get('n_above_half')} of {calibrated.get('n')} texts above 0.5; "
                 f"expected members {calibrated.get('expected_members') or 0:.1f}. The "
                 f"probabilities assume the lab's member share "
                 f"({calibrated.get('member_rate_assumed')})"
                 + ("" if calibrated.get("same_model") else
                    " and were fitted on another model than this run's") + ".</p>"]
        plots = []
        path = ctx.run_dir / VERDICTS_DIR / CALIBRATED_FILE
        if path.is_file():
            values = pd.read_parquet(path)["membership_probability"].to_numpy(dtype=float)
            plots.append(histogram_svg("membership probability",
                                       {"all texts": values[np.isfinite(values)]},
                                       ident="hist-calibrated"))
        curves = {}
        lab = (calibrated.get("lab_out_of_fold") or {}).get("reliability")
        if lab:
            curves["lab, out-of-fold"] = lab["bins"]
        if calibrated.get("reliability"):
            curves["this run (labelled)"] = calibrated["reliability"]["bins"]
        if curves:
            plots.append(reliability_svg(curves, ident="reliability-calibrated"))
        parts.append('<div class="plots">' + "".join(plots) + "</div>")
        return "\n".join(parts)
