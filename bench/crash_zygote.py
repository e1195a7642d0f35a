"""A fork server for crash tests: `python -m mnemoscope.cli` without paying its imports.

Started once, it imports the third-party libraries every command loads (torch,
transformers, pandas, pyarrow, scikit-learn: ~5 s of a ~6 s tiny run), then forks one
child per request. The child takes the request's argv, environment and stderr file and runs
mnemoscope.cli as __main__ (runpy: what `python -m` does). mnemoscope itself is imported
fresh in every child, so the child reads its own MNEMOSCOPE_FAULT; a SIGKILL ends the
child as it ends a process started from scratch. The server never runs a model or starts a
thread, so forking it is safe.

Protocol, one JSON object per line. stdin: {"run": [argv...], "env": {...}, "stderr": path}
or {"kill": pid}. stdout: {"pid": pid} for each run, {"pid": pid, "rc": code} when a child
ends (rc -9: SIGKILL).
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys


def _preimport() -> None:
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401
    import safetensors.torch  # noqa: F401
    import sklearn.metrics  # noqa: F401
    import torch  # noqa: F401
    import tqdm.auto  # noqa: F401
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM  # noqa: F401


def _child(request: dict) -> None:
    """In the forked child: become `python -m mnemoscope.cli ARGV`; never returns."""
    code = 1
    try:
        os.environ.clear()
        os.environ.update(request["env"])
        null = os.open(os.devnull, os.O_RDWR)
        err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.dup2(err, 2)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        sys.path[:0] = [p for p in request["env"].get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.argv = ["mnemoscope", *request["run"]]
        import runpy

        try:
            runpy.run_module("mnemoscope.cli", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:              # noqa: BLE001 - a child must always reach _exit
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve() -> None:
    _preimport()
    children: set[int] = set()
    out = sys.stdout
    buffer = b""
    while True:
        ready, _, _ = select.select([0], [], [], 0.02)
        if ready:
            chunk = os.read(0, 65536)
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                request = json.loads(line)
                if "kill" in request:
                    if request["kill"] in children:       # not reaped: the pid is still ours
                        os.kill(request["kill"], signal.SIGKILL)
                    continue
                out.flush()
                pid = os.fork()
                if pid == 0:
                    _child(request)
                children.add(pid)
                out.write(json.dumps({"pid": pid}) + "\n")
                out.flush()
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            children.discard(pid)
            out.write(json.dumps({"pid": pid, "rc": os.waitstatus_to_exitcode(status)}) + "\n")
            out.flush()
    for pid in children:
        os.kill(pid, signal.SIGKILL)


if __name__ == "__main__":
    serve()
