"""CDD and partial-prompt completion on the real embedded SmolLM2-135M, a few items."""

from __future__ import annotations

import json

import pytest
from _contamination_stubs import write_jsonl

from mnemoscope.contamination.cdd import CDDConfig, cdd, rows_for_chunk
from mnemoscope.contamination.completion import partial_completion
from mnemoscope.types import Sample

pytestmark = pytest.mark.integration

GETTYSBURG = ("Four score and seven years ago our fathers brought forth on this continent, a "
              "new nation, conceived in Liberty, and dedicated to the proposition that all men "
              "are created equal.")
FRESH = ("Three winters past, the people of this valley set their hands to a common work, "
         "raising a dam across the river that had flooded their fields.")


def test_cdd_and_completion_on_smollm2(tmp_path, real_model):
    data = write_jsonl(tmp_path / "items.jsonl", [
        {"id": "famous", "text": GETTYSBURG, "label": 1},
        {"id": "fresh", "text": FRESH, "label": 0}])
    result = cdd(str(data), model=real_model, out=str(tmp_path / "cdd"), samples=4,
                 max_new_tokens=8, progress=False, report=False)
    rows = result.rows.set_index("id")
    # Pinned from this seeded run (sampling seeded per item, float32 on CPU): greedy and every
    # sample run to the 8-token cap, and no sample comes within alpha * l = 0.05 * 8 tokens of
    # the greedy output, so by hand both peakednesses are 0 (SmolLM2 is not peaked on four
    # samples at T = 0.8, even on the Gettysburg Address).
    assert rows.loc["famous", "distances"].tolist() == [7, 7, 8, 6]
    assert rows.loc["fresh", "distances"].tolist() == [7, 7, 8, 7]
    assert rows["greedy_tokens"].tolist() == [8, 8] and rows["longest"].tolist() == [8, 8]
    assert rows["peakedness"].tolist() == [0.0, 0.0]
    # seeded per item: the same item computed again, alone, gives the same row
    again = rows_for_chunk([Sample("fresh", FRESH, 0)], real_model,
                           CDDConfig(samples=4, max_new_tokens=8))[0]
    assert again["distances"] == list(rows.loc["fresh", "distances"])
    assert again["sample_texts"] == list(rows.loc["fresh", "sample_texts"])

    done = partial_completion(str(data), model=real_model, out=str(tmp_path / "completion"),
                              ratios=(0.6,), max_new_tokens=24, progress=False, report=False)
    summary = json.loads((tmp_path / "completion" / "summary.json").read_text())
    assert summary["evaluable"] == {"0.6": 2}
    scores = done.rows.set_index("item_id")["rouge_l"]
    # the famous passage comes back closer than the look-alike written for this project.
    # Pinned from this greedy run, and worked by hand on the stemmed words: famous shares
    # "and ... to" with the true remainder (LCS 2 of 12 predicted and 11 true words, F1 =
    # 2 * (2/12) * (2/11) / (2/12 + 2/11) = 4/23); fresh shares only its first "a" (1 of 10).
    assert scores["famous"] == pytest.approx(4 / 23, rel=1e-9)
    assert scores["fresh"] == pytest.approx(1 / 10, rel=1e-9)
