"""The house has no import running upward (scripts/layers.py measures it): nothing outside
cli/ imports cli/, no audit imports the package face, every module has a layer."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "layers.py"


def _layers():
    spec = importlib.util.spec_from_file_location("layers", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_import_runs_upward():
    layers = _layers()
    assert layers.upward_imports() == []


def test_every_unit_has_a_layer():
    layers = _layers()
    edges = layers.graph()
    units = set(edges) | {t for targets in edges.values() for t in targets}
    assert sorted(u for u in units if u not in layers.LAYERS) == []


def test_only_the_face_and_cli_sit_above_the_workflows():
    layers = _layers()
    edges = layers.graph()
    importers_of = {unit: sorted(u for u, targets in edges.items() if unit in targets)
                    for unit in ("cli", "__init__")}
    assert importers_of == {"cli": [], "__init__": []}


def test_the_measure_sees_a_planted_upward_import(tmp_path, monkeypatch):
    layers = _layers()
    fake = tmp_path / "mnemoscope"
    (fake / "signals").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "signals" / "__init__.py").write_text("")
    (fake / "signals" / "bad.py").write_text("from ..membership import score\n")
    (fake / "membership.py").write_text("from .signals import bad\n")
    monkeypatch.setattr(layers, "SRC", fake)
    assert layers.upward_imports() == [("signals/bad.py", "signals", "membership")]
