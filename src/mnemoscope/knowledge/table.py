"""The printed table of a knowledge run: accuracy per probe (rows) per epoch (columns)."""

from __future__ import annotations

from typing import Any


def _cell(entry: dict[str, Any], chance_format: bool) -> str:
    if chance_format:
        return f"{entry['exact']:.2f}"
    return f"{entry['exact']:.2f}/{entry['lenient']:.2f}"


def summary_table(summary: dict[str, Any]) -> str:
    """Open probes show exact/lenient, choice probes their accuracy; a last column the
    chance level."""
    epochs = range(summary["epochs"] + 1)
    head = f"{'probe':<36}" + "".join(f"{'e' + str(e):>11}" for e in epochs) + f"{'chance':>8}"
    lines = [head]
    for key, probe in summary["probes"].items():
        by = {e["epoch"]: e for e in probe["by_epoch"]}
        choice = probe["format"] in ("tf", "mc")
        cells = "".join(f"{_cell(by[e], choice) if e in by else '-':>11}" for e in epochs)
        lines.append(f"{key:<36}{cells}{probe['chance']:>8.2f}")
    for name, series in summary.get("gaps", {}).items():
        cells = "".join(f"{s['gap']:>11.2f}" if s["gap"] is not None else f"{'-':>11}"
                        for s in series)
        lines.append(f"{'gap ' + name:<36}{cells}")
    for name, stats in (summary.get("membership") or {}).items():
        if stats.get("auroc") is not None:
            lines.append(f"membership AUROC {name}: {stats['auroc']:.3f} "
                         f"[{stats['auroc_ci'][0]:.3f}, {stats['auroc_ci'][1]:.3f}]")
    return "\n".join(lines)
