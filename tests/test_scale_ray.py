"""--engine ray gives the same rows as one process, also after a worker or the driver is
killed mid-run. Uses a local Ray with 2 CPU workers and the tiny model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("ray")

from mnemoscope.runs import read_rows  # noqa: E402

from test_score import make_data  # noqa: E402

TESTS = Path(__file__).parent
SIGNALS = ("loss", "zlib", "lowercase", "min_k", "min_k_plus_plus")


def local_rows(data, model_dir, out):
    import mnemoscope

    return mnemoscope.score(str(data), model=str(model_dir), out=str(out), progress=False,
                            report=False, bootstrap=20, chunk_size=4).rows


def assert_same_rows(run_dir, expected, columns=SIGNALS):
    parts = pd.concat([pd.read_parquet(p) for p in (Path(run_dir) / "parts").glob("*.parquet")])
    assert parts["id"].is_unique, "a row was written twice"
    got = parts.set_index("id").sort_index()
    want = expected.set_index("id").sort_index()
    assert list(got.index) == list(want.index)
    for column in columns:
        np.testing.assert_allclose(got[column], want[column], atol=1e-5)


def test_ray_two_workers_match_single_process(tmp_path, tiny_model_dir):
    import mnemoscope

    data = make_data(tmp_path / "d.jsonl", n=30)
    expected = local_rows(data, tiny_model_dir, tmp_path / "local")
    result = mnemoscope.score(str(data), model=str(tiny_model_dir), out=str(tmp_path / "ray"),
                              engine="ray", workers=2, progress=False, report=False,
                              bootstrap=20, chunk_size=4)
    assert_same_rows(tmp_path / "ray", expected)
    local_summary = json.loads((tmp_path / "local" / "summary.json").read_text())
    assert result.summary["loss"]["auroc"] == pytest.approx(local_summary["loss"]["auroc"])
    spec = json.loads((tmp_path / "ray" / "spec.json").read_text())
    assert spec["runtime"]["engine"] == "ray"


RAY_RUN = textwrap.dedent("""
    import sys
    from _ray_helpers import SlowLoss
    from mnemoscope.data import DataConfig
    from mnemoscope.membership import ScoreSpec, run_score
    from mnemoscope.models import ModelConfig
    data, model, out = sys.argv[1:4]
    spec = ScoreSpec(data=DataConfig(data), out=out, model=ModelConfig(model=model),
                     signals=(SlowLoss(), "min_k_plus_plus"), chunk_size=4, progress=False,
                     report=False, bootstrap=20)
    run_score(spec, engine="ray", workers=2)
