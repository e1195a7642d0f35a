"""vLLM backend (GPU, optional extra: pip install 'mnemoscope[vllm]').

- `score` reads vLLM's prompt log-probs: log p(x_t | x_<t) for every text token, with the
  same start-token policy as the HF backend (the tokenizer's own, loaded from the model).
- vLLM returns only the top-k log-probs per position, never the full distribution, so
  the vocabulary mean and variance that Min-K%++ needs are NOT available: the backend does
  not declare VOCAB_STATS, and a run asking for Min-K%++ stops before it starts with a
  message that points to the HF backend.
- `generate` asks vLLM for n samples per prompt in one request, each with its own seed
  derived from (seed, prompt index), matching the HF backend's convention.

Untested in CI (no GPU there); its tests skip without CUDA and vllm.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..types import Capabilities, InputError, TokenScores
from .base import ModelConfig, backends
from .hf import generation_prefix


@backends.register("vllm")
class VLLMModel:
    """Scoring and generation on GPUs through vLLM (prompt log-probs, no vocabulary stats)."""

    declared = Capabilities.LOGPROBS | Capabilities.GENERATE

    def __init__(self, config: ModelConfig, **engine_args: Any) -> None:
        try:
            from vllm import LLM
        except ImportError:
            raise InputError("the vLLM backend needs vllm and a GPU: pip install "
                             "'mnemoscope[vllm]'") from None
        from .hf import _load_tokenizer, choose_start_token, resolve_source

        directory, self.name, self._source, self._file_hash = resolve_source(config)
        self.config = config
        self.tokenizer = _load_tokenizer(directory, config)
        self.start_token_id = choose_start_token(self.tokenizer)
        dtype = "auto" if config.dtype == "auto" else config.dtype
        self.llm = LLM(model=str(directory), dtype=dtype, trust_remote_code=config.trust_remote_code,
                       max_model_len=config.max_length, seed=0, **engine_args)
        self.max_length = int(self.llm.llm_engine.model_config.max_model_len)
        self.capabilities = Capabilities.LOGPROBS | Capabilities.GENERATE

    def identity(self) -> dict[str, Any]:
        import vllm

        return {"name": self.name, "source": self._source, "file_hash": self._file_hash,
                "dtype": self.config.dtype, "max_length": self.max_length,
                "long_text": "truncate", "start_token_id": self.start_token_id,
                "backend": "vllm", "versions": {"vllm": vllm.__version__}}

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False).input_ids)

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=True)

    def _prompt(self, ids: Sequence[int], specials: set[int] | None = None) -> dict[str, Any]:
        """A request's prompt; `specials` (the tokenizer's special ids) marks a generation
        prompt, which gets the HF backend's generation_prefix rule."""
        prefix = [] if self.start_token_id is None else [self.start_token_id]
        if specials is not None:
            prefix = generation_prefix(prefix, specials, ids)
        return {"prompt_token_ids": (prefix + list(ids))[: self.max_length]}

    def score(self, texts: Sequence[str], prefix: str | None = None) -> list[TokenScores]:
        if prefix is not None:
            from .base import require

            require(self, Capabilities.PREFIX, "scoring after a prefix")
        from vllm import SamplingParams

        encoded = [self.encode(t) for t in texts]
        for i, ids in enumerate(encoded):
            if not ids:
                raise InputError(f"text {i} has no tokens (empty text)")
        params = SamplingParams(max_tokens=1, prompt_logprobs=1, temperature=0.0)
        outputs = self.llm.generate([self._prompt(ids) for ids in encoded], params, use_tqdm=False)
        results = []
        for ids, output in zip(encoded, outputs):
            prompt_ids = output.prompt_token_ids
            scored = output.prompt_logprobs[1:]               # position 0 has no prediction
            values = [entry[token].logprob for entry, token in zip(scored, prompt_ids[1:])]
            n = len(values)
            results.append(TokenScores(np.asarray(prompt_ids[1:], dtype=np.int32),
                                       np.asarray(values, dtype=np.float32),
                                       truncated=n < len(ids)))
        return results

    def generate_tokens(self, prompts: Sequence[Sequence[int]], *, max_new_tokens: int, n: int = 1,
                        temperature: float = 0.0, top_k: int | None = None,
                        top_p: float | None = None, seed: int | None = None,
                        stop_at_eos: bool = True) -> list[list[list[int]]]:
        from vllm import SamplingParams

        requests, params = [], []
        specials = set(self.tokenizer.all_special_ids)
        for index, ids in enumerate(prompts):
            requests.append(self._prompt(ids, specials))
            params.append(SamplingParams(
                n=n, max_tokens=max_new_tokens, temperature=temperature,
                top_k=top_k or -1 if temperature > 0 else -1, top_p=top_p or 1.0,
                seed=None if seed is None else (seed * 1_000_003 + index) % (2**31 - 1),
                ignore_eos=not stop_at_eos))
        outputs = self.llm.generate(requests, params, use_tqdm=False)
        return [[list(choice.token_ids) for choice in output.outputs] for output in outputs]

    def generate(self, prompts: Sequence[str], *, max_new_tokens: int, n: int = 1,
                 temperature: float = 0.0, seed: int | None = None, top_k: int | None = None,
                 top_p: float | None = None) -> list[list[str]]:
        out = self.generate_tokens([self.encode(p) for p in prompts], max_new_tokens=max_new_tokens,
                                   n=n, temperature=temperature, top_k=top_k, top_p=top_p, seed=seed)
        return [[self.decode(seq) for seq in per_prompt] for per_prompt in out]
