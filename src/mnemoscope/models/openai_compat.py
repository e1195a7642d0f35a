"""OpenAI-compatible HTTP backend: `--model http://host:port/v1`.

Scoring (`score`) sends each text to `/v1/completions` with `echo=true, logprobs=1,
max_tokens=1` and reads the prompt's own log-probs from the echo. `max_tokens` is 1, not
0: llama-cpp-python reads 0 as "generate until the context is full". The one generated
token is dropped (its count comes from `usage.completion_tokens`).

Start token. The HF backend scores every text token after one document-start token. A
server tokenizes by itself, so the start is chosen from what the server does (probed once):
- if the server adds a BOS of its own (echoed, like vLLM, or hidden, like
  llama-cpp-python; seen as `usage.prompt_tokens` > echoed tokens), nothing is prepended:
  the BOS is the start, as in the HF backend for tokenizers that add one;
- otherwise the text `<|endoftext|>` is prepended when the server reads it as one token
  (SmolLM2, GPT-2, Pythia, Qwen: the same start the HF backend uses for them);
- otherwise nothing is prepended, and the first text token, which then has no
  prediction, is not scored (TokenScores then covers tokens 2..T; `identity()` says so).
Any text token whose log-prob the server returns as null at the front (servers null the
first echoed entry by OpenAI convention) is dropped the same way.

Token ids. Servers return token strings, not ids. With `tokenizer=` (a name, HF folder or
.gguf of the same model), the text is tokenized locally and its ids are used when its
pieces spell the same tokens as the server's; otherwise `token_ids` is filled with -1
(a placeholder: signals never read ids; per-token text is then not stored).

Capabilities. GENERATE always (completions, or chat completions when a server has no
`/v1/completions`). LOGPROBS only when the echo works AND the alignment self-check in
echo_logprobs.py does not find the off-by-one pattern (llama-cpp-python pairs each prompt
token with the distribution after it when the model has no BOS: e.g. SmolLM2 through its
server gives -18.1 where -0.38 is right). VOCAB_STATS never: no server returns the
full-vocabulary distribution, so Min-K%++ is refused before a run starts.

The API key is read from the environment (`api_key_env`) by http_client.py and never
recorded. `identity()` holds the redacted base URL, the served model and what the server
reports about itself.
"""

from __future__ import annotations

import logging
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence

import numpy as np

from ..types import Capabilities, InputError, TokenScores
from . import echo_logprobs as echo
from .base import ModelConfig, backends
from .http_client import EndpointClient, EndpointError, RetryPolicy

log = logging.getLogger(__name__)

START_CANDIDATE = "<|endoftext|>"
LAYOUT_PROBE = "Hello world"
PLACEHOLDER_ID = -1


