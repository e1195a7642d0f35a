"""Flags shared by every command: the model, the data file, and how they become configs.

One place declares `--model/--device/--dtype/--batch-size/...` and `DATA --text-column ...`
so that every audit spells them the same way. Imports no torch (cli.py builds its parser
from command modules that import this).
"""

from __future__ import annotations

import argparse
from typing import Any

MODEL_HELP = ("smollm2-135m (embedded default), a local HF model folder, a .gguf file, or the "
              "URL of an OpenAI-compatible server (http://host:port/v1; selects --backend "
              "openai)")


def add_model_flags(parser: argparse.ArgumentParser, *, scoring: bool = False,
                    title: str = "model") -> argparse._ArgumentGroup:
    """--model, --device, --dtype, --batch-size, --trust-remote-code; with scoring=True also
    --max-length, --long-text and --backend (what a log-prob audit can choose)."""
    group = parser.add_argument_group(title)
    group.add_argument("--model", default="smollm2-135m", help=MODEL_HELP)
    group.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N (default auto)")
    group.add_argument("--dtype", default="auto",
                       help="auto (float32 on CPU, bfloat16 on CUDA), float32, bfloat16, float16")
    group.add_argument("--batch-size", type=int, default=8)
    group.add_argument("--trust-remote-code", action="store_true",
                       help="allow model code shipped with the model folder (off by default)")
    if scoring:
        group.add_argument("--max-length", type=int, default=None,
                           help="tokens per forward pass (default: the model's context)")
        group.add_argument("--long-text", choices=["truncate", "window"], default="truncate",
                           help="texts longer than --max-length: truncate with a warning "
                                "(default) or score with a sliding window")
    group.add_argument("--backend", choices=["hf", "vllm", "openai"], default="hf",
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
    group.add_argument("--request-timeout", type=float, default=120.0,
                       help="seconds per HTTP request (default 120)")
    group.add_argument("--max-retries", type=int, default=4,
                       help="retries on connection errors, timeouts, 429 and 5xx, with "
                            "exponential backoff (default 4)")
    group.add_argument("--rate-limit", type=float, default=None, metavar="REQ_PER_S",
                       help="at most this many requests per second (default: no limit)")
    group.add_argument("--tokenizer", default=None,
                       help="a local tokenizer of the served model (smollm2-135m, an HF folder "
                            "or .gguf) to store real token ids (default: ids are -1)")
    return group


def model_config(args: argparse.Namespace, **overrides: Any):
    """The ModelConfig that the flags of add_model_flags describe."""
    from ..models.base import ModelConfig

    fields = dict(model=args.model, device=args.device, dtype=args.dtype,
                  batch_size=args.batch_size, trust_remote_code=args.trust_remote_code,
                  backend=getattr(args, "backend", "hf"))
    for flag, name in (("served_model", "served_model"), ("api_key_env", "api_key_env"),
                       ("request_timeout", "request_timeout"), ("max_retries", "max_retries"),
                       ("rate_limit", "requests_per_second"), ("tokenizer", "tokenizer")):
        if hasattr(args, flag):
            fields[name] = getattr(args, flag)
    for name in ("max_length", "long_text"):
        if hasattr(args, name):
            fields[name] = getattr(args, name)
    fields.update(overrides)
    return ModelConfig(**fields)


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
    group.add_argument("--limit", type=int, default=None, help="use only the first N rows")
    return group


def data_config(args: argparse.Namespace, **overrides: Any):
    """The DataConfig that the flags of add_data_flags describe."""
    from ..data import DataConfig

    fields = dict(path=args.data, text_column=args.text_column,
                  label_column=getattr(args, "label_column", None), id_column=args.id_column,
                  limit=args.limit)
    fields.update(overrides)
    return DataConfig(**fields)


def default_out(prefix: str, data: str, model: str) -> str:
    """runs/<prefix>-<data stem>-<model stem>, the default --out of every command."""
    from pathlib import Path

    stem = Path(model.rstrip("/")).stem if "://" not in model else "endpoint"
    name = f"{prefix}-" if prefix else ""
    return str(Path("runs") / f"{name}{Path(data).stem}-{stem}")


def add_engine_flags(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """--engine local|ray, --workers, --ray-address (see mnemoscope.scale)."""
    group = parser.add_argument_group("scale-out")
    group.add_argument("--engine", choices=["local", "ray"], default="local",
                       help="local (one process) or ray (a Ray Data actor pool)")
    group.add_argument("--workers", type=int, default=2,
                       help="Ray workers: actors holding a model each, or tasks in flight "
                            "for the model-free overlap scan")
    group.add_argument("--ray-address", default=None,
                       help="an existing Ray cluster (default: start a local one)")
    return group


def engine_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments every audit's run function takes for add_engine_flags."""
    return {"engine": args.engine, "workers": args.workers, "ray_address": args.ray_address}
