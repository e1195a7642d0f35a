"""`mnemoscope check-endpoint URL --against MODEL`: do a server's log-probs match a local
copy of the model?"""

from __future__ import annotations

import argparse
import json

from .command import Command
from .flags import add_endpoint_flags, number, positive

DEFAULT_TOLERANCE = 0.5   # mean |delta log p|: llama.cpp Q4_1 vs float32 HF 0.11, off by one 9.9


def url(text: str) -> str:
    from ..models.http_client import is_endpoint

    if not is_endpoint(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an http:// or https:// URL; write "
                                         "it as http://host:port/v1")
    return text


class CheckEndpoint(Command):
    name = "check-endpoint"
    help = "compare an OpenAI-compatible server's log-probs with a local model"
    description = ("Scores a few texts through the server (echo + logprobs) and through a "
                   "local copy of the same model (transformers), and reports the mean and "
                   "largest per-token |delta log p|. Exit 0 when the mean is within "
                   "--tolerance, 1 when not.")
    json = True

    def add_flags(self, parser):
        parser.add_argument("url", type=url, help="the server's base URL, e.g. "
                                                  "http://127.0.0.1:8000/v1")
        parser.add_argument("--against", default="smollm2-135m",
                            help="the local copy: smollm2-135m, an HF folder or a .gguf file")
        parser.add_argument("--texts", default=None,
                            help="a data file (anything `score` reads) to compare on instead of "
                                 "the built-in six sentences")
        parser.add_argument("--text-column", default="text")
        parser.add_argument("--limit", type=positive, default=20,
                            help="texts to use from --texts")
        parser.add_argument("--tolerance", type=number(0.0), default=DEFAULT_TOLERANCE,
                            help=f"largest acceptable mean per-token |delta log p| (default "
                                 f"{DEFAULT_TOLERANCE}; measured: a Q4_1 llama.cpp server vs "
                                 "float32 transformers 0.11, off-by-one log-probs 9.9)")
        add_endpoint_flags(parser)

    def main(self, args) -> int:
        from ..models import ModelConfig, load_model
        from .flags import check_model_files, endpoint_config
        from ..models.endpoint_check import DEFAULT_TEXTS, compare_backends

        check_model_files(args.against)          # before any request or model load
        texts = DEFAULT_TEXTS
        if args.texts:
            from ..data import DataConfig, load_samples

            samples = load_samples(DataConfig(path=args.texts, text_column=args.text_column,
                                              limit=args.limit))
            texts = tuple(s.text for s in samples)
        endpoint = load_model(ModelConfig(
            model=args.url, backend="openai", endpoint=endpoint_config(args)))
        reference = load_model(ModelConfig(model=args.against))
        result = compare_backends(endpoint, reference, texts)
        ok = result.mean_abs_delta <= args.tolerance
        if args.json:
            print(json.dumps({**result.as_dict(), "tolerance": args.tolerance, "ok": ok},
                             indent=2))
        else:
            print(f"endpoint {endpoint.client.public_url} ({endpoint.served_model}) vs "
                  f"{args.against}")
            print(result.table())
            if endpoint.logprobs_problem:
                print(f"scoring through this endpoint is refused: {endpoint.logprobs_problem}")
            print(("OK" if ok else "MISMATCH") + f": mean |delta log p| "
                  f"{result.mean_abs_delta:.4f} {'<=' if ok else '>'} tolerance {args.tolerance}")
        return 0 if ok else 1


command = CheckEndpoint()
