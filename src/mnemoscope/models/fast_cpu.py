"""The bfloat16 fast path for CPUs with AMX (Intel Sapphire Rapids and later).

`--dtype bfloat16` on a CPU runs the network in bfloat16 with every linear layer on a
oneDNN prepacked weight (`torch.ops.mkldnn._linear_pointwise`): no re-layout of the
weight on each call: the decoder's products run 5.2x float32's speed against 4.2x
unpacked (whole scoring: within noise), and the few-row products of token-by-token
decoding 6x faster than unpacked bfloat16 (8x576x1536: 238 against 40 GFLOP/s). Log-softmax and the vocabulary statistics stay float32
(vocab_stats.py upcasts the logits). Measured in bench/profile_bf16.py,
bench/score_throughput.py and bench/bf16_agreement.py (docs/performance.md).

What `--dtype auto` picks on a CPU: float32. bfloat16 would be picked where AMX-BF16 is
present (read from /proc/cpuinfo: torch's own capability string stops at "AVX512") and the
model is at least MIN_HIDDEN wide, but only if AUTO_BF16_ON_AMX, and it is off because the
agreement bar is not met: on SmolLM2-135M the per-token |Δ log p| against float32 averages
0.067 nats (goal 0.02), 1.3 nats on the first token of a text (predicted from the start
token's state alone; we did not isolate why bfloat16 hurts that position most). The detection is still recorded in
spec.json (`dtype_choice`), so a run says what the machine could have used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

MIN_HIDDEN = 256               # narrower models gain nothing from 16 x 32 tiles
AUTO_BF16_ON_AMX = False       # see the module docstring: the agreement bar is not met
CPUINFO = Path("/proc/cpuinfo")


def cpu_flags(cpuinfo: Path = CPUINFO) -> set[str]:
    """The feature flags of the first CPU listed, empty where the file is unreadable."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags") and ":" in line:
            return set(line.split(":", 1)[1].split())
    return set()


def amx_bf16(flags: set[str] | None = None) -> bool:
    """True where the CPU has AMX tiles with the BF16 instructions."""
    flags = cpu_flags() if flags is None else flags
    return {"amx_bf16", "amx_tile"} <= flags


def auto_cpu_dtype(hidden_size: int | None, flags: set[str] | None = None,
                   bf16_agrees: bool | None = None) -> tuple[str, str]:
    """(dtype name, the reason) that `--dtype auto` picks on a CPU; `bf16_agrees` defaults
    to AUTO_BF16_ON_AMX (whether bfloat16 met the agreement bar against float32)."""
    import torch

    flags = cpu_flags() if flags is None else flags
    bf16_agrees = AUTO_BF16_ON_AMX if bf16_agrees is None else bf16_agrees
    if not amx_bf16(flags):
        return "float32", "auto: no AMX-BF16 in /proc/cpuinfo flags"
    if not torch.backends.mkldnn.is_available():
        return "float32", "auto: AMX-BF16 present but torch has no oneDNN"
    if hidden_size is not None and hidden_size < MIN_HIDDEN:
        return "float32", f"auto: AMX-BF16 present but hidden size {hidden_size} < {MIN_HIDDEN}"
    if not bf16_agrees:
        return "float32", ("auto: AMX-BF16 present; float32 kept (bfloat16 misses the "
                           "agreement bar; --dtype bfloat16 for the fast path)")
    return "bfloat16", "auto: AMX-BF16 in /proc/cpuinfo flags"


class PackedLinear:
    """A bias-optional linear map y = x W^T + b on oneDNN's prepacked bfloat16 weight.
    Callable like the nn.Linear it was built from; the original module is left untouched."""

    def __init__(self, linear) -> None:
        import torch

        weight = linear.weight.detach()
        self.in_features, self.out_features = weight.shape[1], weight.shape[0]
        self.packed = torch.ops.mkldnn._reorder_linear_weight(weight, None)
        self.bias = None if linear.bias is None else linear.bias.detach()

    def __call__(self, x):
        import torch

        return torch.ops.mkldnn._linear_pointwise(x, self.packed, self.bias, "none", [], "")


def _packed_forward(module, packed: PackedLinear):
    """The module's forward on the packed weight while its weight is the one packed and no
    gradient is wanted; the plain linear map otherwise (a training step, or weights changed
    in place since packing: the packed copy would be stale)."""
    import torch

    weight = module.weight
    version, pointer = weight._version, weight.data_ptr()

    def forward(x):
        current = module.weight
        if current is weight and current._version == version and \
                current.data_ptr() == pointer and not (torch.is_grad_enabled()
                                                       and current.requires_grad):
            return packed(x)
        return torch.nn.functional.linear(x, current, module.bias)
    return forward


def prepack_linears(network, *, skip: tuple[Any, ...] = ()) -> int:
    """Route every bfloat16 nn.Linear of `network` (but those in `skip`) through a prepacked
    oneDNN weight: its `forward` is replaced on the instance, its parameters stay (state
    dicts, tied weights and hooks see the same module). Returns how many were packed; 0
    where oneDNN cannot pack (then nothing changes)."""
    import torch

    if not torch.backends.mkldnn.is_available():
        return 0
    count = 0
    for module in network.modules():
        if isinstance(module, torch.nn.Linear) and module.weight.dtype == torch.bfloat16 \
                and module.weight.device.type == "cpu" and not any(module is s for s in skip):
            try:
                packed = PackedLinear(module)
            except RuntimeError:
                return count
            module.forward = _packed_forward(module, packed)
            count += 1
    return count


def unpack_linears(network) -> int:
    """Undo prepack_linears (the modules' own forward again); for benchmarks and for a
    network about to be trained. Returns how many were restored."""
    import torch

    count = 0
    for module in network.modules():
        if isinstance(module, torch.nn.Linear) and "forward" in vars(module):
            del module.forward
            count += 1
    return count


def for_training(config):
    """The ModelConfig a workflow that trains (lab, unlearn) loads: `--dtype auto` stays
    float32 off CUDA, as before the fast path, so fine-tuning and its results do not
    change with the CPU. An explicit dtype is kept."""
    from dataclasses import replace

    if config.dtype != "auto" or str(config.device).startswith("cuda"):
        return config
    if config.device == "auto":
        import torch

        if torch.cuda.is_available():
            return config
    return replace(config, dtype="float32")
