"""Plots as inline SVG strings, computed in Python: no plotting library, no JavaScript,
nothing fetched, and a few kilobytes per plot whatever the run size."""

from __future__ import annotations

from html import escape

import numpy as np

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]
W, H, PAD = 360, 300, 40


def _frame(title: str, x_label: str, y_label: str, body: str, legend: str = "", ident: str = "") -> str:
    return (f'<svg id="{escape(ident)}" class="plot" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
            f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
            f'<rect x="{PAD}" y="10" width="{W - PAD - 10}" height="{H - PAD - 10}" fill="#fff" stroke="#999"/>'
            f'<text x="{W / 2}" y="{H - 5}" text-anchor="middle" font-size="12">{escape(x_label)}</text>'
            f'<text x="12" y="{H / 2}" text-anchor="middle" font-size="12" '
            f'transform="rotate(-90 12 {H / 2})">{escape(y_label)}</text>{body}{legend}</svg>')


def _xy(x: float, y: float) -> tuple[float, float]:
    return PAD + x * (W - PAD - 10), 10 + (1 - y) * (H - PAD - 10)


def roc_svg(curves: dict[str, tuple[np.ndarray, np.ndarray]], ident: str = "roc-plot") -> str:
    """curves: name -> (fpr, tpr). Diagonal = chance."""
    x0, y0 = _xy(0, 0)
    x1, y1 = _xy(1, 1)
    body = [f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#bbb" stroke-dasharray="4"/>']
    legend = []
    for i, (name, (fpr, tpr)) in enumerate(curves.items()):
        step = max(1, len(fpr) // 400)                  # bounded size for huge runs
        points = " ".join("%.1f,%.1f" % _xy(float(a), float(b))
                          for a, b in zip(fpr[::step].tolist() + [fpr[-1]], tpr[::step].tolist() + [tpr[-1]]))
        color = COLORS[i % len(COLORS)]
        body.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{points}"/>')
        legend.append(f'<text x="{W - 15}" y="{H - PAD - 12 - 14 * i}" text-anchor="end" '
                      f'font-size="11" fill="{color}">{escape(name)}</text>')
    return _frame("ROC curves", "false positive rate", "true positive rate", "".join(body),
                  "".join(legend), ident)


def histogram_svg(name: str, groups: dict[str, np.ndarray], bins: int = 30, ident: str = "") -> str:
    """Overlaid histograms (density) of one signal per group (members / non-members)."""
    values = np.concatenate([v for v in groups.values() if len(v)]) if groups else np.array([])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return _frame(name, name, "density", "", "", ident)
    low, high = float(values.min()), float(values.max())
    if high <= low:
        high = low + 1.0
    edges = np.linspace(low, high, bins + 1)
    densities = {}
    for label, data in groups.items():
        data = data[np.isfinite(data)]
        counts, _ = np.histogram(data, bins=edges)
        densities[label] = counts / max(1, data.size)
    top = max(float(d.max()) for d in densities.values()) or 1.0
    body, legend = [], []
    width = (W - PAD - 10) / bins
    for i, (label, dens) in enumerate(densities.items()):
        color = COLORS[i % len(COLORS)]
        for j, d in enumerate(dens):
            if d <= 0:
                continue
            x, y = _xy(j / bins, d / top)
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
                        f'height="{_xy(0, 0)[1] - y:.1f}" fill="{color}" fill-opacity="0.45"/>')
        legend.append(f'<text x="{W - 15}" y="{24 + 14 * i}" text-anchor="end" font-size="11" '
                      f'fill="{color}">{escape(label)}</text>')
    ticks = (f'<text x="{PAD}" y="{H - PAD + 14}" font-size="10">{low:.3g}</text>'
             f'<text x="{W - 10}" y="{H - PAD + 14}" font-size="10" text-anchor="end">{high:.3g}</text>')
    return _frame(name, f"{name} score (higher = member)", "share of group",
                  "".join(body) + ticks, "".join(legend), ident)