@backends.register("openai")
class OpenAICompatModel:
    """A model behind an OpenAI-compatible server (vLLM, llama-cpp-python, TGI, ...)."""

    # known before loading (None: only the loaded backend can tell)
    declared = None

    def __init__(self, config: ModelConfig, *, client: EndpointClient | None = None) -> None:
        self.config = config
        self.client = client or EndpointClient(
            config.model, api_key_env=config.endpoint.api_key_env,
            timeout_s=config.endpoint.request_timeout,
            retry=RetryPolicy(max_retries=max(0, int(config.endpoint.max_retries))),
            requests_per_second=config.endpoint.requests_per_second)
        self.concurrency = max(1, int(config.batch_size))
        self.served_model, self._model_entry = self._pick_model()
        self.name = self.served_model
        self.tokenizer = self._load_tokenizer(config)
        self.has_completions = True
        self.layout: echo.Layout | None = None
        self.alignment: echo.Alignment | None = None
        self.logprobs_problem: str | None = None
        self._probe_logprobs()
        self.capabilities = Capabilities.GENERATE
        if self.logprobs_problem is None:
            self.capabilities |= Capabilities.LOGPROBS
        else:
            warnings.warn(f"{self.client.public_url} ({self.served_model}): scoring is off: "
                          f"{self.logprobs_problem}", stacklevel=2)

    # ------------------------------------------------------------------ discovery
    def _pick_model(self) -> tuple[str, dict[str, Any]]:
        listing = self.client.get("models")
        served = [m for m in (listing.get("data") or []) if isinstance(m, dict) and "id" in m]
        names = [str(m["id"]) for m in served]
        wanted = self.config.endpoint.served_model
        if wanted:
            for entry in served:
                if entry["id"] == wanted:
                    return wanted, entry
            if names:
                raise InputError(f"{self.client.public_url} does not serve a model named "
                                 f"{wanted!r}; it serves: {', '.join(names[:20])}. Pass one of "
                                 "these with --served-model.")
            return wanted, {}                   # a server that lists nothing: trust the name
        if len(names) == 1:
            return names[0], served[0]
        if not names:
            raise InputError(f"{self.client.public_url}/models lists no model; pass the "
                             "model's name with --served-model NAME.")
        raise InputError(f"{self.client.public_url} serves {len(names)} models "
                         f"({', '.join(names[:20])}); pass one with --served-model NAME.")

    @staticmethod
    def _load_tokenizer(config: ModelConfig):
        if not config.endpoint.tokenizer:
            return None
        from .hf import _load_tokenizer, resolve_source

        directory, *_ = resolve_source(ModelConfig(model=config.endpoint.tokenizer,
                                                   trust_remote_code=config.trust_remote_code))
        return _load_tokenizer(directory, config)

    def _complete(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.client.post("completions", {"model": self.served_model, **body})

    def _echo(self, prompt: str) -> dict[str, Any]:
        return self._complete({"prompt": prompt, "echo": True, "logprobs": 1, "max_tokens": 1,
                               "temperature": 0.0})

    def _probe_logprobs(self) -> None:
        """Find the start-token layout, then run the alignment self-check."""
        try:
            plain = self._echo(LAYOUT_PROBE)
        except EndpointError as exc:
            if exc.status == 404:
                self.has_completions = False
                self.logprobs_problem = "the server has no /v1/completions (chat only)"
                return
            if exc.status in (400, 422):
                self.logprobs_problem = f"the server refuses echo with logprobs ({exc})"
                return
            raise
        layout = echo.measure_layout(plain, "", LAYOUT_PROBE)
        if layout is None:
            self.logprobs_problem = ("the reply to echo=true, logprobs=1 does not echo the "
                                     "prompt's tokens")
            return
        if layout.lead_entries == 0 and layout.hidden_tokens == 0:
            with_start = echo.measure_layout(self._echo(START_CANDIDATE + LAYOUT_PROBE),
                                             START_CANDIDATE, LAYOUT_PROBE)
            if with_start is not None and with_start.lead_entries == 1 \
                    and with_start.hidden_tokens == 0:
                layout = with_start
        self.layout = layout
        try:
            probe = echo.text_entries(self._echo(layout.start_text + echo.ALIGNMENT_PROBE),
                                      layout, echo.ALIGNMENT_PROBE)
        except ValueError as exc:
            self.logprobs_problem = f"its echo cannot be read ({exc})"
            return
        self.alignment = echo.alignment(probe)
        if self.alignment.verdict == echo.SHIFTED:
            self.logprobs_problem = (
                "its echoed log-probs are off by one token (alignment check: "
                f"{self.alignment.describe()}): each prompt token is paired with the "
                "distribution after it. llama-cpp-python does this for models whose "
                "tokenizer adds no BOS. Serve the model with a BOS (e.g. llama-cpp-python "
                "--kv_overrides tokenizer.ggml.add_bos_token=bool:true) or use another "
                "server; `mnemoscope check-endpoint` shows the numbers.")
        elif self.alignment.verdict == echo.UNVERIFIED:
            log.warning("%s: could not verify that echoed log-probs are aligned (%s); run "
                        "`mnemoscope check-endpoint` against a local copy of the model",
                        self.client.public_url, self.alignment.describe())

    # ------------------------------------------------------------------ identity
    def identity(self) -> dict[str, Any]:
        import requests

        entry = {k: self._model_entry[k] for k in ("id", "owned_by", "root", "parent",
                                                    "max_model_len") if k in self._model_entry}
        layout = self.layout
        return {"name": self.served_model, "backend": "openai", "source": self.client.public_url,
                "file_hash": None, "served_model": self.served_model,
                "server": {"models_entry": entry, "server_header": self.client.server_header},
                "start_text": None if layout is None else layout.start_text,
                "server_adds_bos": None if layout is None else
                bool(layout.lead_entries or layout.hidden_tokens),
                "first_token_scored": None if layout is None else
                bool(layout.start_text or layout.lead_entries or layout.hidden_tokens),
                "alignment": None if self.alignment is None else self.alignment.verdict,
                "logprobs": self.logprobs_problem is None,
                "tokenizer": self.config.endpoint.tokenizer, "max_length": self.config.max_length,
                "long_text": "server", "versions": {"requests": requests.__version__}}

    # ------------------------------------------------------------------ scoring
    def score(self, texts: Sequence[str], prefix: str | None = None) -> list[TokenScores]:
        if prefix is not None:
            from .base import require

            require(self, Capabilities.PREFIX, "scoring after a prefix")
        if self.logprobs_problem is not None:
            from ..types import CapabilityError

            raise CapabilityError(f"{self.client.public_url} cannot score texts: "
                                  f"{self.logprobs_problem}")
        return [scores for _, scores in self.echo_scores(texts)]

    def echo_scores(self, texts: Sequence[str]) -> list[tuple[list[str], TokenScores]]:
        """(token pieces, scores) per text, read from the echo even when the alignment
        check failed (check-endpoint uses this to show how far they are off)."""
        for i, text in enumerate(texts):
            if not text:
                raise InputError(f"text {i} is empty; remove it or give it content")
        layout = self.layout or echo.Layout("", 0, 0)
        return self._map(lambda text: self._score_one(text, layout), texts)

    def _map(self, fn: Callable[[str], Any], items: Sequence[Any]) -> list[Any]:
        if self.concurrency == 1 or len(items) <= 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(items))) as pool:
            return list(pool.map(fn, items))

    def _score_one(self, text: str, layout: echo.Layout) -> tuple[list[str], TokenScores]:
        try:
            part = echo.text_entries(self._echo(layout.start_text + text), layout, text)
        except ValueError as exc:
            raise EndpointError(f"{self.client.public_url}: cannot read the echo of a text "
                                f"({exc})") from None
        while part and part[0].logprob is None:      # no prediction for it: not scored
            part = part[1:]
        if any(e.logprob is None for e in part):
            raise EndpointError(f"{self.client.public_url}: the echo of a text has null "
                                "log-probs inside it; this server's echo cannot be read.")
        logprobs = np.asarray([e.logprob for e in part], dtype=np.float32)
        pieces = [e.token for e in part]
        return pieces, TokenScores(self._token_ids(text, pieces), logprobs)

    def _token_ids(self, text: str, pieces: list[str]) -> np.ndarray:
        placeholder = np.full(len(pieces), PLACEHOLDER_ID, dtype=np.int32)
        if self.tokenizer is None:
            return placeholder
        ids = list(self.tokenizer(text, add_special_tokens=False).input_ids)
        ids = ids[len(ids) - len(pieces):] if len(ids) >= len(pieces) else []
        if [self.tokenizer.decode([i]) for i in ids] != pieces:
            log.warning("the local tokenizer splits a text differently from the server; "
                        "its token ids are stored as %d", PLACEHOLDER_ID)
            return placeholder
        return np.asarray(ids, dtype=np.int32)

    @property
    def token_strings(self) -> Callable[[Sequence[int]], list[str]] | None:
        """Per-token text for reports; only with a local tokenizer (ids are -1 otherwise)."""
        if self.tokenizer is None:
            return None
        return lambda ids: self.tokenizer.batch_decode([[int(i)] for i in ids])

    # ------------------------------------------------------------------ generation
    def generate(self, prompts: Sequence[str], *, max_new_tokens: int, n: int = 1,
                 temperature: float = 0.0, seed: int | None = None, top_k: int | None = None,
                 top_p: float | None = None) -> list[list[str]]:
        """n continuations per prompt. Greedy (temperature 0) asks once and repeats the
        answer n times, as the HF backend returns n equal sequences. Sampling asks for n
        in one request and tops up with one request per missing sample when a server
        ignores `n` (llama-cpp-python does); sample j of prompt i is seeded from
        (seed, i, j) so results do not depend on how requests are grouped."""
        start = self.layout.start_text if self.layout else ""
        jobs = list(enumerate(prompts))
        return self._map(lambda job: self._generate_one(
            job[0], start + job[1], max_new_tokens, n, temperature, seed, top_k, top_p), jobs)

    def _generate_one(self, index: int, prompt: str, max_new_tokens: int, n: int,
                      temperature: float, seed: int | None, top_k: int | None,
                      top_p: float | None) -> list[str]:
        sampling = temperature > 0
        base_seed = None if seed is None else (seed * 1_000_003 + index) % (2**31 - 1)
        body: dict[str, Any] = {"max_tokens": int(max_new_tokens),
                                "temperature": float(temperature)}
        if sampling:
            if top_p is not None:
                body["top_p"] = float(top_p)
            if top_k is not None:
                body["top_k"] = int(top_k)      # not OpenAI, but vLLM and llama.cpp read it
        want = n if sampling else 1
        outputs: list[str] = []
        while len(outputs) < want:
            ask = want - len(outputs)
            request = dict(body, n=ask)
            if base_seed is not None:
                request["seed"] = (base_seed + 7919 * len(outputs)) % (2**31 - 1)
            outputs.extend(self._texts(prompt, request)[:ask])
        return outputs if sampling else outputs * n

    def _texts(self, prompt: str, request: dict[str, Any]) -> list[str]:
        if self.has_completions:
            reply = self._complete({"prompt": prompt, **request})
            choices = sorted(reply.get("choices") or [], key=lambda c: c.get("index", 0))
            texts = [str(c.get("text", "")) for c in choices]
        else:
            reply = self.client.post("chat/completions", {
                "model": self.served_model, "messages": [{"role": "user", "content": prompt}],
                **request})
            choices = sorted(reply.get("choices") or [], key=lambda c: c.get("index", 0))
            texts = [str((c.get("message") or {}).get("content") or "") for c in choices]
        if not texts:
            raise EndpointError(f"{self.client.public_url}: a completion reply has no choices")
        return texts
