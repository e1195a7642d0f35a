"""Where the time of one scoring forward goes on CPU, float32 against bfloat16.

Runs the decoder plus the LM head (on 128 rows, one vocab_stats chunk) of the embedded
model on a batch of random token ids under torch.profiler, and prints the self time by
kind of operator: matrix products, attention, element-wise work (norms, rotary, SiLU,
residual adds) and dtype copies. Then times the variants interleaved (A, B, A, B ...).

Run: OMP_NUM_THREADS=1 python bench/profile_bf16.py [--threads 1] [--batch 8] [--width 128]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

KINDS = {
    "matmul": ("aten::mm", "aten::addmm", "aten::bmm", "mkldnn::_linear_pointwise"),
    "attention": ("aten::_scaled_dot_product_flash_attention_for_cpu",
                  "aten::_scaled_dot_product_attention_math", "aten::softmax", "aten::_softmax"),
    "dtype copies": ("aten::copy_", "aten::_to_copy"),
    "element-wise": ("aten::mul", "aten::add", "aten::silu", "aten::pow", "aten::mean",
                     "aten::rsqrt", "aten::neg", "aten::cat", "aten::sum", "aten::sub",
                     "aten::div", "aten::div_", "aten::exp", "aten::_fused_rms_norm",
                     "aten::rms_norm", "aten::cos", "aten::sin"),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch
    from torch.profiler import ProfilerActivity, profile

    from mnemoscope.models import load_model
    from mnemoscope.models.fast_cpu import unpack_linears

    torch.set_num_threads(args.threads)
    plain = load_model("smollm2-135m", dtype="bfloat16").model
    unpack_linears(plain)
    fast = load_model("smollm2-135m", dtype="bfloat16").model      # prepacked linears
    variants = {"float32": load_model("smollm2-135m", dtype="float32").model,
                "bfloat16 (HF as is)": plain, "bfloat16 fast path": fast}
    ids = torch.randint(0, fast.config.vocab_size, (args.batch, args.width),
                        generator=torch.Generator().manual_seed(0))

    def forward(network) -> None:
        with torch.inference_mode():
            hidden = network.model(input_ids=ids).last_hidden_state
            network.lm_head(hidden.reshape(-1, hidden.shape[-1])[:128]).float()

    for network in variants.values():
        forward(network)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, batch "
          f"{args.batch} x {args.width} tokens, cpu capability "
          f"{torch.backends.cpu.get_cpu_capability()}, load {os.getloadavg()[0]:.2f}")
    for name, network in variants.items():
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            forward(network)
        self_ms: dict[str, float] = {}
        total = 0.0
        for event in prof.key_averages():
            total += event.self_cpu_time_total / 1e3
            kind = next((k for k, ops in KINDS.items() if event.key in ops), "other")
            self_ms[kind] = self_ms.get(kind, 0.0) + event.self_cpu_time_total / 1e3
        shares = ", ".join(f"{k} {v:.0f} ms ({v / total:.0%})" for k, v in
                           sorted(self_ms.items(), key=lambda kv: -kv[1]))
        print(f"{name:22s} total {total:.0f} ms: {shares}")

    best = {name: float("inf") for name in variants}
    for _ in range(args.repeats):                      # interleaved: load hits all alike
        for name, network in variants.items():
            start = time.perf_counter()
            forward(network)
            best[name] = min(best[name], time.perf_counter() - start)
    base = best["float32"]
    for name, seconds in best.items():
        print(f"{name:22s} {ids.numel() / seconds:7.0f} tokens/s  {base / seconds:5.2f}x float32")
    print(f"load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
