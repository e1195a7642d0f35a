"""Training-time surface augmentation for Knights and Knaves fine-tunes.

A small model fine-tuned on a puzzle's one wording memorizes the string: rename the
people and it no longer "knows" the answer. To ask the question LiMem asks (does the model
recall this *puzzle*, i.e. its logical structure, or reason about it?) the memorization
experiment can show each training puzzle in several surface forms: fresh names, a random
presentation order, and sometimes other role words. The logic, and so the solution per
person, never changes.

The pools here are disjoint from the ones the test perturbations draw from
(kk_text.UNCOMMON_NAMES, kk_text.ALTERNATIVE_ROLES), so no test prompt is ever a training
prompt: a model that passes the language-level perturbations has generalised over surface
forms it never saw. Variants never keep the original names either, so for 2-person puzzles
the `reorder` test (original names, swapped order) is not in the training data.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random

from .kk import Puzzle, relabel

# Ordinary and rare names with 1 to 4 tokens each, so copying a name is learned for both.
TRAINING_NAMES = ("Peter", "Mary", "George", "Anna", "Kevin", "Linda", "Ryan", "Julia", "Oscar",
                  "Helen", "Martin", "Rachel", "Simon", "Diana", "Leonard", "Monica", "Agatha",
                  "Bartholomew", "Cornelius", "Dorothea", "Ezekiel", "Fenella", "Gideon",
                  "Hortense", "Ignatius", "Jemima", "Kasimir", "Lavinia", "Montague", "Octavia",
                  "Percival", "Rosalind", "Silas", "Tabitha", "Ulysses", "Winifred", "Quentin",
                  "Beatrix", "Desmond", "Imogen", "Jasper", "Marigold", "Rupert", "Esmeralda",
                  "Horatio", "Griselda", "Aurelio", "Ottilie")
# (truth-teller, liar) pairs; none is a test pair, and no word is a prefix of its partner.
TRAINING_ROLES = (("paladin", "rogue"), ("oracle", "trickster"), ("monk", "thief"),
                  ("guardian", "traitor"), ("sheriff", "outlaw"), ("scholar", "charlatan"),
                  ("elf", "goblin"), ("noble", "scoundrel"))


@dataclasses.dataclass(frozen=True)
class AugmentConfig:
    variants: int = 3            # surface variants per training puzzle, besides the original
    other_roles: float = 0.5     # share of variants that use a TRAINING_ROLES pair


def surface_variant(puzzle: Puzzle, rng: random.Random, other_roles: float = 0.5) -> Puzzle:
    """The same puzzle (same statements, same solution per position) in a fresh wording."""
    n = len(puzzle.names)
    names = tuple(rng.sample([m for m in TRAINING_NAMES if m not in puzzle.names], n))
    order = list(range(n))
    rng.shuffle(order)
    roles = rng.choice(TRAINING_ROLES) if rng.random() < other_roles else puzzle.roles
    return dataclasses.replace(puzzle, names=names, order=tuple(order), roles=roles)


def training_variants(items, config: AugmentConfig, seed: int) -> list:
    """config.variants fresh wordings of every item, as BenchItems ("<id>+aug<k>")."""
    out = []
    for item in items:
        rng = random.Random(f"kk-augment:{seed}:{item.id}")
        puzzle = Puzzle.from_item(item)
        for k in range(config.variants):
            variant = surface_variant(puzzle, rng, config.other_roles)
            out.append(variant.to_item(f"{item.id}+aug{k}", split=item.split))
    return out


def logic_key(puzzle: Puzzle) -> str:
    """The puzzle's logic up to renumbering the people (names, order and role words are
    ignored): two puzzles with the same key are the same puzzle in different words. Exact
    for up to 6 people; above that only the given numbering is tried (7! orderings is slow)."""
    n = len(puzzle.names)
    perms = itertools.permutations(range(n)) if n <= 6 else [tuple(range(n))]
    return min(json.dumps(relabel(puzzle, list(p)).statements) for p in perms)
