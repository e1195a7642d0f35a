"""Report sections: the extension point. An audit keeps its section beside itself, in a
module of its package whose name ends in `report_section` (contamination/report_section.py,
unlearning/report_section.py, ...); the report finds and imports those modules, and their
`register` calls add them:

    @sections.register("my_audit")
    class MyAuditSection:
        order = 50
        def applies(self, ctx: ReportContext) -> bool: ...
        def render(self, ctx: ReportContext) -> str: ...   # escaped HTML

Third-party packages use the entry-point group `mnemoscope.report_sections`.
"""

from __future__ import annotations

from html import escape
from ..registry import Registry
from .context import ReportContext


sections: Registry[type] = Registry("report section", group="mnemoscope.report_sections")
_discovered = False


def discover_sections() -> None:
    """Import every `*report_section` module of mnemoscope's packages (once)."""
    global _discovered
    if _discovered:
        return
    import importlib
    import pkgutil
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]         # src/mnemoscope, read as files
    for package in pkgutil.iter_modules([str(root)]):
        if not package.ispkg or package.name == "cli":     # the command wing has no sections
            continue
        for child in pkgutil.iter_modules([str(root / package.name)]):
            if child.name.endswith("report_section"):
                importlib.import_module(f"mnemoscope.{package.name}.{child.name}")
    _discovered = True


def table_html(headers: list[str], rows: list[list[object]], ident: str = "") -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(_fmt(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    id_attr = f' id="{escape(ident)}"' if ident else ""
    return f"<table{id_attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


@sections.register("extraction")
class ExtractionSection:
    """Rows of an extraction audit: per-label rates, and the most extracted samples."""

    order = 40

    def applies(self, ctx: ReportContext) -> bool:
        # completion rows also have an exact_match column, and so do the checks of a
        # dynamics run (one per step); both get their own section
        return "exact_match" in getattr(ctx.rows, "columns", []) and \
            ctx.kind not in ("completion", "dynamics")

    def render(self, ctx: ReportContext) -> str:
        rows = ctx.rows
        groups = [("all", rows)]
        if "label" in rows.columns:
            groups += [("members", rows[rows["label"] == 1]), ("non-members", rows[rows["label"] == 0])]
        table = []
        for name, group in groups:
            approx = float(group["approx_match"].mean()) if "approx_match" in group else None
            table.append([name, len(group), float(group["exact_match"].mean()) if len(group) else None,
                          approx])
        return ("<h2>Extraction</h2>" +
                table_html(["group", "texts", "exact match rate", "approximate match rate"], table,
                           "extraction-table"))


@sections.register("files")
class FilesSection:
    """The run folder's files, so a reader knows where the evidence lives."""

    order = 90

    def applies(self, ctx: ReportContext) -> bool:
        return True

    def render(self, ctx: ReportContext) -> str:
        files = sorted(p for p in ctx.run_dir.rglob("*") if p.is_file() and not p.name.startswith("."))
        shown = files[:50]
        rows = [[str(p.relative_to(ctx.run_dir)), f"{p.stat().st_size:,} bytes"] for p in shown]
        more = f"<p>... and {len(files) - 50} more</p>" if len(files) > 50 else ""
        return "<h2>Run files</h2>" + table_html(["file", "size"], rows, "files-table") + more
