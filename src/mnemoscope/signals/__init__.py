"""Membership signals: pure functions of TokenScores. Higher = more likely a member."""

from __future__ import annotations

import ast
import dataclasses
from typing import Iterable

from . import loss, lowercase, mink, minkpp, reference, zlib_ratio  # noqa: F401  (registers)
from .base import VIEWS, Context, Signal, register, signals

__all__ = ["Context", "Signal", "VIEWS", "build_signals", "default_signals", "parse_signal",
           "register", "signals", "split_specs"]

DEFAULT = ("loss", "zlib", "lowercase", "min_k", "min_k_plus_plus")


def default_signals(reference: bool = False) -> list[Signal]:
    names = list(DEFAULT) + (["reference"] if reference else [])
    return [signals.get(n)() for n in names]


def parse_signal(spec: str) -> Signal:
    """'min_k' or 'min_k(k=0.1)' -> an instance. A bad spec raises ValueError (KeyError for
    an unknown name) with a message that says how to write it."""
    spec = spec.strip()
    name, _, rest = spec.partition("(")
    name = name.strip()
    if not name:
        raise ValueError(f"bad signal spec {spec!r}; write e.g. min_k(k=0.1)")
    cls = signals.get(name)
    params = {}
    if rest:
        if not rest.endswith(")"):
            raise ValueError(f"bad signal spec {spec!r}; write e.g. min_k(k=0.1)")
        for item in filter(None, (p.strip() for p in rest[:-1].split(","))):
            key, eq, value = item.partition("=")
            if not eq:
                raise ValueError(f"bad parameter {item!r} in {spec!r}; write key=value")
            params[key.strip()] = _literal(value.strip(), key.strip(), spec)
    _check_numbers(cls, params, spec)
    try:
        return cls(**params)
    except (TypeError, ValueError) as exc:       # an unknown parameter, a value out of range
        raise ValueError(f"signal {spec!r}: {exc}") from None


def _literal(text: str, key: str, spec: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise ValueError(f"bad value {text!r} for {key!r} in {spec!r}; write a number such as "
                         "0.1, or a quoted string") from None


def _check_numbers(cls, params: dict, spec: str) -> None:
    """A parameter whose default is a number takes a number: `min_k(k='a')` fails here, not
    halfway through a run."""
    fields = dataclasses.fields(cls) if dataclasses.is_dataclass(cls) else ()
    defaults = {f.name: f.default for f in fields}
    for key, value in params.items():
        default = defaults.get(key)
        wants_number = isinstance(default, (int, float)) and not isinstance(default, bool)
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if wants_number and not is_number:
            raise ValueError(f"{key}={value!r} in {spec!r} must be a number, like its default "
                             f"{default!r}")


def build_signals(specs: "str | Iterable[str | Signal] | None", reference: bool = False) -> list[Signal]:
    """Turn '--signals loss,min_k(k=0.1)' (or a list) into instances; None = the defaults."""
    if specs is None:
        return default_signals(reference)
    if isinstance(specs, str):
        specs = split_specs(specs)
    built = [s if isinstance(s, Signal) else parse_signal(s) for s in specs]
    columns = [s.column for s in built]
    if len(set(columns)) != len(columns):
        raise ValueError(f"signal listed twice: {columns}")
    return built


def split_specs(text: str) -> list[str]:
    """'loss, min_k(k=0.1,x=2)' -> ['loss', 'min_k(k=0.1,x=2)']: commas inside parentheses
    separate a signal's parameters, not signals. The one --signals splitter of every command."""
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
