"""Report section of the n-gram overlap audit: dirty rate and mean overlap per group, the
corpus scanned, and the items with the most overlap, each with its first matching corpus
span (file, line or record, character offsets, the corpus text). Every data string goes
through table_html, which escapes it."""

from __future__ import annotations

from html import escape

from ..report.context import ReportContext
from ..report.sections import sections, table_html

MAX_ITEMS = 50
PREVIEW_CHARS = 160


def _preview(text) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"


def _where(span: dict) -> str:
    place = f"line {span['line']}" if span.get("line", -1) >= 0 else f"row {span['record']}"
    return f"{span['file']} {place}, chars {span['start']}–{span['end']}"


@sections.register("overlap")
class OverlapSection:
    order = 20

    def applies(self, ctx: ReportContext) -> bool:
        return ctx.kind == "overlap" and "overlap" in getattr(ctx.rows, "columns", [])

    def render(self, ctx: ReportContext) -> str:
        s = ctx.summary
        config = s.get("config", {})
        corpus = s.get("corpus", {})
        tokenization = config.get("tokenization") or {}
        tokens = tokenization.get("kind", "words")
        normalization = tokenization.get("normalization", "")
        parts = ["<h2>Contamination: n-gram overlap with a training corpus</h2>",
                 f"<p class='note'>Each item's {escape(str(config.get('n')))}-grams of "
                 f"{escape(str(tokens))} ({escape(str(normalization))}) "
                 "are looked up in the corpus. Overlap = share of the item's n-grams found; "
                 f"dirty when at least one gram matches and overlap ≥ "
                 f"{escape(str(config.get('threshold')))}.</p>",
                 f"<p class='note'>Corpus: {escape(str(corpus.get('files')))} files, "
                 f"{escape(str(corpus.get('records')))} records, "
                 f"{escape(str(corpus.get('tokens')))} tokens"
                 + (f", {escape(str(corpus.get('skipped_lines')))} malformed lines skipped"
                    if corpus.get("skipped_lines") else "") + ".</p>"]
        groups = [("all", s)] + [(k.replace("_", "-") + "s", v)
                                 for k, v in (s.get("by_label") or {}).items()]
        parts.append(table_html(["group", "items", "dirty", "dirty rate", "mean overlap"],
                                [[name, g.get("n_items"), g.get("n_dirty"), g.get("dirty_rate"),
                                  g.get("mean_overlap")] for name, g in groups],
                                "overlap-table"))
        rows = ctx.rows.sort_values(["overlap", "n_spans"], ascending=False).head(MAX_ITEMS)
        table = []
        for _, r in rows.iterrows():
            spans = list(r["spans"]) if r.get("spans") is not None else []
            first = spans[0] if spans else None
            table.append([r["id"], r.get("label"), float(r["overlap"]),
                          f"{int(r['matched_grams'])}/{int(r['n_grams'])}", bool(r["dirty"]),
                          int(r["n_spans"]), _where(first) if first else None,
                          _preview(first.get("text")) if first else None,
                          _preview(ctx.texts.get(str(r["id"])))])
        parts.append(f"<h3>Items, most overlap first ({int(ctx.rows['dirty'].sum())} dirty)</h3>"
                     + table_html(["id", "label", "overlap", "grams found", "dirty", "spans",
                                   "first span", "corpus text", "item"], table, "overlap-items"))
        return "\n".join(parts)
