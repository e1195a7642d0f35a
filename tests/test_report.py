"""The HTML report: self-contained, escaped, bounded, extensible; checked in real Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mnemoscope.report import build_report, sections, write_report
from mnemoscope.runs import RunWriter, write_summary
from mnemoscope.types import InputError

HOSTILE = [
    "<script>document.body.setAttribute('data-pwned','1');alert(1)</script>",
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','1');alert(1)\">",
    "</textarea><svg onload=alert(1)>",
    "</script><script>alert(1)</script>",
]
SIGNALS = ["loss", "min_k"]


def make_run(folder: Path, n: int = 40, labels: bool = True, extra_columns: dict | None = None) -> Path:
    from mnemoscope.metrics import summarize_signal

    data = folder / "data.jsonl"
    texts = [HOSTILE[i % len(HOSTILE)] if i < 8 else f"ordinary text number {i}" for i in range(n)]
    data.write_text("".join(json.dumps({"id": f"s{i}", "text": t, **({"label": i % 2} if labels else {})})
                            + "\n" for i, t in enumerate(texts)))
    run = folder / "run"
    writer = RunWriter(run, {"kind": "score", "model": {"name": "m<b>x</b>"},
                             "data": {"path": str(data), "text_column": "text"}})
    rng = np.random.default_rng(0)
    rows = []
    for i, text in enumerate(texts):
        row = {"id": f"s{i}", "loss": float(rng.normal(i % 2)), "min_k": float(rng.normal()),
               "token_text": [text[:10], text[10:]], "token_logprobs": [-1.0, -5.0],
               "token_z": [0.5, -2.0]}
        if labels:
            row["label"] = i % 2
        row.update({k: v[i] for k, v in (extra_columns or {}).items()})
        rows.append(row)
    writer.add(rows)
    writer.flush()
    label_list = [r.get("label") for r in rows] if labels else None
    write_summary(run, {c: summarize_signal(label_list, [r[c] for r in rows], resamples=50)
                        for c in SIGNALS})
    return run


def test_hostile_text_is_escaped_everywhere(tmp_path):
    html = build_report(make_run(tmp_path))
    assert "<script>document.body" not in html and "<img src=x" not in html
    assert "</textarea><svg" not in html
    # exactly two script elements: the JSON data block and our own code
    assert len(re.findall(r"<script", html)) == 2
    assert "m&lt;b&gt;x&lt;/b&gt;" in html
    data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    samples = json.loads(data.group(1))["samples"]["rows"]
    assert {r["text"] for r in samples} >= set(HOSTILE)      # the text survives, as data


def test_no_external_requests(tmp_path):
    html = build_report(make_run(tmp_path))
    for attribute in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html):
        assert not attribute.startswith(("http:", "https:", "//")), attribute
    assert "default-src 'none'" in html


def test_unlabelled_run_shows_distributions(tmp_path):
    html = build_report(make_run(tmp_path, labels=False))
    assert "No AUROC" in html and 'id="roc-plot"' not in html and 'id="hist-0"' in html


def test_second_section_type_and_registry(tmp_path):
    run = make_run(tmp_path, extra_columns={"exact_match": [i % 3 == 0 for i in range(40)],
                                            "approx_match": [i % 2 == 0 for i in range(40)]})
    html = build_report(run)
    assert 'id="extraction-table"' in html and 'id="files-table"' in html

    @sections.register("test-only")
    class Custom:
        order = 99

        def applies(self, ctx):
            return True

        def render(self, ctx):
            return "<h2>custom section</h2>"

    try:
        assert "custom section" in build_report(run)
    finally:
        sections._items.pop("test-only")


def test_large_run_is_bounded(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mnemoscope.metrics import summarize_signal

    n = 100_000
    run = tmp_path / "big"
    RunWriter(run, {"kind": "score"})
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, n)
    table = pa.table({"id": [f"r{i}" for i in range(n)], "label": labels,
                      "loss": rng.normal(labels * 0.3), "min_k": rng.normal(size=n)})
    pq.write_table(table, run / "parts" / "part-0.parquet")
    write_summary(run, {c: summarize_signal(labels.tolist(), table[c].to_numpy(), resamples=20)
                        for c in SIGNALS})
    size = write_report(run).stat().st_size
    assert size < 3_000_000, size


def test_not_a_run_folder(tmp_path):
    with pytest.raises(InputError, match="not a run folder"):
        build_report(tmp_path)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_in_headless_chromium_nothing_from_the_data_runs(tmp_path):
    report = write_report(make_run(tmp_path))
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000"]
    dom = subprocess.run(flags + ["--dump-dom", report.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    assert 'data-report-ready="1"' in dom            # our script ran to the end ...
    assert 'data-pwned="1"' not in dom               # ... and none from the data did
    assert 'id="verdict-table"' in dom and 'id="roc-plot"' in dom
    assert "&lt;script&gt;document.body" in dom        # hostile text rendered as text in the table
    shot = tmp_path / "report.png"
    subprocess.run(flags + ["--window-size=1280,1600", f"--screenshot={shot}", report.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000


def test_score_writes_the_report_by_default(tmp_path, tiny_model):
    import mnemoscope

    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text": f"the river {w} {HOSTILE[i % 4]}", "label": i % 2}) + "\n"
                            for i, w in enumerate("old new city king song light".split())))
    mnemoscope.score(str(data), model=tiny_model, out=str(tmp_path / "run"), progress=False,
                     bootstrap=20)
    html = (tmp_path / "run" / "report.html").read_text()
    assert 'id="verdict-table"' in html and "<img src=x" not in html
