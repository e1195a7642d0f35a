"""Flags shared by every command: the model, the data file, the engine, and how they become
configs; plus the `type=` checks that refuse a bad value at parse time.

One place declares `--model/--device/--dtype/--batch-size/...` and `DATA --text-column ...`
so that every audit spells them the same way. A bad value stops the command before any
model loads, with one line that names the flag and what to give instead. Imports no torch
(main.py builds its parser from command modules that import this).
"""

from __future__ import annotations

import argparse
import math
import re
from typing import Any, Callable

MODEL_HELP = ("smollm2-135m (embedded default), a local HF model folder, a .gguf file, or the "
              "URL of an OpenAI-compatible server (http://host:port/v1; selects --backend "
              "openai)")


# ---------------------------------------------------------------------------- value checks
def whole(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An integer >= minimum (and <= maximum): `--batch-size 0` fails at parse time, not
    after a model load."""
    wanted = f"a whole number >= {minimum}" + (f" and <= {maximum}" if maximum is not None
                                                else "")

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"must be {wanted}, not {text!r}")
        return value

    parse.__name__ = wanted
    return parse


def number(low: float | None = None, high: float | None = None, *, above: bool = False,
           below: bool = False) -> Callable[[str], float]:
    """A finite float in [low, high] (`above`/`below` make that end open). NaN and inf are
    refused everywhere: they pass every comparison test silently and poison a summary."""
    bounds = []
    if low is not None:
        bounds.append(f"{'>' if above else '>='} {low:g}")
    if high is not None:
        bounds.append(f"{'<' if below else '<='} {high:g}")
    wanted = "a finite number" + (" " + " and ".join(bounds) if bounds else "")

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        ok = math.isfinite(value)
        if ok and low is not None:
            ok = value > low if above else value >= low
        if ok and high is not None:
            ok = value < high if below else value <= high
        if not ok:
            raise argparse.ArgumentTypeError(f"must be {wanted}, not {text!r}")
        return value

    parse.__name__ = wanted
    return parse


count = whole(0)                        # 0 allowed: a switch-off (--samples 0, --max-retries 0)
positive = whole(1)
# torch.manual_seed overflows past 2**64 - 1, and a seed is stored as int64 in Parquet
seed_value = whole(0, 2**63 - 1)
fraction = number(0.0, 1.0)             # a share in [0, 1]
positive_number = number(0.0, above=True)

DEVICE_PATTERN = re.compile(r"auto|cpu|mps|cuda(:\d+)?")
DTYPES = ("auto", "float32", "bfloat16", "float16", "fp32", "bf16", "fp16")   # hf._pick_dtype


def device(text: str) -> str:
    if not DEVICE_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError(f"must be auto, cpu, cuda, cuda:N or mps, not {text!r}")
    return text


def signal_specs(text: str) -> tuple[str, ...]:
    """`--signals loss,min_k(k=0.1,...)`: split at top-level commas only, then build each
    signal once so that an unknown name or a bad parameter fails before any model loads.
    Returns the spec strings (the specs store strings; the audits build the signals)."""
    from ..signals import build_signals, split_specs
    from ..types import InputError

    specs = tuple(split_specs(text))
    if not specs:
        raise argparse.ArgumentTypeError("is empty; name signals, e.g. loss,min_k(k=0.1) "
                                         "(`mnemoscope signals` lists them)")
    try:
        build_signals(specs)
    except InputError as exc:               # "--signals: unknown signal 'x'; known: ..."
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--signals: ")) from None
    return specs


def int_list(text: str) -> tuple[int, ...]:
    """`--repetitions 1,4,16`: positive integers, comma-separated."""
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        values = ()
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: write a comma list of whole numbers >= 1, "
                                         "e.g. 1,4,16")
    return values


def shares(text: str) -> tuple[float, ...]:
    """`--ratios 0.4,0.6,0.8`: shares strictly between 0 and 1, comma-separated."""
    share = number(0.0, 1.0, above=True, below=True)
    try:
        values = tuple(share(part) for part in text.split(",") if part.strip())
    except argparse.ArgumentTypeError:
        values = ()
    if not values:
        raise argparse.ArgumentTypeError(f"{text!r}: give shares between 0 and 1 such as "
                                         "0.4,0.6,0.8")
    return values


# ---------------------------------------------------------------------------- flag groups
def add_model_flags(parser: argparse.ArgumentParser, *, scoring: bool = False,
                    title: str = "model") -> argparse._ArgumentGroup:
    """--model, --device, --dtype, --batch-size, --trust-remote-code; with scoring=True also
    --max-length, --long-text and --backend (what a log-prob audit can choose)."""
    group = parser.add_argument_group(title)
    group.add_argument("--model", default="smollm2-135m", help=MODEL_HELP)
    group.add_argument("--device", type=device, default="auto",
                       help="auto, cpu, cuda, cuda:N, mps (default auto)")
    group.add_argument("--dtype", default="auto", choices=DTYPES, metavar="DTYPE",
                       help="auto (float32 on CPU, bfloat16 on CUDA), float32, bfloat16, float16")
    group.add_argument("--batch-size", type=positive, default=8)
    group.add_argument("--trust-remote-code", action="store_true",
                       help="allow model code shipped with the model folder (off by default)")
    if scoring:
        group.add_argument("--max-length", type=whole(4), default=None,    # HFModel's minimum
                           help="tokens per forward pass (default: the model's context)")
        group.add_argument("--long-text", choices=["truncate", "window"], default="truncate",
                           help="texts longer than --max-length: truncate with a warning "
                                "(default) or score with a sliding window")
    from ..models.base import BUILTIN_BACKENDS, backends

    # the built-in backends, plus any a plugin registers (entry point or MNEMOSCOPE_PLUGINS)
    names = sorted(set(BUILTIN_BACKENDS) | set(backends.names()))
    group.add_argument("--backend", choices=names, default="hf",
                       help="hf: transformers (default; all signals). vllm: GPU serving. "
                            "openai: an OpenAI-compatible HTTP server (chosen by itself when "
                            "--model is an http(s) URL). vllm and openai have no vocabulary "
                            "statistics, so no Min-K%%++")
    add_endpoint_flags(parser)
    return group


def add_endpoint_flags(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """Flags of the OpenAI-compatible HTTP backend (used when --model is a URL)."""
    group = parser.add_argument_group("OpenAI-compatible endpoint (--model http://host:port/v1)")
    group.add_argument("--served-model", default=None,
                       help="the model name to request (default: the only model the server lists)")
    group.add_argument("--api-key-env", default="OPENAI_API_KEY",
                       help="environment variable holding the API key (default OPENAI_API_KEY; "
                            "the key is never logged or stored)")
    group.add_argument("--request-timeout", type=positive_number, default=120.0,
                       help="seconds per HTTP request (default 120)")
    group.add_argument("--max-retries", type=count, default=4,
                       help="retries on connection errors, timeouts, 429 and 5xx, with "
                            "exponential backoff (default 4)")
    group.add_argument("--rate-limit", type=positive_number, default=None, metavar="REQ_PER_S",
                       help="at most this many requests per second (default: no limit)")
    group.add_argument("--tokenizer", default=None,
                       help="a local tokenizer of the served model (smollm2-135m, an HF folder "
                            "or .gguf) to store real token ids (default: ids are -1)")
    return group


def add_data_flags(parser: argparse.ArgumentParser, *, labels: bool = True,
                   what: str = "texts") -> argparse._ArgumentGroup:
    """The positional DATA plus --text-column, --label-column, --id-column, --limit."""
    parser.add_argument("data", help=f"{what}: .jsonl, .csv/.tsv (.gz), .parquet, a folder of "
                                     ".txt files, or a saved HF dataset")
    group = parser.add_argument_group("data")
    group.add_argument("--text-column", default="text")
    if labels:
        group.add_argument("--label-column", default=None,
                           help='1 = member, 0 = non-member (default: "label" when present)')
    group.add_argument("--id-column", default=None,
                       help='default: "id" when present, else the row number')
    group.add_argument("--limit", type=positive, default=None, help="use only the first N rows")
    return group


def add_engine_flags(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """--engine local|ray, --workers, --ray-address (see mnemoscope.scale)."""
    group = parser.add_argument_group("scale-out")
    group.add_argument("--engine", choices=["local", "ray"], default="local",
                       help="local (one process) or ray (a Ray Data actor pool)")
    group.add_argument("--workers", type=positive, default=2,
                       help="Ray workers: actors holding a model each, or tasks in flight "
                            "for the model-free overlap scan")
    group.add_argument("--ray-address", default=None,
                       help="an existing Ray cluster (default: start a local one)")
    return group


def add_signals_flag(group, *, default: str | None = None,
                     help: str = "comma list (default: score's defaults)") -> None:
    """--signals, parsed by the one top-level-comma splitter (signal_specs)."""
    group.add_argument("--signals", type=signal_specs, default=default, help=help)


# ---------------------------------------------------------------------------- configs
def endpoint_config(args: argparse.Namespace):
    """The EndpointConfig that the flags of add_endpoint_flags describe."""
    from ..models.base import EndpointConfig

    fields = {name: getattr(args, flag) for flag, name in (
        ("served_model", "served_model"), ("api_key_env", "api_key_env"),
        ("request_timeout", "request_timeout"), ("max_retries", "max_retries"),
        ("rate_limit", "requests_per_second"), ("tokenizer", "tokenizer")) if hasattr(args, flag)}
    return EndpointConfig(**fields)


def model_config(args: argparse.Namespace, **overrides: Any):
    """The ModelConfig that the flags of add_model_flags describe. A CUDA device asked of a
    machine without one is refused here, before the model loads."""
    from ..models.base import ModelConfig

    fields = dict(model=args.model, device=args.device, dtype=args.dtype,
                  batch_size=args.batch_size, trust_remote_code=args.trust_remote_code,
                  backend=getattr(args, "backend", "hf"), endpoint=endpoint_config(args))
    for name in ("max_length", "long_text"):
        if hasattr(args, name):
            fields[name] = getattr(args, name)
    fields.update(overrides)
    config = ModelConfig(**fields)
    if config.resolved_backend() != "openai":      # a server's device is its own business
        check_cuda(config.device)
    return config


def check_model_files(model: str) -> None:
    """A missing model, a folder without config.json or weights, a .gguf that is not GGUF:
    refused from the files alone, before any data is read or model loaded."""
    from ..models.checkpoints import checkpoint_series
    from ..models.hf import check_source

    series = checkpoint_series(model)          # a checkpoint series: check each model in it
    for path in [c.path for c in series] if series else [model]:
        check_source(path, weights=True)


def check_cuda(device_name: str) -> None:
    """--device cuda[:N] needs that CUDA device here. Imports torch, so only at run time."""
    if not device_name.startswith("cuda"):
        return
    from ..types import InputError

    try:
        import torch

        available = torch.cuda.device_count() if torch.cuda.is_available() else 0
    except ImportError:
        available = 0
    index = int(device_name.partition(":")[2] or 0)
    if index >= available:
        have = f"{available} CUDA device(s)" if available else "no CUDA device"
        raise InputError(f"--device {device_name}: this machine has {have}; pass --device cpu "
                         "or --device auto")


def data_config(args: argparse.Namespace, **overrides: Any):
    """The DataConfig that the flags of add_data_flags describe."""
    from ..data import DataConfig

    fields = dict(path=args.data, text_column=args.text_column,
                  label_column=getattr(args, "label_column", None), id_column=args.id_column,
                  limit=args.limit)
    fields.update(overrides)
    return DataConfig(**fields)


def engine_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments every audit's run function takes for add_engine_flags."""
    return {"engine": args.engine, "workers": args.workers, "ray_address": args.ray_address}


def progress(args: argparse.Namespace) -> bool:
    """Progress bars unless -q (a parser built without the global flags has no `quiet`)."""
    return not getattr(args, "quiet", False)
