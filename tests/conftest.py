from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, str(Path(__file__).parent))

from _tiny_model import build_tiny_model  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "famous_vs_fresh.jsonl"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir):
    from mnemoscope.models import load_model

    return load_model(str(tiny_model_dir), batch_size=4)


@pytest.fixture(scope="session")
def real_model():
    """The embedded SmolLM2-135M (converted once, cached under MNEMOSCOPE_CACHE_DIR)."""
    from mnemoscope.models import load_model

    # float32 pinned: `--dtype auto` is bfloat16 on AMX CPUs (models/fast_cpu.py), and these
    # tests must check the same numbers on every machine
    return load_model("smollm2-135m", batch_size=8, dtype="float32")
