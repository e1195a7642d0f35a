"""The overlap scan as Ray tasks (2 local workers, the index broadcast once) gives the same
rows and summary as the local engine."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("ray")

from test_contamination_overlap import ITEM, OTHER, items_file, write_jsonl  # noqa: E402


def test_ray_tasks_match_local_engine(tmp_path):
    from mnemoscope.contamination.overlap import ngram_overlap

    items = items_file(tmp_path, [ITEM, OTHER, "short one"], labels=[1, 1, 0])
    corpus = [write_jsonl(tmp_path / f"c{i}.jsonl",
                          [{"text": f"shard {i} {t}"} for t in texts])
              for i, texts in enumerate([[ITEM, "noise"], ["nothing here"],
                                         [OTHER[:40], "short one two"], [ITEM + " " + ITEM]])]
    common = dict(corpus=[str(c) for c in corpus], report=False)
    local = ngram_overlap(str(items), out=str(tmp_path / "local"), **common)
    ray_run = ngram_overlap(str(items), out=str(tmp_path / "ray"), engine="ray", workers=2,
                            **common)
    columns = ["id", "n_grams", "matched_grams", "overlap", "dirty", "n_spans"]
    assert ray_run.rows[columns].to_dict("records") == local.rows[columns].to_dict("records")
    assert ray_run.rows["spans"].map(list).tolist() == local.rows["spans"].map(list).tolist()
    assert ray_run.summary == local.summary
    for name in sorted(p.name for p in (tmp_path / "local" / "shards").iterdir()):
        assert json.loads((tmp_path / "ray" / "shards" / name).read_text()) == \
            json.loads((tmp_path / "local" / "shards" / name).read_text())
    spec = json.loads((tmp_path / "ray" / "spec.json").read_text())
    assert spec["runtime"] == {"engine": "ray", "workers": 2}


def test_bad_corpus_line_on_ray_is_the_same_clear_error(tmp_path):
    from mnemoscope.contamination.overlap import ngram_overlap
    from mnemoscope.types import InputError

    items = items_file(tmp_path, [ITEM])
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"text": "fine"}\n{oops\n')
    with pytest.raises(InputError, match=r"c\.jsonl line 2: invalid JSON"):
        ngram_overlap(str(items), corpus=[str(corpus)], out=str(tmp_path / "r"),
                      engine="ray", workers=2, report=False)


RAY_RUN = """
import sys
import _overlap_ray_helpers as helpers
from mnemoscope.contamination import overlap
overlap.scan_shard = helpers.slow_scan_shard
items, corpus, out = sys.argv[1:4]
overlap.ngram_overlap(items, corpus=[corpus], out=out, engine="ray", workers=2, report=False)
"""


def test_killed_worker_and_killed_driver_resume_to_the_same_rows(tmp_path, monkeypatch):
    """SIGKILL a worker mid-task (Ray retries the task), then the driver; the resume (run
    here, locally: checkpoints do not depend on the engine) scans only the files left."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from mnemoscope.contamination import overlap as overlap_module
    from mnemoscope.contamination.overlap import ngram_overlap

    tests = Path(__file__).parent
    items = items_file(tmp_path, [ITEM, OTHER])
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(8):
        write_jsonl(corpus / f"c{i}.jsonl", [{"text": f"{i} {ITEM if i % 3 == 0 else OTHER}"}])
    expected = ngram_overlap(str(items), corpus=[str(corpus)], out=str(tmp_path / "local"),
                             report=False)
    out = tmp_path / "ray"
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join([str(tests), os.environ.get("PYTHONPATH", "")])}

    def start():
        return subprocess.Popen([sys.executable, "-c", RAY_RUN, str(items), str(corpus), str(out)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)

    def wait_for(predicate, timeout=120.0):
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "timed out waiting"
            time.sleep(0.05)

    calls = corpus / ".calls"
    shards = lambda: sorted(p.name for p in (out / "shards").glob("*.json")) \
        if (out / "shards").is_dir() else []                                     # noqa: E731
    run = start()
    wait_for(lambda: calls.is_dir() and any(calls.iterdir()))
    first = sorted(calls.iterdir())[0].name
    victim_file, victim = first.split(".")[0], int(first.split(".")[2])  # a worker mid-task
    os.kill(victim, signal.SIGKILL)
    retried = lambda: sum(p.name.startswith(victim_file + ".")                 # noqa: E731
                          for p in calls.iterdir()) >= 2
    wait_for(lambda: retried() and len(shards()) >= 3)                     # Ray retried it
    os.killpg(run.pid, signal.SIGKILL)                                     # now the driver
    run.communicate(timeout=60)
    done_before = shards()
    assert 3 <= len(done_before) < 8
    scanned = []
    real = overlap_module.scan_shard
    monkeypatch.setattr(overlap_module, "scan_shard",
                        lambda index, path, cfg: scanned.append(path) or real(index, path, cfg))
    finished = {json.loads((out / "shards" / n).read_text())["file"] for n in done_before}
    resumed = ngram_overlap(str(items), corpus=[str(corpus)], out=str(out), report=False)
    assert len(shards()) == 8 and len(scanned) == 8 - len(done_before)
    assert not finished & set(scanned)                                     # not rescanned
    assert resumed.summary == expected.summary
    columns = ["id", "matched_grams", "overlap", "dirty", "n_spans"]
    assert resumed.rows[columns].to_dict("records") == expected.rows[columns].to_dict("records")
