"""Canary exposure's candidate scoring on the embedded model: every candidate from scratch
(token_loss.continuation_logprobs) vs the format's shared tokens run once
(shared_prefix.sequence_logprobs). Prints seconds, the measured ratio and the largest
difference in log-perplexity.

    HF_HUB_OFFLINE=1 python bench/exposure_prefix_cache.py --candidates 512 --digits 10
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from mnemoscope.extraction.canaries import DEFAULT_FORMATS, sample_secrets
from mnemoscope.extraction.shared_prefix import sequence_logprobs
from mnemoscope.extraction.token_loss import continuation_logprobs
from mnemoscope.models import load_model


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--candidates", type=int, default=512)
    parser.add_argument("--digits", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)
    model = load_model(args.model)
    fmt = DEFAULT_FORMATS[1]
    ids = [model.encode(fmt.replace("{secret}", s))
           for s in sample_secrets(args.digits, args.candidates, 0, exclude="")]
    continuation_logprobs(model, [[]] * 4, ids[:4])          # warm-up, not timed
    clock = time.perf_counter()
    plain = continuation_logprobs(model, [[] for _ in ids], ids, batch_size=args.batch_size)
    plain_s = time.perf_counter() - clock
    clock = time.perf_counter()
    cached = sequence_logprobs(model, ids, batch_size=args.batch_size)
    cached_s = time.perf_counter() - clock
    print(f"{len(ids)} candidates of {len(ids[0])} tokens ({fmt!r}, {args.digits} digits), "
          f"batch {args.batch_size}")
    print(f"from scratch   {plain_s:7.2f} s")
    print(f"shared prefix  {cached_s:7.2f} s   ratio {plain_s / cached_s:.2f}x")
    print(f"max |delta log p| {float(np.max(np.abs(plain - cached))):.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
