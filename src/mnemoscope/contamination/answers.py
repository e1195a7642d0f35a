"""Answer checkers for TED: is a model output a correct answer to an item?

    exact    the output's answer part equals the gold answer after normalisation
    numeric  the number the output gives equals the gold number (exactly, as fractions)
    module:function   a Python callable f(output, answer) -> bool or a score in [0, 1]

The answer part of an output is the text after its last "answer is" / "Answer:" when there
is one, else its first non-empty line. Normalisation lowercases, collapses whitespace and
strips surrounding quotes, spaces and a final period. Numbers are read by the benchmarks'
restricted parser (nothing is evaluated by Python).
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache
from typing import Callable

from ..types import InputError

Checker = Callable[[str, str], float]

_ANSWER_MARK = re.compile(r"answer(?:\s+is)?\s*[:=]?\s*", re.IGNORECASE)


def answer_part(output: str) -> str:
    marks = list(_ANSWER_MARK.finditer(output))
    if marks:
        rest = output[marks[-1].end():].strip()
        if rest:
            return rest.splitlines()[0]
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[0] if lines else ""


def normalise(text: str) -> str:
    text = " ".join(text.lower().split())
    return text.strip(" \"'`").rstrip(".").strip()


def exact_checker(output: str, answer: str) -> float:
    return float(normalise(answer_part(output)) == normalise(str(answer)))


# "10,080" is ten thousand and eighty: a comma between a digit and a group of exactly three
# digits is a thousands separator (a list such as "1,2,3" is left alone)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def drop_thousands_separators(text: str) -> str:
    return _THOUSANDS.sub("", text)


def numeric_checker(output: str, answer: str) -> float:
    from ..benchmarks.arith_parse import ParseError, final_answer, parse_number

    output, answer = drop_thousands_separators(output), drop_thousands_separators(str(answer))
    try:
        gold = parse_number(answer)
    except ParseError:
        raise InputError(f"answer {answer!r} is not a number; use --checker exact, or a "
                         "module:function checker") from None
    said = final_answer(output)
    if said is None:
        return 0.0
    # "The answer is 42 apples." -> its first number; "... = 72 km, which is the answer."
    # (nothing after the marker) -> the output's last number
    number = r"-?\d+(?:\.\d+)?(?:\s*/\s*\d+)?"
    candidates = [said] + (re.findall(number, said)[:1] or re.findall(number, output)[-1:])
    for text in candidates:
        try:
            return float(parse_number(text) == gold)
        except ParseError:
            continue
    return 0.0


BUILTIN = {"exact": exact_checker, "numeric": numeric_checker}


@lru_cache(maxsize=None)
def load_checker(name: str) -> Checker:
    """`exact`, `numeric`, or `package.module:function` (imported, then called as
    f(output, answer); True/False or a number in [0, 1])."""
    if name in BUILTIN:
        return BUILTIN[name]
    if ":" not in name:
        raise InputError(f"unknown answer checker {name!r}: use exact, numeric, or "
                         "module:function (a Python callable f(output, answer) -> bool).")
    module_name, _, attribute = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"answer checker {name!r}: cannot import {module_name!r} ({exc}). "
                         "Put the module on PYTHONPATH.") from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise InputError(f"answer checker {name!r}: {module_name} has no callable {attribute!r}.")

    def checked(output: str, answer: str) -> float:
        value = float(function(output, answer))
        if not 0.0 <= value <= 1.0:
            raise InputError(f"answer checker {name!r} returned {value}; it must return a "
                             "bool or a number in [0, 1].")
        return value

    return checked


def check_answers(name: str, answers: dict[str, str]) -> None:
    """Fail before any generation when a built-in checker cannot read a gold answer."""
    load_checker(name)
    if name != "numeric":
        return
    from ..benchmarks.arith_parse import ParseError, parse_number

    for item_id, answer in answers.items():
        try:
            parse_number(drop_thousands_separators(str(answer)))
        except ParseError:
            raise InputError(f"item {item_id!r}: answer {answer!r} is not a number, so the "
                             "numeric checker cannot grade it. Use --checker exact, or a "
                             "module:function checker.") from None