""")


def start_slow_run(data, model_dir, out):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-c", RAY_RUN, str(data), str(model_dir), str(out)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def wait_for(predicate, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def n_parts(out):
    return len(list((Path(out) / "parts").glob("*.parquet"))) if (Path(out) / "parts").is_dir() else 0


def test_killed_worker_and_killed_driver_lose_and_duplicate_nothing(tmp_path, tiny_model_dir):
    data = make_data(tmp_path / "d.jsonl", n=40)
    expected = local_rows(data, tiny_model_dir, tmp_path / "local")

    # 1. SIGKILL one worker after the first part: Ray restarts it and retries its batch.
    out = tmp_path / "worker-killed"
    run = start_slow_run(data, tiny_model_dir, out)
    wait_for(lambda: n_parts(out) >= 1)
    victim = int(sorted((out / ".workers").iterdir())[0].name)
    os.kill(victim, signal.SIGKILL)
    _, err = run.communicate(timeout=300)
    assert run.returncode == 0, err[-2000:]
    assert_same_rows(out, expected, columns=("loss", "min_k_plus_plus"))

    # 2. SIGKILL the whole driver (and its local Ray) mid-run, then resume.
    out = tmp_path / "driver-killed"
    run = start_slow_run(data, tiny_model_dir, out)
    wait_for(lambda: n_parts(out) >= 2)
    os.killpg(run.pid, signal.SIGKILL)
    run.communicate(timeout=60)
    before = n_parts(out)
    assert 0 < len(read_rows(out)) < 40
    resumed = start_slow_run(data, tiny_model_dir, out)
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err[-2000:]
    assert n_parts(out) > before
    assert_same_rows(out, expected, columns=("loss", "min_k_plus_plus"))


def test_ray_unlabelled_data(tmp_path, tiny_model_dir):
    import mnemoscope

    data = make_data(tmp_path / "d.jsonl", n=8, labels=False)
    result = mnemoscope.score(str(data), model=str(tiny_model_dir), out=str(tmp_path / "ray"),
                              engine="ray", workers=1, progress=False, report=False,
                              chunk_size=4)
    assert len(result.rows) == 8 and "label" not in result.rows.columns


def test_ray_extraction_matches_single_process(tmp_path, tiny_model_dir):
    """Greedy and seeded sampled extraction give the same rows on two Ray workers: chunks
    are cut on the driver, so every batch holds the same prompts as the local run."""
    from mnemoscope.extraction.audit import extract

    data = make_data(tmp_path / "d.jsonl", n=16)
    options = dict(model=str(tiny_model_dir), progress=False, chunk_size=4, prefix_tokens=6,
                   suffix_tokens=6, samples=3, pii=False)
    local = extract(str(data), out=str(tmp_path / "local"), **options)
    on_ray = extract(str(data), out=str(tmp_path / "ray"), engine="ray", workers=2, **options)
    columns = ["exact_match", "longest_match", "edit_distance", "generated_ids",
               "sampled_hit", "sampled_best_distance"]
    want = local.rows.set_index("id").sort_index()[columns]
    got = on_ray.rows.set_index("id").sort_index()[columns]
    assert list(got.index) == list(want.index)
    def plain(values):
        return [v.tolist() if hasattr(v, "tolist") else v for v in values]

    for column in columns:
        assert plain(got[column]) == plain(want[column]), column
    assert on_ray.summary["exact_match_rate"] == local.summary["exact_match_rate"]
    spec = json.loads((tmp_path / "ray" / "spec.json").read_text())
    assert spec["runtime"]["engine"] == "ray"
    assert spec["identity"] == json.loads((tmp_path / "local" / "spec.json").read_text())["identity"]


def test_ray_refuses_a_signal_the_backend_lacks_before_starting(tmp_path, tiny_model_dir):
    import mnemoscope
    from mnemoscope.types import CapabilityError

    data = make_data(tmp_path / "d.jsonl", n=4)
    with pytest.raises(CapabilityError, match="min_k_plus_plus"):
        mnemoscope.score(str(data), model=str(tiny_model_dir), out=str(tmp_path / "r"),
                         engine="ray", signals="min_k_plus_plus", progress=False,
                         backend="vllm")
    assert not (tmp_path / "r").exists()


def test_ray_generation_audits_match_single_process(tmp_path, tiny_model_dir):
    """CDD (seeded samples) and partial-prompt completion give the same rows on Ray."""
    from mnemoscope.contamination.cdd import cdd
    from mnemoscope.contamination.completion import partial_completion

    data = make_data(tmp_path / "d.jsonl", n=6)
    common = dict(model=str(tiny_model_dir), progress=False, report=False, chunk_size=2)
    runs = {}
    for engine in ("local", "ray"):
        extra = {"engine": "ray", "workers": 2} if engine == "ray" else {}
        runs["cdd", engine] = cdd(str(data), out=str(tmp_path / f"cdd-{engine}"), samples=4,
                                  max_new_tokens=6, **common, **extra)
        runs["completion", engine] = partial_completion(
            str(data), out=str(tmp_path / f"completion-{engine}"), max_new_tokens=6,
            **common, **extra)
    for audit, columns in (("cdd", ["distances", "peakedness", "greedy_text", "sample_texts"]),
                           ("completion", ["prediction", "rouge_l", "exact_match"])):
        want = runs[audit, "local"].rows.set_index("id").sort_index()
        got = runs[audit, "ray"].rows.set_index("id").sort_index()
        assert list(got.index) == list(want.index) and len(got) > 0
        for column in columns:
            plain = [[v.tolist() if hasattr(v, "tolist") else v for v in frame[column]]
                     for frame in (got, want)]
            assert plain[0] == plain[1], (audit, column)
