"""Membership signals: pure functions of TokenScores. Higher = more likely a member.

Every module in this package is imported on first use, and its `@register` calls add its
signals (and views) to the registries: a new signal is one file here (or, outside the
package, an entry point in the `mnemoscope.signals` group, or a module named in the
MNEMOSCOPE_PLUGINS environment variable).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from typing import Any, Iterable, Mapping

from ..types import InputError
from .base import Context, Signal, register, signals
from .views import View, ViewOption, ViewSetup, register_view, views

__all__ = ["Context", "DEFAULT", "Signal", "View", "ViewOption", "ViewSetup", "build_signals",
           "default_signals", "parse_signal", "register", "register_view", "signals",
           "split_specs", "views"]

# The signals every audit computes when none are asked for (one list, used everywhere).
DEFAULT = ("loss", "zlib", "lowercase", "min_k", "min_k_plus_plus")
_INFRASTRUCTURE = {"base", "views"}


def _discover() -> None:
    for module in pkgutil.iter_modules(__path__):
        if module.name not in _INFRASTRUCTURE and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_discover()


def default_signals(options: Mapping[str, Any] | None = None) -> list[Signal]:
    """DEFAULT, plus every signal whose `default_when` option is set (a reference model
    given turns on `reference`)."""
    options = options or {}
    extra = [name for name in signals.names() if name not in DEFAULT
             and signals.get(name).default_when
             and options.get(signals.get(name).default_when) is not None]
    return [signals.get(n)() for n in list(DEFAULT) + extra]


def split_specs(text: str) -> list[str]:
    """'loss,min_k(k=0.1),x(a=1,b=2)' -> ['loss', 'min_k(k=0.1)', 'x(a=1,b=2)']: commas
    inside parentheses belong to a signal's parameters. The one parser of --signals."""
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


def parse_signal(spec: str) -> Signal:
    """'min_k' or 'min_k(k=0.1)' -> an instance; anything wrong is an InputError naming it."""
    spec = spec.strip()
    name, _, rest = spec.partition("(")
    name = name.strip()
    if name not in signals:
        raise InputError(f"--signals: unknown signal {name!r}; known: "
                         f"{', '.join(signals.names())} (see `mnemoscope signals`)")
    cls = signals.get(name)
    params = {}
    if rest:
        if not rest.endswith(")"):
            raise InputError(f"--signals: bad signal spec {spec!r}; write e.g. min_k(k=0.1)")
        for item in filter(None, (p.strip() for p in rest[:-1].split(","))):
            key, eq, value = item.partition("=")
            if not eq or not key.strip().isidentifier():
                raise InputError(f"--signals: bad parameter {item!r} in {spec!r}; write key=value, "
                                 "e.g. min_k(k=0.1)")
            try:
                params[key.strip()] = ast.literal_eval(value.strip())
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                if value.strip().isidentifier():      # a bare word is a string: the column
                    params[key.strip()] = value.strip()   # name loss(tokens=content) parses back
                    continue
                raise InputError(f"--signals: bad value {value.strip()!r} for {key.strip()!r} in "
                                 f"{spec!r}; write a number or a quoted string, e.g. "
                                 "min_k(k=0.1)") from None
    try:
        return cls(**params)
    except (TypeError, ValueError) as exc:
        raise InputError(f"--signals: {name}: {exc}") from None


def build_signals(specs: "str | Iterable[str | Signal] | None",
                  options: Mapping[str, Any] | None = None) -> list[Signal]:
    """Turn '--signals loss,min_k(k=0.1)' (or a list) into instances; None = the defaults."""
    if specs is None:
        return default_signals(options)
    if isinstance(specs, str):
        specs = split_specs(specs)
    built = [s if isinstance(s, Signal) else parse_signal(s) for s in specs]
    if not built:
        raise InputError("--signals is empty; name at least one signal, e.g. --signals loss "
                         "(see `mnemoscope signals`)")
    columns = [s.column for s in built]
    if len(set(columns)) != len(columns):
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        raise InputError(f"--signals: {', '.join(repeated)} listed twice; name each signal once")
    return built
