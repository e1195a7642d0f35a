"""Knights and Knaves in words: names, role words, the prompt, and the answer checker."""

from __future__ import annotations

import re
from typing import Any, Sequence

from .kk_logic import Statement

COMMON_NAMES = ("Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Isabel",
                "Jack", "Laura", "Michael", "Nora", "Oliver", "Paula", "Samuel", "Sofia",
                "Thomas", "Victoria", "William")
# The names perturbation draws from here: rare in most corpora, so a model cannot lean on
# associations it learned for common names.
UNCOMMON_NAMES = ("Zephyrine", "Thaddeus", "Ottoline", "Barnaby", "Isolde", "Leopold",
                  "Philippa", "Cuthbert", "Seraphina", "Ambrose", "Wilhelmina", "Evander",
                  "Perpetua", "Lysander", "Clementine", "Thelonius")
DEFAULT_ROLES = ("knight", "knave")
# (truth-teller, liar) pairs for the roles perturbation.
ALTERNATIVE_ROLES = (("saint", "sinner"), ("angel", "devil"), ("hero", "villain"),
                     ("sage", "fool"), ("pioneer", "laggard"))
CONCLUSION = "CONCLUSION:"


def _article(word: str) -> str:
    return "an" if word[0].lower() in "aeiou" else "a"


def say(statement: Statement, names: Sequence[str], roles: Sequence[str], top: bool = True) -> str:
    """English for one statement. Compound operands are bracketed so nesting stays unambiguous."""
    kind = statement[0]
    if kind == "leaf":
        role = roles[0] if statement[2] else roles[1]
        return f"{names[statement[1]]} is {_article(role)} {role}"
    parts = [say(s, names, roles, top=False) for s in statement[1:]]
    parts = [p if s[0] == "leaf" else f"({p})" for p, s in zip(parts, statement[1:])]
    if kind == "not":
        return f"it is false that {parts[0]}"
    if kind == "and":
        return " and ".join(parts)
    if kind == "or":
        return " or ".join(parts)
    if kind == "implies":
        return f"if {parts[0]} then {parts[1]}"
    return f"{parts[0]} if and only if {parts[1]}"


def prompt(names: Sequence[str], statements: Sequence[Statement], roles: Sequence[str],
           order: Sequence[int]) -> str:
    truthful, liar = roles
    people = ", ".join(names[i] for i in order[:-1]) + f" and {names[order[-1]]}"
    a_truthful, a_liar = _article(truthful), _article(liar)
    lines = [f"Every inhabitant of an island is either {a_truthful} {truthful} or {a_liar} {liar}. "
             f"{a_truthful.capitalize()} {truthful} only ever says true things; "
             f"{a_liar} {liar} only ever says false things. "
             f"You meet {len(names)} inhabitants: {people}."]
    for i in order:
        text = say(statements[i], names, roles)
        lines.append(f'{names[i]} says: "{text[0].upper() + text[1:]}."')
    example = " ".join(f"({k + 1}) {names[i]} is {a_truthful} {truthful}/{liar}"
                       for k, i in enumerate(order))
    lines.append(f"Who is {a_truthful} {truthful} and who is {a_liar} {liar}? "
                 f"End your answer with one line of the form: {CONCLUSION} {example}")
    return "\n".join(lines)


def answer_text(names: Sequence[str], solution: Sequence[bool], roles: Sequence[str],
                order: Sequence[int]) -> str:
    """The gold answer line, as a model is asked to write it (also used as a training target)."""
    clauses = []
    for k, i in enumerate(order):
        role = roles[0] if solution[i] else roles[1]
        clauses.append(f"({k + 1}) {names[i]} is {_article(role)} {role}")
    return f"{CONCLUSION} " + " ".join(clauses)


def parse_roles(output: str, names: Sequence[str], roles: Sequence[str]) -> dict[str, bool]:
    """name -> True (truth-teller) for every name the answer assigns a role to.

    Only text after the last conclusion marker counts when there is one (reasoning before it
    may try out wrong roles); within it, a name's last stated role wins. An echo of the
    format line ("is a knight/knave") assigns nothing."""
    cut = output.upper().rfind(CONCLUSION.rstrip(":"))
    tail = output[cut:] if cut >= 0 else output
    truthful, liar = (re.escape(r) for r in roles)
    found: dict[str, bool] = {}
    for name in names:
        pattern = rf"\b{re.escape(name)}\s+is\s+(?:an?\s+)?({truthful}|{liar})s?\b(?!\s*/)"
        matches = list(re.finditer(pattern, tail, flags=re.IGNORECASE))
        if matches:
            found[name] = matches[-1].group(1).lower() == roles[0].lower()
    return found
