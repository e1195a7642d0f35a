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

`invented` > 0 also makes up names and role words from syllables (invented_word): a name
then carries no information about the puzzle, and a small model has to learn to copy the
people and role words it is shown instead of writing the few it has learned. Invented words
are checked against every test pool, so disjointness holds for them too.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random

from . import kk_text
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


# Syllables for invented words: consonant(s) + vowel, so every word can be said aloud.
_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr",
           "gl", "kr", "pl", "st", "th", "tr")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ou")
_TEST_WORDS = frozenset(w.lower() for w in (
    kk_text.COMMON_NAMES + kk_text.UNCOMMON_NAMES + kk_text.DEFAULT_ROLES
    + tuple(w for pair in kk_text.ALTERNATIVE_ROLES for w in pair)))


@dataclasses.dataclass(frozen=True)
class AugmentConfig:
    variants: int = 3            # surface variants per training puzzle, besides the original
    other_roles: float = 0.5     # share of variants that use other role words than the original
    invented: float = 0.0        # share of names, and of other role pairs, made up (invented_word)

    def __post_init__(self):
        for name in ("other_roles", "invented"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} is a share between 0 and 1, not {value}")


def invented_word(rng: random.Random, syllables: tuple[int, int] = (2, 3)) -> str:
    """A made-up lowercase word of 2 or 3 syllables that is in no test pool."""
    while True:
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS)
                       for _ in range(rng.randint(*syllables)))
        if word not in _TEST_WORDS:
            return word


def _names(puzzle: Puzzle, rng: random.Random, invented: float) -> tuple[str, ...]:
    taken = {m.lower() for m in puzzle.names}
    names: list[str] = []
    while len(names) < len(puzzle.names):
        if rng.random() < invented:
            name = invented_word(rng).capitalize()
        else:
            name = rng.choice(TRAINING_NAMES)
        if name.lower() not in taken:
            taken.add(name.lower())
            names.append(name)
    return tuple(names)


def _roles(rng: random.Random, invented: float) -> tuple[str, str]:
    if rng.random() >= invented:
        return rng.choice(TRAINING_ROLES)
    while True:        # the checker's regex needs two words, neither a prefix of the other
        truthful, liar = invented_word(rng), invented_word(rng)
        if not truthful.startswith(liar) and not liar.startswith(truthful):
            return truthful, liar


def surface_variant(puzzle: Puzzle, rng: random.Random, other_roles: float = 0.5,
                    invented: float = 0.0) -> Puzzle:
    """The same puzzle (same statements, same solution per position) in a fresh wording."""
    n = len(puzzle.names)
    if invented:
        names = _names(puzzle, rng, invented)
    else:       # (the draw used before `invented` existed, so old seeds give old variants)
        names = tuple(rng.sample([m for m in TRAINING_NAMES if m not in puzzle.names], n))
    order = list(range(n))
    rng.shuffle(order)
    roles = puzzle.roles
    if rng.random() < other_roles:
        roles = _roles(rng, invented) if invented else rng.choice(TRAINING_ROLES)
    return dataclasses.replace(puzzle, names=names, order=tuple(order), roles=roles)


def training_variants(items, config: AugmentConfig, seed: int, round: int = 0) -> list:
    """config.variants fresh wordings of every item, as BenchItems ("<id>+aug<k>", and
    "<id>+r<round>aug<k>" for later rounds: one round per epoch gives each epoch new words)."""
    out = []
    tag = f"r{round}" if round else ""
    for item in items:
        key = f"kk-augment:{seed}:{item.id}" + (f":{round}" if round else "")
        rng = random.Random(key)
        puzzle = Puzzle.from_item(item)
        for k in range(config.variants):
            variant = surface_variant(puzzle, rng, config.other_roles, config.invented)
            out.append(variant.to_item(f"{item.id}+{tag}aug{k}", split=item.split))
    return out


def logic_key(puzzle: Puzzle) -> str:
    """The puzzle's logic up to renumbering the people (names, order and role words are
    ignored): two puzzles with the same key are the same puzzle in different words. Exact
    for up to 6 people; above that only the given numbering is tried (7! orderings is slow)."""
    n = len(puzzle.names)
    perms = itertools.permutations(range(n)) if n <= 6 else [tuple(range(n))]
    return min(json.dumps(relabel(puzzle, list(p)).statements) for p in perms)
