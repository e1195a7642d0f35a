"""How mnemoscope's modules stand on each other: floors, and imports that run upward.

Every `import` and `from ... import` in src/mnemoscope (at module level or inside a
function: a lazy import is still a dependency) is resolved to the unit it names: a
top-level module (runs.py) or a subpackage (models/). Units are grouped into the layers
of docs/architecture.md. An import from a unit to a unit of a higher layer runs upward.

Floors: the number of units on the longest chain of imports, after merging units that
import each other (strongly connected components) into one. Run it:
    python scripts/layers.py
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "mnemoscope"

# docs/architecture.md, "Layers": each unit, and the layer it sits on (0 = bottom)
LAYERS: dict[str, int] = {
    "types": 0, "_version": 0, "registry": 0, "faults": 0,
    # the run store and its view: runs.finish() writes the report; the report reads runs and
    # finds the sections audits keep beside themselves by name, importing no audit statically
    "data": 1, "fileio": 1, "manifest": 1, "runs": 1, "report": 1, "models": 1, "scale": 1,
    "metrics": 1, "training": 1, "text": 1,
    "signals": 2,
    "membership": 3, "extraction": 3, "benchmarks": 3, "contamination": 3, "dynamics": 3,
    # adapters to other libraries' training loops (the transformers TrainerCallback)
    "lab": 4, "unlearning": 4, "watermark": 4, "integrations": 4,
    "cli": 5,
    "__init__": 6,        # the package face: re-exports, imports nothing that imports it
}


def unit_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 or rel.name != "__init__.py" \
        else "__init__"


def imported_units(path: Path) -> set[str]:
    """Units of mnemoscope that `path` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = path.relative_to(SRC.parent).with_suffix("").parts
    package = package[:-1]          # the package the file's relative imports start from
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ((node.module,) if node.module else ()))
            else:
                module = node.module or ""
            names = [module] if node.module else [f"{module}.{a.name}" for a in node.names]
            if node.level and not node.module:
                names = [f"{module}.{a.name}" for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] != "mnemoscope":
                continue
            # `from mnemoscope import x`: the unit x when x is a module, else the package face
            found.add(parts[1] if len(parts) > 1 and parts[1] in LAYERS else "__init__")
    return found


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for path in SRC.rglob("*.py"):
        unit = unit_of(path)
        for target in imported_units(path):
            if target != unit:
                edges[unit].add(target)
    return edges


def upward_imports() -> list[tuple[str, str, str]]:
    """(file, its unit, the higher unit it imports)."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        unit = unit_of(path)
        for target in imported_units(path):
            if target != unit and LAYERS.get(target, 0) > LAYERS.get(unit, 0):
                out.append((str(path.relative_to(SRC)), unit, target))
    return out


def floors(edges: dict[str, set[str]]) -> int:
    """Longest chain in the graph of strongly connected components."""
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
    nodes = set(edges) | {t for ts in edges.values() for t in ts}

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            sccs.append(comp)

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    comp_of = {v: i for i, c in enumerate(sccs) for v in c}
    memo: dict[int, int] = {}

    def depth(c):
        if c not in memo:
            below = {comp_of[t] for v in sccs[c] for t in edges.get(v, ()) if comp_of[t] != c}
            memo[c] = 1 + max((depth(b) for b in below), default=0)
        return memo[c]

    return max(depth(c) for c in range(len(sccs)))


def main() -> int:
    edges = graph()
    unknown = sorted(u for u in set(edges) | {t for ts in edges.values() for t in ts}
                     if u not in LAYERS)
    up = upward_imports()
    print(f"units: {len(set(edges) | {t for ts in edges.values() for t in ts})}, "
          f"floors: {floors(edges)}, upward imports: {len(up)}")
    for file, unit, target in up:
        print(f"  up: {file} ({unit}) -> {target}")
    if unknown:
        print(f"  units with no layer: {', '.join(unknown)}")
    return 1 if up or unknown else 0


if __name__ == "__main__":
    sys.exit(main())
