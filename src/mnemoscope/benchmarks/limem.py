"""LiMem (Xie et al. 2024): how much of a model's accuracy is memorization.

    LiMem = Acc * (1 - CR),  CR = #(solved before and after perturbation) / #(solved before)

Acc is accuracy on the originals, CR the consistency ratio. A model that reasons keeps
solving a puzzle whose solution changed (CR near 1, LiMem near 0); a model that recalls
answers fails it (CR near 0, LiMem near Acc). Under a language perturbation, which keeps the
solution, a high LiMem means the model depends on the surface form it saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..runs import read_rows
from ..types import InputError


@dataclass(frozen=True)
class LiMem:
    perturbation: str
    n_pairs: int        # originals with a perturbed twin
    accuracy: float     # on those originals
    consistency: float  # CR; 0 when nothing was solved before
    limem: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def limem_score(solved_before: list[bool], solved_after: list[bool]) -> tuple[float, float, float]:
    """(Acc, CR, LiMem) for paired outcomes of originals and their perturbations."""
    if len(solved_before) != len(solved_after):
        raise ValueError("solved_before and solved_after must pair up item by item")
    if not solved_before:
        return 0.0, 0.0, 0.0
    accuracy = sum(solved_before) / len(solved_before)
    kept = sum(1 for b, a in zip(solved_before, solved_after) if b and a)
    consistency = kept / sum(solved_before) if any(solved_before) else 0.0
    return accuracy, consistency, accuracy * (1 - consistency)


_COLUMNS = ("id", "correct", "perturbation", "source_id")   # every `bench eval` row has them


def _rows(run: str | Path, what: str):
    run = Path(run)
    if not run.exists():
        raise InputError(f"{run}: no such folder. Pass the --out folder of `mnemoscope bench "
                         f"eval` as the {what} run.")
    if not (run / "parts").is_dir():
        raise InputError(f"{run}: not a benchmark run (no parts/ folder). Pass the --out folder "
                         f"of `mnemoscope bench eval` as the {what} run.")
    rows = read_rows(run)
    if rows.empty:
        raise InputError(f"{run}: the {what} run has no rows yet. Run `mnemoscope bench eval` "
                         "into it (it resumes) before computing LiMem.")
    missing = [c for c in _COLUMNS if c not in rows.columns]
    if missing:
        raise InputError(f"{run}: not a benchmark run (its rows lack the column(s) "
                         f"{', '.join(missing)}; is it a `score` or `extract` run?). Pass the "
                         f"--out folder of `mnemoscope bench eval` as the {what} run.")
    return rows


def limem(original_run: str | Path, perturbed_run: str | Path) -> list[LiMem]:
    """LiMem per perturbation type, pairing each perturbed row with its original by source_id."""
    original = _rows(original_run, "original")
    perturbed = _rows(perturbed_run, "perturbed")
    perturbed = perturbed[perturbed["source_id"].fillna("") != ""]
    if perturbed.empty:
        raise InputError(f"{perturbed_run}: no perturbed items (no row has a source_id). Evaluate "
                         "a file made by `mnemoscope bench perturb`.")
    solved = dict(zip(original["id"], original["correct"].astype(bool)))
    results = []
    for name, group in sorted(perturbed.groupby("perturbation"), key=lambda g: str(g[0])):
        pairs = [(solved[s], bool(c)) for s, c in zip(group["source_id"], group["correct"])
                 if s in solved]
        if not pairs:
            raise InputError(f"no {name!r} item of {perturbed_run} has its original in "
                             f"{original_run}; were both files made from the same items?")
        acc, cr, score = limem_score([b for b, _ in pairs], [a for _, a in pairs])
        results.append(LiMem(str(name), len(pairs), acc, cr, score))
    return results


def limem_table(results: list[LiMem]) -> str:
    lines = [f"{'perturbation':<12} {'pairs':>5} {'Acc':>6} {'CR':>6} {'LiMem':>6}"]
    for r in results:
        lines.append(f"{r.perturbation:<12} {r.n_pairs:>5} {r.accuracy:6.3f} "
                     f"{r.consistency:6.3f} {r.limem:6.3f}")
    return "\n".join(lines)
