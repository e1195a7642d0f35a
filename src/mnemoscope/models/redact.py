"""A server's reply, made safe to quote in a one-line error message.

An error body is whatever the server (or a proxy in front of it) chose to send: a login
page of 40 kB of HTML, a debug dump that echoes the request headers, a JSON error that
quotes the key it refused. Before any of it reaches a message or a log it is
- stripped of HTML (script/style blocks and comments dropped, tags removed, entities decoded),
- collapsed to one line,
- redacted: the configured key's value, `Bearer <token>`, `api_key=...`-style pairs and
  anything that looks like a key (sk-..., hf_..., ghp_..., long mixed letter+digit runs),
- capped at MAX_CHARS.
"""

from __future__ import annotations

import html
import re
from typing import Iterable

MAX_CHARS = 200
REDACTED = "***"

_BLOCKS = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z!][^>]*>")
_SCHEME_TOKEN = re.compile(r"\b(bearer|basic|token)(\s+|%20)[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE)
_NAMED = re.compile(
    r"""(["']?\b(?:x-)?(?:api[_-]?key|access[_-]?token|auth[_-]?token|authorization|secret|"""
    r"""password|token)["']?\s*[:=]\s*["']?)(?!(?:bearer|basic|token)\s)[^\s"',;&<>}]+""",
    re.IGNORECASE)
_PREFIXED_KEY = re.compile(r"\b(?:sk|pk|rk|hf|ghp|gho|ghs|glpat|xox[abpr])[-_][A-Za-z0-9_-]{8,}")
# 24+ characters of key alphabet holding both a letter and a digit: API keys, JWT parts, hex
# secrets; ordinary words and model names (which have dots or are shorter) are left alone
_KEY_LIKE = re.compile(r"(?<![A-Za-z0-9_+/=-])(?=[A-Za-z0-9_+/=-]*\d)(?=[0-9_+/=-]*[A-Za-z])"
                       r"[A-Za-z0-9_+/=-]{24,}")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with known secret values and key-shaped strings replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _SCHEME_TOKEN.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _NAMED.sub(lambda m: m.group(1) + REDACTED, text)
    text = _PREFIXED_KEY.sub(REDACTED, text)
    return _KEY_LIKE.sub(REDACTED, text)


def scrub_reply(text: str, secrets: Iterable[str | None] = (), limit: int = MAX_CHARS) -> str:
    """One short, redacted line from a server's reply body or error message."""
    secrets = [s for s in secrets if s]
    text = redact(str(text), secrets)           # before HTML decoding can split a secret
    text = html.unescape(_TAG.sub(" ", _BLOCKS.sub(" ", text)))
    text = redact(" ".join(text.split()), secrets)
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
