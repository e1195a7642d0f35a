"""One registry type for every pluggable kind (signals, backends, report sections).

Third-party packages register through the entry-point group named by `group`: each
entry point is imported on first lookup, and importing it runs its `register` calls. A
module that is not installed as a package (a signal in one file of your own) can be named
in MNEMOSCOPE_PLUGINS (comma-separated module names on sys.path or PYTHONPATH): it is
imported on first lookup the same way.
"""

from __future__ import annotations

import importlib
import os
from importlib import metadata
from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str, group: str | None = None) -> None:
        self.kind = kind
        self.group = group
        self._items: dict[str, T] = {}
        self._plugins_loaded = False

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(obj: T) -> T:
            if name in self._items and self._items[name] is not obj:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            try:
                setattr(obj, "registry_name", name)
            except (AttributeError, TypeError):
                pass
            return obj

        return decorator

    def _load_plugins(self) -> None:
        if self._plugins_loaded or self.group is None:
            return
        self._plugins_loaded = True
        for entry_point in metadata.entry_points(group=self.group):
            entry_point.load()
        for module in filter(None, (m.strip() for m in
                                    os.environ.get("MNEMOSCOPE_PLUGINS", "").split(","))):
            try:
                importlib.import_module(module)
            except ImportError as exc:
                from .types import InputError

                raise InputError(f"MNEMOSCOPE_PLUGINS names {module!r}, which cannot be "
                                 f"imported ({exc}). Put its folder on PYTHONPATH, or fix the "
                                 "name.") from None

    def get(self, name: str) -> T:
        if name not in self._items:
            self._load_plugins()
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise KeyError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def names(self) -> list[str]:
        self._load_plugins()
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
