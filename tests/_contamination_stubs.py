"""Scripted models for the contamination tests: words are tokens, outputs are fixed."""

from __future__ import annotations

import json

from mnemoscope.types import Capabilities


class WordModel:
    """Each whitespace-separated word is one token. `greedy[prompt]` and `samples[prompt]`
    are the outputs (as strings) returned for a prompt; `memorized` texts are continued
    verbatim from any prefix of theirs (what `generate` does), others get 'zz' words."""

    name = "words"
    capabilities = Capabilities.LOGPROBS | Capabilities.GENERATE

    def __init__(self, greedy=None, samples=None, memorized=()):
        self.vocab: dict[str, int] = {}
        self.greedy = greedy or {}
        self.samples = samples or {}
        self.memorized = list(memorized)
        self.calls: list[tuple] = []
        self.batches: list[int] = []       # prompts per generate() call

    def encode(self, text):
        return [self.vocab.setdefault(w, len(self.vocab)) for w in text.split()]

    def decode(self, ids):
        words = {i: w for w, i in self.vocab.items()}
        return " ".join(words[i] for i in ids)

    def identity(self):
        return {"name": "words", "script": len(self.greedy) + len(self.memorized)}

    def _prompt_of(self, ids):
        return self.decode(ids)

    def generate_tokens(self, prompts, *, max_new_tokens, n=1, temperature=0.0, top_k=None,
                        top_p=None, seed=None, stop_at_eos=True):
        out = []
        for ids in prompts:
            prompt = self._prompt_of(ids)
            self.calls.append((prompt, n, temperature, seed))
            if temperature == 0:
                texts = [self.greedy.get(prompt, "zz")] * n
            else:
                texts = (self.samples.get(prompt) or ["zz"] * n)[:n]
            out.append([self.encode(t)[:max_new_tokens] for t in texts])
        return out

    def generate(self, prompts, *, max_new_tokens, n=1, temperature=0.0, seed=None):
        self.batches.append(len(prompts))
        out = []
        for prompt in prompts:
            self.calls.append((prompt, n, temperature, seed))
            known = next((t for t in self.memorized if t.startswith(prompt)), None)
            rest = known[len(prompt):] if known is not None else "zz " * max_new_tokens
            out.append([" ".join(rest.split()[:max_new_tokens])] * n)
        return out


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path
