"""Membership signals: pure functions of TokenScores. Higher = more likely a member."""

from __future__ import annotations

import ast
from typing import Iterable

from . import loss, lowercase, mink, minkpp, reference, zlib_ratio  # noqa: F401  (registers)
from .base import VIEWS, Context, Signal, register, signals

__all__ = ["Context", "Signal", "VIEWS", "build_signals", "default_signals", "register", "signals"]

DEFAULT = ("loss", "zlib", "lowercase", "min_k", "min_k_plus_plus")


def default_signals(reference: bool = False) -> list[Signal]:
    names = list(DEFAULT) + (["reference"] if reference else [])
    return [signals.get(n)() for n in names]


def parse_signal(spec: str) -> Signal:
    """'min_k' or 'min_k(k=0.1)' -> an instance."""
    spec = spec.strip()
    name, _, rest = spec.partition("(")
    cls = signals.get(name.strip())
    params = {}
    if rest:
        if not rest.endswith(")"):
            raise ValueError(f"bad signal spec {spec!r}; write e.g. min_k(k=0.1)")
        for item in filter(None, (p.strip() for p in rest[:-1].split(","))):
            key, eq, value = item.partition("=")
            if not eq:
                raise ValueError(f"bad parameter {item!r} in {spec!r}; write key=value")
            params[key.strip()] = ast.literal_eval(value.strip())
    try:
        return cls(**params)
    except TypeError as exc:
        raise ValueError(f"signal {name!r}: {exc}") from None


def build_signals(specs: "str | Iterable[str | Signal] | None", reference: bool = False) -> list[Signal]:
    """Turn '--signals loss,min_k(k=0.1)' (or a list) into instances; None = the defaults."""
    if specs is None:
        return default_signals(reference)
    if isinstance(specs, str):
        specs = _split_top_level(specs)
    built = [s if isinstance(s, Signal) else parse_signal(s) for s in specs]
    columns = [s.column for s in built]
    if len(set(columns)) != len(columns):
        raise ValueError(f"signal listed twice: {columns}")
    return built


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]
