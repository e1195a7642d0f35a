"""Reading prompt log-probs out of an OpenAI `/v1/completions` reply with `echo=true`.

A reply's `choices[0].logprobs` holds parallel lists `tokens`, `token_logprobs`,
`top_logprobs` (and `text_offset`) over [start tokens] + prompt tokens [+ generated
tokens]. Servers differ in what they echo: vLLM echoes a BOS it added, llama-cpp-python
hides it (and echoes the generated token only sometimes), every server nulls the log-prob
of the first entry. So the layout is measured once, on a probe (`measure_layout`), and
then applied to every reply (`text_entries`).

`alignment` is the model-free self-check. On a sentence repeated four times any trained LM
copies the repeats, so the top-1 token at position i must be token i (log-probs aligned)
or, when a server pairs each token with the distribution *after* it (off by one, the
llama-cpp-python bug for models without a BOS token), token i + 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

ALIGNMENT_PROBE = "The quick brown fox jumps over the lazy dog near the river bank. " * 4
ALIGNED, SHIFTED, UNVERIFIED = "aligned", "shifted", "unverified"
MIN_HIT_RATE = 0.6


@dataclass(frozen=True)
class Entry:
    token: str
    logprob: float | None
    top: dict[str, float] | None


def entries(reply: dict[str, Any]) -> tuple[list[Entry], int | None]:
    """(every echoed entry, `usage.prompt_tokens` or None) of a completion reply.

    The echoed entries may or may not include the generated token: llama-cpp-python
    echoes it only when it had evaluated it (with a BOS in the prompt, yes; without, no).
    So the prompt's entries are never found by dropping a fixed tail; see Layout."""
    choice = (reply.get("choices") or [{}])[0]
    lp = choice.get("logprobs") or {}
    tokens = lp.get("tokens") or []
    values = lp.get("token_logprobs") or [None] * len(tokens)
    tops = lp.get("top_logprobs") or [None] * len(tokens)
    rows = [Entry(str(t), None if v is None else float(v), top)
            for t, v, top in zip(tokens, values, tops)]
    prompt_tokens = (reply.get("usage") or {}).get("prompt_tokens")
    return rows, None if prompt_tokens is None else int(prompt_tokens)


def spelled_count(rows: Sequence[Entry], text: str, lead: int) -> int | None:
    """How many entries from `lead` on spell `text` exactly (None if none do)."""
    spelled = ""
    for n, entry in enumerate(rows[lead:], start=1):
        spelled += entry.token
        if spelled == text:
            return n
        if len(spelled) > len(text):
            return None
    return None


@dataclass(frozen=True)
class Layout:
    """Where a text's tokens sit in the echo, measured once on a probe.

    The text's entries are `rows[lead_entries : prompt_tokens - hidden_tokens]`, with
    `prompt_tokens` from the reply's usage (any text, non-ASCII included), or, when a
    server reports no usage, as many entries from `lead_entries` as spell the text."""

    start_text: str          # what we prepend to every text ("" = nothing)
    lead_entries: int        # echoed entries before the first text token
    hidden_tokens: int       # prompt tokens the server counted but did not echo (a BOS)


MAX_LEAD = 4                 # start tokens a server may echo before the text


def measure_layout(reply: dict[str, Any], start_text: str, probe: str) -> Layout | None:
    """The layout of a reply to `start_text + probe` (an ASCII probe), or None if no run
    of echoed entries spells the probe (no echo, or pieces we cannot map back).

    Leading entries that render as "" (llama-cpp-python prints control tokens such as
    <|endoftext|> that way) count as start entries: the largest lead that still spells
    the probe wins."""
    rows, prompt_tokens = entries(reply)
    for lead in range(min(MAX_LEAD, len(rows)), -1, -1):
        n_text = spelled_count(rows, probe, lead)
        if n_text is not None:
            echoed = lead + n_text
            hidden = max(0, prompt_tokens - echoed) if prompt_tokens is not None else 0
            return Layout(start_text, lead, hidden)
    return None


def text_entries(reply: dict[str, Any], layout: Layout, text: str) -> list[Entry]:
    """The entries of the text's own tokens (start tokens and generated tokens removed)."""
    rows, prompt_tokens = entries(reply)
    if prompt_tokens is not None:
        end = prompt_tokens - layout.hidden_tokens
    else:
        n_text = spelled_count(rows, text, layout.lead_entries)
        if n_text is None:
            raise ValueError("the echoed tokens do not spell the text and the reply has no "
                             "usage.prompt_tokens")
        end = layout.lead_entries + n_text
    if end > len(rows) or end <= layout.lead_entries:
        raise ValueError(f"the echo holds {len(rows)} entries but the prompt has {end}")
    return rows[layout.lead_entries:end]


@dataclass(frozen=True)
class Alignment:
    verdict: str             # aligned | shifted | unverified
    hits_same: int           # positions whose top-1 is the token itself
    hits_next: int           # positions whose top-1 is the next token
    positions: int

    def describe(self) -> str:
        return (f"{self.verdict} (top-1 = own token at {self.hits_same}/{self.positions} "
                f"positions, = next token at {self.hits_next}/{self.positions})")


def alignment(text_part: Sequence[Entry]) -> Alignment:
    """Check on the echo of ALIGNMENT_PROBE which token each top-1 predicts.

    Only the last three quarters are counted (the repeats a model can copy)."""
    start = len(text_part) // 4
    same = nxt = positions = 0
    for i in range(start, len(text_part) - 1):
        top = text_part[i].top
        if not top:
            continue
        best = max(top.items(), key=lambda kv: kv[1])[0]
        positions += 1
        same += best == text_part[i].token
        nxt += best == text_part[i + 1].token
    if positions == 0:
        return Alignment(UNVERIFIED, 0, 0, 0)
    if same >= MIN_HIT_RATE * positions and same > nxt:
        verdict = ALIGNED
    elif nxt >= MIN_HIT_RATE * positions and nxt > same:
        verdict = SHIFTED
    else:
        verdict = UNVERIFIED
    return Alignment(verdict, same, nxt, positions)
