"""Write a fine-tuned Llama-architecture model (a `mnemoscope lab` model folder, safetensors)
as a float32 GGUF file that llama-cpp-python can serve, taking every metadata key
(tokenizer, chat template, hyperparameters) from the GGUF it was fine-tuned from.

Used to serve lab ground truth through the OpenAI-compatible backend (SaMIA through HTTP,
bench/samia_http.py). A measurement tool, not part of the package.

    python bench/llama_gguf.py LAB/model BASE.gguf OUT.gguf [--f16]

Tensor names follow llama.cpp's Llama layout; the query and key projections are permuted
back into llama.cpp's rotary layout (the inverse of what transformers undoes on load).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

LAYER = {"input_layernorm.weight": "attn_norm.weight",
         "post_attention_layernorm.weight": "ffn_norm.weight",
         "self_attn.q_proj.weight": "attn_q.weight", "self_attn.k_proj.weight": "attn_k.weight",
         "self_attn.v_proj.weight": "attn_v.weight", "self_attn.o_proj.weight": "attn_output.weight",
         "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight",
         "mlp.down_proj.weight": "ffn_down.weight"}


def rotary_permute(weight: np.ndarray, heads: int) -> np.ndarray:
    """HF's (heads * head_dim, hidden) query/key layout -> llama.cpp's interleaved halves."""
    rows = weight.shape[0]
    return (weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:])
            .swapaxes(1, 2).reshape(weight.shape))


def gguf_name(name: str) -> str | None:
    if name == "model.embed_tokens.weight":
        return "token_embd.weight"
    if name == "model.norm.weight":
        return "output_norm.weight"
    if name == "lm_head.weight":
        return "output.weight"
    parts = name.split(".")
    if parts[:2] == ["model", "layers"]:
        return f"blk.{parts[2]}." + LAYER[".".join(parts[3:])]
    return None


def convert(model_dir: Path, base_gguf: Path, out: Path, f16: bool = False) -> Path:
    """f16: matrices as float16 (half the bytes per generated token; llama.cpp on CPU is
    memory-bound), norms stay float32."""
    import json

    from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter
    from safetensors.numpy import load_file

    config = json.loads((model_dir / "config.json").read_text())
    base = GGUFReader(str(base_gguf))
    writer = GGUFWriter(str(out), arch="llama")
    for key, field in base.fields.items():
        if key.startswith("GGUF.") or key in ("general.architecture", "general.file_type"):
            continue
        kind = field.types[0]
        value = field.contents()
        if kind == GGUFValueType.ARRAY:
            writer.add_key_value(key, value, kind, sub_type=field.types[-1])
        else:
            writer.add_key_value(key, value, kind)
    writer.add_file_type(1 if f16 else 0)                      # mostly float16, or all float32
    tensors = load_file(str(model_dir / "model.safetensors"))
    tied = config.get("tie_word_embeddings", False)
    for name in sorted(tensors):
        target = gguf_name(name)
        if target is None or (tied and target == "output.weight"):
            continue
        weight = tensors[name].astype(np.float32)
        if target.endswith("attn_q.weight"):
            weight = rotary_permute(weight, config["num_attention_heads"])
        elif target.endswith("attn_k.weight"):
            weight = rotary_permute(weight, config["num_key_value_heads"])
        if f16 and weight.ndim == 2:
            writer.add_tensor(target, weight.astype(np.float16), raw_dtype=GGMLQuantizationType.F16)
        else:
            writer.add_tensor(target, weight, raw_dtype=GGMLQuantizationType.F32)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("base_gguf", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--f16", action="store_true", help="float16 matrices")
    args = parser.parse_args(argv)
    print(convert(args.model_dir, args.base_gguf, args.out, args.f16))
    return 0


if __name__ == "__main__":
    sys.exit(main())
