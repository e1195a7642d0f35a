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


def series_svg(x_labels: list[str], series: dict[str, list[float | None]], *, title: str,
               x_label: str, y_label: str, marker: float | None = None, marker_label: str = "",
               ident: str = "") -> str:
    """Lines with points over categorical x positions, y in [0, 1]. `marker` draws a dashed
    vertical line at a fractional x position (e.g. 2.5 = between the 3rd and 4th label)."""
    count = max(1, len(x_labels))

    def x_at(position: float) -> float:
        return (position + 0.5) / count

    body, legend = [], []
    for i, (name, values) in enumerate(series.items()):
        color = COLORS[i % len(COLORS)]
        points = [(x_at(j), v) for j, v in enumerate(values) if v is not None and np.isfinite(v)]
        coords = [_xy(x, min(1.0, max(0.0, float(y)))) for x, y in points]
        if len(coords) > 1:
            body.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="'
                        + " ".join("%.1f,%.1f" % c for c in coords) + '"/>')
        body += [f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{color}"/>' for cx, cy in coords]
        legend.append(f'<text x="{W - 15}" y="{24 + 14 * i}" text-anchor="end" font-size="11" '
                      f'fill="{color}">{escape(name)}</text>')
    step = max(1, count // 8)                      # at most ~8 tick labels
    for j in range(0, count, step):
        x, _ = _xy(x_at(j), 0)
        body.append(f'<text x="{x:.1f}" y="{H - PAD + 14}" font-size="10" '
                    f'text-anchor="middle">{escape(x_labels[j])}</text>')
    for value in (0.0, 0.5, 1.0):
        _, y = _xy(0, value)
        body.append(f'<text x="{PAD - 4}" y="{y + 3:.1f}" font-size="10" '
                    f'text-anchor="end">{value:g}</text>')
    if marker is not None:
        x, top = _xy(x_at(marker), 1)
        _, bottom = _xy(0, 0)
        body.append(f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" '
                    f'stroke="#555" stroke-dasharray="5,3"/>'
                    f'<text x="{x + 3:.1f}" y="{top + 12:.1f}" font-size="10">'
                    f'{escape(marker_label)}</text>')
    return _frame(title, x_label, y_label, "".join(body), "".join(legend), ident)


def lines_svg(x: list[float], series: dict[str, list[float | None]], *, title: str,
              x_label: str, y_label: str, y_range: tuple[float, float] | None = None,
              hline: float | None = None, hline_label: str = "", ident: str = "") -> str:
    """Lines with points over a numeric x axis (training steps), y over `y_range` (default:
    the data's range, padded). `hline` draws a dashed horizontal line (a threshold)."""
    values = [float(v) for vs in series.values() for v in vs
              if v is not None and np.isfinite(v)] + ([hline] if hline is not None else [])
    if y_range is None:
        low, high = (min(values), max(values)) if values else (0.0, 1.0)
        pad = 0.05 * (high - low) if high > low else 0.5
        y_range = (low - pad, high + pad)
    y0, y1 = y_range
    x0, x1 = (min(x), max(x)) if x else (0.0, 1.0)
    x1 = x1 if x1 > x0 else x0 + 1

    def at(xv: float, yv: float) -> tuple[float, float]:
        return _xy((xv - x0) / (x1 - x0), min(1.0, max(0.0, (yv - y0) / (y1 - y0))))

    body, legend = [], []
    for i, (name, ys) in enumerate(series.items()):
        color = COLORS[i % len(COLORS)]
        coords = [at(float(a), float(b)) for a, b in zip(x, ys)
                  if b is not None and np.isfinite(b)]
        if len(coords) > 1:
            body.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="'
                        + " ".join("%.1f,%.1f" % c for c in coords) + '"/>')
        body += [f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="2.5" fill="{color}"/>'
                 for cx, cy in coords]
        legend.append(f'<text x="{W - 15}" y="{24 + 14 * i}" text-anchor="end" font-size="11" '
                      f'fill="{color}">{escape(name)}</text>')
    for value in (y0, (y0 + y1) / 2, y1):
        _, y = at(x0, value)
        body.append(f'<text x="{PAD - 4}" y="{y + 3:.1f}" font-size="10" '
                    f'text-anchor="end">{value:.3g}</text>')
    for value in (x0, (x0 + x1) / 2, x1):
        xx, _ = at(value, y0)
        body.append(f'<text x="{xx:.1f}" y="{H - PAD + 14}" font-size="10" '
                    f'text-anchor="middle">{value:.0f}</text>')
    if hline is not None:
        left, y = at(x0, hline)
        right, _ = at(x1, hline)
        body.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" '
                    f'stroke="#555" stroke-dasharray="5,3"/><text x="{left + 3:.1f}" '
                    f'y="{y - 3:.1f}" font-size="10">{escape(hline_label)}</text>')
    return _frame(title, x_label, y_label, "".join(body), "".join(legend), ident)
