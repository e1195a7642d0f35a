"""Hugging Face transformers backend (the default).

Scoring policy, applied identically to every text:
- The text is tokenized without special tokens, then one start token is prepended, so the
  first text token is scored too: the tokenizer's BOS when it adds one by itself, otherwise
  its `<|endoftext|>` document separator when the vocabulary has one (SmolLM2, GPT-2,
  Pythia), otherwise EOS. Every text token is scored; the start token never is.
- Texts longer than the context (`max_length`, default the model's) are truncated to the
  first max_length - 1 tokens with a warning (`long_text="truncate"`), or scored with a
  sliding window of stride max_length // 2 (`long_text="window"`): every token is scored
  once, with at least half a context of history.
- Batches are bucketed by length (sorted, then cut) with right padding.
- The decoder runs once per batch; the LM head and the vocabulary statistics run on the
  device in row chunks (see vocab_stats.py), so no T x V matrix reaches the CPU.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..types import Capabilities, InputError, TokenScores
from .base import ModelConfig, backends, right_pad

log = logging.getLogger(__name__)


@dataclass
class _Segment:
    text_index: int
    input_ids: list[int]
    score_from: int          # first position whose token is scored (>= 1)


def _pick_dtype(torch, dtype: str, device: str, hidden_size: int | None = None):
    return _choose_dtype(torch, dtype, device, hidden_size)[0]


def _choose_dtype(torch, dtype: str, device: str, hidden_size: int | None = None):
    """(torch dtype, the reason): `auto` is bfloat16 on a CUDA GPU that supports it, and on
    a CPU follows fast_cpu.auto_cpu_dtype (bfloat16 where AMX-BF16 is present)."""
    if dtype == "auto":
        if device.startswith("cuda"):
            if torch.cuda.is_bf16_supported():
                return torch.bfloat16, "auto: CUDA with bfloat16"
            return torch.float32, "auto: CUDA without bfloat16"
        if device.startswith("cpu"):
            from .fast_cpu import auto_cpu_dtype

            name, reason = auto_cpu_dtype(hidden_size)
            return getattr(torch, name), reason
        return torch.float32, f"auto: float32 on {device}"
    return _named_dtype(torch, dtype), f"asked: --dtype {dtype}"


def _named_dtype(torch, dtype: str):
    try:
        return {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
                "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}[dtype]
    except KeyError:
        raise InputError(f"unknown dtype {dtype!r}; use float32, bfloat16 or float16") from None


def _fingerprint_dir(path: Path) -> str:
    """Cheap identity of a model directory: config plus, per weight file, its size and the
    SHA-256 of its first and last MiB. Full hashes of multi-GB weights cost minutes."""
    digest = hashlib.sha256()
    for name in sorted(p.name for p in path.iterdir()):
        file = path / name
        if not file.is_file():
            continue
        if name.endswith((".json", ".model", ".txt")):
            digest.update(name.encode() + file.read_bytes())
        elif name.endswith((".safetensors", ".bin", ".pt")):
            size = file.stat().st_size
            with open(file, "rb") as handle:
                head = handle.read(1 << 20)
                handle.seek(max(0, size - (1 << 20)))
                tail = handle.read(1 << 20)
            digest.update(f"{name}:{size}".encode() + head + tail)
    return digest.hexdigest()


WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")   # what from_pretrained reads
GGUF_MAGIC = b"GGUF"                                          # the first 4 bytes of every GGUF


def check_source(source: str, *, weights: bool = False) -> None:
    """Refuse a model name or path that cannot load, from its files alone (of a .gguf only
    the first 4 bytes are read): no such path, a folder without config.json, a .gguf that is
    not GGUF, and with `weights` a folder without weight files (a tokenizer-only folder is
    fine for a tokenizer, not for a model)."""
    from . import embedded

    if source.lower() in embedded.EMBEDDED_NAMES:
        return
    path = Path(source).expanduser()
    if path.is_file() and path.suffix.lower() == ".gguf":
        with open(path, "rb") as handle:
            if handle.read(4) != GGUF_MAGIC:
                raise InputError(f"model {source}: not a GGUF file (it does not start with the "
                                 "GGUF magic bytes). Is the file complete? Download it again, "
                                 "or pass a Hugging Face model directory.")
        return
    if path.is_dir() and (path / "config.json").is_file():
        if weights and not any(p.name.endswith(WEIGHT_SUFFIXES) for p in path.iterdir()):
            raise InputError(f"model {source}: config.json but no weights (no *.safetensors "
                             "or *.bin file). Was the download cut short? Copy the weight "
                             "files into the folder.")
        return
    if path.exists():
        raise InputError(f"model {source}: not a model directory (no config.json) nor a "
                         ".gguf file. Pass a Hugging Face model directory, a .gguf file, "
                         "or smollm2-135m.")
    raise InputError(f"model {source}: no such file or directory, and not a known name "
                     f"(known: smollm2-135m). Models are never downloaded from a hub; "
                     "download them yourself and pass the local path.")


def resolve_source(config: ModelConfig) -> tuple[Path, str, str, str]:
    """(loadable directory, short name, source path, file hash) for a model name or path.
    GGUF files are converted (once, cached) to a safetensors directory here."""
    from . import embedded

    source = config.model
    check_source(source)
    if source.lower() in embedded.EMBEDDED_NAMES:
        gguf = embedded.embedded_gguf_path()
        directory, file_hash = embedded.converted_gguf_dir(gguf)
        return directory, "smollm2-135m", str(gguf), file_hash
    path = Path(source).expanduser()
    if path.is_file():                       # a .gguf (check_source refused anything else)
        directory, file_hash = embedded.converted_gguf_dir(
            path, trust_remote_code=config.trust_remote_code)
        return directory, path.stem, str(path), file_hash
    return path, path.name, str(path), _fingerprint_dir(path)


def _load_tokenizer(directory: Path, config: ModelConfig):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(directory, trust_remote_code=config.trust_remote_code)
    except (OSError, ValueError, json.JSONDecodeError, KeyError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot load the tokenizer from {directory}: {first}. Check that the "
                         "directory holds a complete causal LM (config.json, weights, "
                         "tokenizer).") from None


def choose_start_token(tok) -> int | None:
    """The token prepended to every text so that its first token is scored."""
    probe = tok("a").input_ids
    if tok.bos_token_id is not None and probe and probe[0] == tok.bos_token_id:
        return int(tok.bos_token_id)
    vocab = tok.get_vocab()
    for name in ("<|endoftext|>", "</s>", "<eos>"):
        if name in vocab:
            return int(vocab[name])
    for candidate in (tok.eos_token_id, tok.bos_token_id):
        if candidate is not None:
            return int(candidate)
    return None


def generation_prefix(start: list[int], specials: set[int], ids: Sequence[int]) -> list[int]:
    """What goes before a generation prompt: the start token, as in scoring, except before
    a prompt that already opens with a special token (a chat template's `<|im_start|>`, a
    BOS), which the model saw in training with nothing in front of it."""
    return [] if ids and ids[0] in specials else start


def _identity(name, source, file_hash, torch_dtype, max_length, config, start_token_id,
              dtype_choice: str | None = None):
    import torch
    import transformers

    identity = {"name": name, "source": source, "file_hash": file_hash,
                "dtype": str(torch_dtype).removeprefix("torch."), "max_length": int(max_length),
                "long_text": config.long_text, "start_token_id": start_token_id,
                "versions": {"torch": torch.__version__, "transformers": transformers.__version__}}
    if dtype_choice is not None:    # recorded in spec.json; never blocks a resume (runs.py)
        identity["dtype_choice"] = dtype_choice
    return identity


def describe(config: ModelConfig) -> dict[str, Any]:
    """The identity HFModel(config).identity() would give, without loading the weights
    (what a Ray driver records before its workers load the model)."""
    import torch
    from transformers import AutoConfig

    directory, name, source, file_hash = resolve_source(config)
    device = config.device if config.device != "auto" else \
        ("cuda" if torch.cuda.is_available() else "cpu")
    model_config = AutoConfig.from_pretrained(directory,
                                              trust_remote_code=config.trust_remote_code)
    context = getattr(model_config, "max_position_embeddings", None) or 2048
    torch_dtype, reason = _choose_dtype(torch, config.dtype, device,
                                        getattr(model_config, "hidden_size", None))
    return _identity(name, source, file_hash, torch_dtype,
                     config.max_length or context, config,
                     choose_start_token(_load_tokenizer(directory, config)), reason)


@backends.register("hf")
class HFModel:
    """A causal LM loaded with transformers from a local directory or GGUF file."""

    declared = (Capabilities.LOGPROBS | Capabilities.VOCAB_STATS | Capabilities.GENERATE
                | Capabilities.PREFIX)

    def __init__(self, config: ModelConfig | None = None, **overrides: Any) -> None:
        import torch
        from transformers import AutoModelForCausalLM

        config = config or ModelConfig()
        if overrides:
            config = replace(config, **overrides)
        self.config = config
        directory, self.name, self._source, self._file_hash = resolve_source(config)
        device = config.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        self.tokenizer = _load_tokenizer(directory, config)
        try:
            from transformers import AutoConfig

            model_config = AutoConfig.from_pretrained(
                directory, trust_remote_code=config.trust_remote_code)
            self.torch_dtype, self.dtype_choice = _choose_dtype(
                torch, config.dtype, device, getattr(model_config, "hidden_size", None))
            self.model = AutoModelForCausalLM.from_pretrained(
                directory, dtype=self.torch_dtype, trust_remote_code=config.trust_remote_code)
        except (OSError, ValueError, json.JSONDecodeError, KeyError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"cannot load model from {directory}: {first}. Check that the "
                             "directory holds a complete causal LM (config.json, weights, "
                             "tokenizer).") from None
        self.model.to(self.device).eval()
        if self.device.type == "cpu" and self.torch_dtype == torch.bfloat16:
            from .fast_cpu import prepack_linears

            # inference only: the packed copies do not follow later weight updates
            self.packed_linears = prepack_linears(self.model)
        self._finish_setup()

    @classmethod
    def from_network(cls, network, tokenizer, *, name: str = "in-memory", batch_size: int = 8,
                     max_length: int | None = None) -> "HFModel":
        """The backend around a network already in memory (one being trained: a Trainer
        callback scores it between steps), with the same scoring policy as a loaded model.
        Nothing is copied: the wrapper reads the live weights. A peft wrapper is unwrapped
        to its base network, whose layers still route through the adapters."""
        if hasattr(network, "get_base_model"):
            network = network.get_base_model()
        first = next(network.parameters())
        self = cls.__new__(cls)
        self.config = ModelConfig(model=name, device=str(first.device),
                                  dtype=str(first.dtype).removeprefix("torch."),
                                  batch_size=batch_size, max_length=max_length)
        self.name, self._source, self._file_hash = name, "in memory", None
        self.device, self.torch_dtype = first.device, first.dtype
        self.dtype_choice = None
        self.tokenizer, self.model = tokenizer, network
        self._finish_setup()
        return self

    def _finish_setup(self) -> None:
        config = self.config
        self.start_token_id = choose_start_token(self.tokenizer)
        context = getattr(self.model.config, "max_position_embeddings", None) or 2048
        self.max_length = int(config.max_length or context)
        if self.max_length < 4:
            raise InputError(f"max_length {self.max_length} is too small; use at least 4")
        self.batch_size = max(1, int(config.batch_size))
        self.capabilities = self.declared
        self._decoder, self._head, self._logit_fn = self._split_head()

    # ------------------------------------------------------------------ identity
    def identity(self) -> dict[str, Any]:
        return _identity(self.name, self._source, self._file_hash, self.torch_dtype,
                         self.max_length, self.config, self.start_token_id,
                         getattr(self, "dtype_choice", None))

    def _split_head(self):
        """Decoder body and LM head, so the head runs in chunks. Falls back to the full
        forward (still chunked statistics) for architectures with special logit maps."""
        cfg = self.model.config
        head = self.model.get_output_embeddings()
        decoder = getattr(self.model, "model", None)
        soft_cap = getattr(cfg, "final_logit_softcapping", None)
        logit_scale = getattr(cfg, "logit_scale", None)
        if head is None or decoder is None:
            return None, None, None
        logit_fn = None
        if soft_cap:
            def logit_fn(z, cap=float(soft_cap)):
                return cap * (z / cap).tanh()
        elif logit_scale not in (None, 1, 1.0):
            def logit_fn(z, scale=float(logit_scale)):
                return z * scale
        return decoder, head, logit_fn

    # ------------------------------------------------------------------ tokens
    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False).input_ids)

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=True)

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        """Each token decoded on its own, for per-token displays."""
        return self.tokenizer.batch_decode([[int(i)] for i in ids])

    def _prefix(self) -> list[int]:
        return [] if self.start_token_id is None else [self.start_token_id]

    def _segments(self, index: int, ids: list[int]) -> tuple[list[_Segment], bool]:
        prefix = self._prefix()
        length = self.max_length
        if len(prefix) + len(ids) <= length:
            return [_Segment(index, prefix + ids, len(prefix) or 1)], False
        if self.config.long_text == "truncate":
            return [_Segment(index, (prefix + ids)[:length], len(prefix) or 1)], True
        stride = max(1, length // 2)
        first = prefix + ids[: length - len(prefix)]
        segments = [_Segment(index, first, len(prefix) or 1)]
        done = length - len(prefix)                         # text tokens scored so far
        while done < len(ids):
            end = min(done + stride, len(ids))
            start = end - length
            segments.append(_Segment(index, ids[start:end], done - start))
            done = end
        return segments, False

    # ------------------------------------------------------------------ scoring
    def score(self, texts: Sequence[str], prefix: str | None = None) -> list[TokenScores]:
        import torch

        if prefix is not None:
            return self._score_after_prefix(texts, prefix)
        encoded = [self.encode(t) for t in texts]
        segments: list[_Segment] = []
        truncated = [False] * len(texts)
        for i, ids in enumerate(encoded):
            if not ids:
                raise InputError(f"text {i} has no tokens (empty text); remove it or give it content")
            parts, truncated[i] = self._segments(i, ids)
            segments.extend(parts)
        n_truncated = sum(truncated)
        if n_truncated:
            warnings.warn(f"{n_truncated} text(s) longer than {self.max_length} tokens were "
                          "truncated; use long_text='window' to score them whole", stacklevel=2)

        pieces: list[list[tuple[int, tuple[np.ndarray, ...]]]] = [[] for _ in texts]
        order = sorted(range(len(segments)), key=lambda k: len(segments[k].input_ids))
        for start in range(0, len(order), self.batch_size):
            keys = order[start:start + self.batch_size]
            batch = [segments[k] for k in keys]
            for key, seg, stats in zip(keys, batch, self._score_batch(batch, torch)):
                pieces[seg.text_index].append((key, stats))

        results = []
        for i, segs in enumerate(pieces):
            segs.sort(key=lambda item: item[0])   # windows back in text order
            segs = [stats for _, stats in segs]
            lp = np.concatenate([s[0] for s in segs])
            mean = np.concatenate([s[1] for s in segs])
            var = np.concatenate([s[2] for s in segs])
            ids = np.asarray(encoded[i][: lp.shape[0]], dtype=np.int32)
            results.append(TokenScores(ids, lp, mean, var, truncated=truncated[i]))
        return results

    def _prefix_and_texts(self, texts: Sequence[str], prefix: str):
        """Token ids of the prefix (start token included) and of each text, cut to fit the
        context after the prefix; which texts were cut."""
        prefix_ids = self._prefix() + self.encode(prefix)
        if len(prefix_ids) < 1 or not self.encode(prefix):
            raise InputError("the scoring prefix has no tokens; give it some text")
        room = self.max_length - len(prefix_ids)
        if room < 2:
            raise InputError(f"the scoring prefix takes {len(prefix_ids)} of the model's "
                             f"{self.max_length} tokens; shorten it")
        texts_ids, truncated = [], []
        for i, text in enumerate(texts):
            ids = self.encode(text)
            if not ids:
                raise InputError(f"text {i} has no tokens (empty text); remove it or give it content")
            texts_ids.append(ids[:room])
            truncated.append(len(ids) > room)
        if any(truncated):
            warnings.warn(f"{sum(truncated)} text(s) did not fit after the prefix and were "
                          "truncated", stacklevel=3)
        return prefix_ids, texts_ids, truncated

    def _score_after_prefix(self, texts: Sequence[str], prefix: str,
                            reuse_cache: bool = True) -> list[TokenScores]:
        """Each text scored after `prefix`; the prefix runs once (models/prefix_cache.py),
        or, with reuse_cache=False (or an architecture without a plain LM head), as part of
        every sequence: the reference the cached path is tested against."""
        import torch

        prefix_ids, texts_ids, truncated = self._prefix_and_texts(texts, prefix)
        if reuse_cache and self._decoder is not None and self._logit_fn is None:
            from .prefix_cache import score_after_prefix
            from .vocab_stats import DEFAULT_CHUNK_ROWS

            pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
            stats = score_after_prefix(
                self._decoder, self._head, self._logit_fn, prefix_ids, texts_ids,
                batch_size=self.batch_size, pad=pad, device=self.device,
                chunk_rows=DEFAULT_CHUNK_ROWS if self.device.type == "cpu" else 2048)
        else:
            segments = [_Segment(i, prefix_ids + ids, len(prefix_ids))
                        for i, ids in enumerate(texts_ids)]
            stats = [()] * len(segments)
            order = sorted(range(len(segments)), key=lambda k: len(segments[k].input_ids))
            for start in range(0, len(order), self.batch_size):
                keys = order[start:start + self.batch_size]
                for key, out in zip(keys, self._score_batch([segments[k] for k in keys], torch)):
                    stats[key] = out
        return [TokenScores(np.asarray(ids, dtype=np.int32), lp, mean, var, truncated=cut)
                for ids, (lp, mean, var), cut in zip(texts_ids, stats, truncated)]

    def _score_batch(self, batch: list[_Segment], torch) -> list[tuple[np.ndarray, ...]]:
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        input_ids, mask = right_pad([s.input_ids for s in batch], pad)
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        from .vocab_stats import DEFAULT_CHUNK_ROWS, token_stats

        with torch.inference_mode():
            if self._decoder is not None:
                hidden = self._decoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
                head, logit_fn = self._head, self._logit_fn
            else:  # full forward; identity head over logits
                hidden = self.model(input_ids=input_ids, attention_mask=mask).logits
                head, logit_fn = (lambda h: h), None
            # gather every scored position of the batch into one (N, H) block
            rows, cols, targets, counts = [], [], [], []
            for row, seg in enumerate(batch):
                n = len(seg.input_ids) - seg.score_from
                positions = torch.arange(seg.score_from - 1, seg.score_from - 1 + n)
                rows.append(torch.full((n,), row, dtype=torch.long))
                cols.append(positions)
                targets.append(torch.tensor(seg.input_ids[seg.score_from:], dtype=torch.long))
                counts.append(n)
            rows_t, cols_t = torch.cat(rows).to(self.device), torch.cat(cols).to(self.device)
            flat = hidden[rows_t, cols_t]                                       # (N, H)
            chunk = DEFAULT_CHUNK_ROWS if self.device.type == "cpu" else 2048
            lp, mean, var = token_stats(flat, head, torch.cat(targets).to(self.device),
                                        chunk_rows=chunk, logit_fn=logit_fn)
        lp, mean, var = (t.cpu().numpy() for t in (lp, mean, var))
        out, offset = [], 0
        for n in counts:
            out.append((lp[offset:offset + n], mean[offset:offset + n], var[offset:offset + n]))
            offset += n
        return out

    # ------------------------------------------------------------------ generation
    # rows (prompts x samples) decoded together: token-by-token products have few rows, so
    # wider calls run faster per token (on the 2-core AMX Xeon, float32: 269 tokens/s at 64
    # rows, 401 at 384); each call is as wide as keeps its KV cache under
    # GENERATION_CACHE_BYTES, with GENERATION_ROWS as the floor and GENERATION_MAX_ROWS as
    # the ceiling (docs/performance.md)
    GENERATION_ROWS = 64
    GENERATION_MAX_ROWS = 512
    GENERATION_CACHE_BYTES = 1 << 30
    # generate_tokens takes `seeds`, one per prompt (callers check this before passing it)
    per_prompt_seeds = True
    generation_logprobs = True     # generate_tokens(..., logprobs=True)

    def generation_rows(self, width: int) -> int:
        """Rows per decoding call when each row holds `width` positions: as many as keep the
        keys and values under GENERATION_CACHE_BYTES, within [max(GENERATION_ROWS,
        batch_size), GENERATION_MAX_ROWS]; the floor where the layout is not known."""
        floor = max(self.batch_size, self.GENERATION_ROWS)
        config = self.model.config
        layers = getattr(config, "num_hidden_layers", None)
        heads = getattr(config, "num_attention_heads", None)
        kv_heads = getattr(config, "num_key_value_heads", None) or heads
        head_dim = getattr(config, "head_dim", None) or (
            config.hidden_size // heads if heads and getattr(config, "hidden_size", None) else None)
        if not (layers and kv_heads and head_dim) or self.GENERATION_CACHE_BYTES <= 0:
            return floor
        element = next(self.model.parameters()).element_size()
        per_row = 2 * layers * kv_heads * head_dim * element * max(1, width)
        return max(floor, min(self.GENERATION_MAX_ROWS, self.GENERATION_CACHE_BYTES // per_row))

    def generate_tokens(self, prompts: Sequence[Sequence[int]], *, max_new_tokens: int, n: int = 1,
                        temperature: float = 0.0, top_k: int | None = None,
                        top_p: float | None = None, seed: int | None = None,
                        stop_at_eos: bool = True,
                        seeds: Sequence[int | None] | None = None,
                        logprobs: bool = False):
        """n continuations (token ids, prompt excluded) for each prompt of token ids.

        The start token is prepended as in scoring, except to a prompt that already opens
        with a special token (a chat template's `<|im_start|>`, a BOS): the model saw such
        prompts without anything before them. With a seed, prompt k's samples come from
        its own generator seeded from (seed, k); with `seeds`, prompt k's come from what
        `seed=seeds[k]` gives it alone, so a caller can batch many texts and get what one
        call per text gave. Either way results do not depend on how prompts are batched, in
        float32 (in bfloat16 some samples can change; batched_generate.py).

        With `logprobs`, returns (tokens, log p of each returned token): the log-probability
        the model gave that token (raw logits, no temperature or top-k), for callers that
        rank their own samples (`generation_logprobs` says the backend offers it)."""
        from .batched_generate import decode

        if seeds is not None and len(seeds) != len(prompts):
            raise ValueError(f"{len(seeds)} seeds for {len(prompts)} prompts")
        prefix = self._prefix()
        specials = set(self.tokenizer.all_special_ids)
        sampling = temperature > 0
        eos = [t for t in {self.tokenizer.eos_token_id, self.start_token_id} if t is not None]
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else eos[0]

        def prompt_seed(k: int) -> int | None:
            base, index = (seeds[k], 0) if seeds is not None else (seed, k)
            return None if base is None else (base * 1_000_003 + index) % (2**31 - 1)

        results: list[list[list[int]]] = [[] for _ in prompts]
        scored: list[list[list[float]]] = [[] for _ in prompts]
        width = max((len(p) for p in prompts), default=0) + len(prefix) + max_new_tokens
        step = max(1, self.generation_rows(width) // max(1, n))
        order = sorted(range(len(prompts)), key=lambda k: len(prompts[k]))
        for start in range(0, len(order), step):
            idx = order[start:start + step]
            seqs = [generation_prefix(prefix, specials, prompts[k]) + list(prompts[k])
                    for k in idx]
            out = decode(self.model, seqs, n=n, max_new_tokens=max_new_tokens, pad=pad,
                         eos=eos if stop_at_eos else None,
                         seeds=[prompt_seed(k) for k in idx] if sampling else None,
                         temperature=temperature if sampling else 0.0, top_k=top_k,
                         top_p=top_p, device=self.device, logprobs=logprobs)
            tokens, values = out if logprobs else (out, None)
            for j, (k, per_prompt) in enumerate(zip(idx, tokens)):
                for r, seq in enumerate(per_prompt):
                    lp = values[j][r] if values is not None else []
                    if stop_at_eos:
                        cut = next((p for p, t in enumerate(seq) if t in eos), len(seq))
                        seq, lp = seq[:cut], lp[:cut]
                    results[k].append(seq)
                    scored[k].append(lp)
        return (results, scored) if logprobs else results

    def generate(self, prompts: Sequence[str], *, max_new_tokens: int, n: int = 1,
                 temperature: float = 0.0, seed: int | None = None, top_k: int | None = None,
                 top_p: float | None = None,
                 seeds: Sequence[int | None] | None = None) -> list[list[str]]:
        ids = [self.encode(p) for p in prompts]
        out = self.generate_tokens(ids, max_new_tokens=max_new_tokens, n=n,
                                   temperature=temperature, top_k=top_k, top_p=top_p, seed=seed,
                                   seeds=seeds)
        return [[self.decode(seq) for seq in per_prompt] for per_prompt in out]
