"""Where the membership gap sits: the score summary's per-class breakdown (function tokens,
content tokens after a function token, content tokens after a content token; see
signals/function_tokens.py)."""

from __future__ import annotations

from html import escape

from .context import ReportContext
from .sections import sections, table_html


@sections.register("token_classes")
class TokenClassesSection:
    order = 15                          # right after the membership signals

    def applies(self, ctx: ReportContext) -> bool:
        return isinstance(ctx.summary.get("token_classes"), dict)

    def render(self, ctx: ReportContext) -> str:
        breakdown = ctx.summary["token_classes"]
        classes = breakdown.get("classes", {})
        labelled = any(v.get("auroc") is not None for v in classes.values())
        rows = []
        for name, v in classes.items():
            row = [name.replace("_", " "), v.get("tokens"), _pct(v.get("token_share"))]
            if labelled:
                members, nonmembers = v.get("mean_logprob_members"), v.get("mean_logprob_nonmembers")
                gap = None if members is None or nonmembers is None else members - nonmembers
                ci = v.get("auroc_ci") or [None, None]
                row += [members, nonmembers, gap, _pct(v.get("gap_share")), v.get("auroc"),
                        f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci[0] is not None else "—"]
            rows.append(row)
        headers = ["token class", "tokens", "share of tokens"]
        if labelled:
            headers += ["mean log p, members", "non-members", "difference",
                        "share of the loss gap", "AUROC of its loss", "95% CI"]
        parts = ["<h2>Where the signal sits: token classes</h2>",
                 "<p class='note'>Function tokens: punctuation and a closed list of English "
                 "function words. Content tokens are split by the token before them. The loss "
                 "gap between non-members and members splits exactly into one term per class."
                 "</p>", table_html(headers, rows, "token-classes-table")]
        if labelled:
            shares = {n: v.get("gap_share") for n, v in classes.items() if v.get("gap_share") is not None}
            if shares:
                top = max(shares, key=lambda n: shares[n])
                parts.append(f"<p>The largest share of the gap ({shares[top]:.0%}) is carried by "
                             f"<b>{escape(top.replace('_', ' '))}</b> tokens.</p>")
        return "\n".join(parts)


def _pct(value):
    return None if value is None else f"{value:.1%}"
