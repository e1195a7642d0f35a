#!/usr/bin/env bash
# One command from nothing to the main job: membership signals of the embedded SmolLM2-135M
# on the example set (famous public-domain passages vs freshly written look-alikes).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
. .venv/bin/activate
export HF_HUB_OFFLINE=1
mnemoscope score examples/famous_vs_fresh.jsonl --model smollm2-135m --out runs/example "$@"
