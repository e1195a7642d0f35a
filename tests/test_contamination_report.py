"""Report sections of the contamination audits: present, escaped, and only on their runs."""

from __future__ import annotations

from _contamination_stubs import WordModel, write_jsonl

from mnemoscope.contamination.cdd import cdd
from mnemoscope.contamination.completion import partial_completion
from mnemoscope.contamination.cutoff import knowledge_cutoff
from mnemoscope.report import build_report

HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(2)>"


def test_cdd_and_completion_sections_escape_dataset_and_model_text(tmp_path):
    prompt = f"tell me {HOSTILE}"
    data = write_jsonl(tmp_path / "items.jsonl", [{"id": "x<b>", "text": prompt, "label": 1},
                                                  {"id": "y", "text": "plain words here", "label": 0}])
    model = WordModel(greedy={prompt: HOSTILE}, samples={prompt: [HOSTILE] * 3},
                      memorized=[prompt + " " + HOSTILE])
    cdd(str(data), model=model, out=str(tmp_path / "cdd"), samples=3, progress=False)
    html = build_report(tmp_path / "cdd")
    assert "Contamination: CDD" in html and 'id="cdd-hist"' in html and 'id="cdd-items"' in html
    assert "<script>alert" not in html and "<img src=x" not in html and "x<b>" not in html
    assert "&lt;script&gt;alert(1)" in html
    assert "<h2>Extraction</h2>" not in html

    partial_completion(str(data), model=model, out=str(tmp_path / "completion"), progress=False)
    html = build_report(tmp_path / "completion")
    assert "partial-prompt completion" in html and 'id="completion-plot"' in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "<h2>Extraction</h2>" not in html and "Contamination: CDD" not in html


def test_cutoff_section_marks_the_cutoff(tmp_path):
    rows = [{"id": f"{m}-{k}", "date": f"2024-{m:02d}-01", "correct": k < (3 if m < 4 else 1)}
            for m in range(1, 7) for k in range(4)]
    knowledge_cutoff(str(write_jsonl(tmp_path / "r.jsonl", rows)), out=str(tmp_path / "run"),
                     cutoff="2024-03")
    html = build_report(tmp_path / "run")
    assert 'id="cutoff-plot"' in html and "cutoff 2024-03 (given)" in html
    assert "stroke-dasharray=\"5,3\"" in html and "+50.0" in html
