"""Read a number a model wrote ("3/4", "0.75", "-1.5", "\\frac{3}{4}", "2^3") as an exact
Fraction. The text is parsed into a Python AST and only numeric literals, + - * / ^ and signs
are accepted; nothing is ever evaluated by Python itself."""

from __future__ import annotations

import ast
import math
import re
from fractions import Fraction

MAX_CHARS = 200
MAX_EXPONENT = 12          # 99^12 is already 24 digits; bigger powers are no answer to ours
MAX_BITS = 4096            # no value past ~1,200 digits: ((2^12)^12)^12... would otherwise
                           # grow without bound (and hang), and str() refuses 4,300+ digits


class ParseError(ValueError):
    pass


def _latex_to_plain(text: str) -> str:
    text = re.sub(r"\\boxed\s*{(.*)}", r"\1", text)
    for _ in range(3):   # nested fractions, innermost first
        text = re.sub(r"\\d?frac\s*{([^{}]*)}\s*{([^{}]*)}", r"((\1)/(\2))", text)
    text = re.sub(r"\\(?:cdot|times)", "*", text)
    text = text.replace("\\div", "/").replace("\\left", "").replace("\\right", "")
    return text.replace("{", "(").replace("}", ")")


def normalise(text: str) -> str:
    text = _latex_to_plain(text.strip())
    text = text.replace("$", "").replace("×", "*").replace("·", "*").replace("÷", "/")
    text = text.replace("−", "-").replace("^", "**")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)     # 1,234 -> 1234
    return text.strip().rstrip(".").strip()


def _bits(x: Fraction) -> int:
    return max(x.numerator.bit_length(), x.denominator.bit_length())


def _value(node: ast.AST) -> Fraction:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        if isinstance(node.value, float):
            if not math.isfinite(node.value):           # "1e999" reads as inf
                raise ParseError(f"{node.value} is not a finite number")
            return Fraction(repr(node.value))
        return Fraction(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _value(node.operand)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left, right = _value(node.left), _value(node.right)
        if max(_bits(left), _bits(right)) > MAX_BITS:
            raise ParseError("number too large")
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            if right == 0:
                raise ParseError("division by zero")
            return left / right
        if isinstance(node.op, ast.Pow):
            if right.denominator != 1 or abs(right) > MAX_EXPONENT or (left == 0 and right < 0):
                raise ParseError(f"unsupported exponent {right}")
            if _bits(left) * abs(int(right)) > MAX_BITS:
                raise ParseError("number too large")
            return left ** int(right)
    raise ParseError(f"not a number: {type(node).__name__}")


def parse_number(text: str) -> Fraction:
    """The exact value of a short numeric answer; ParseError when it is not one."""
    plain = normalise(text)
    if not plain or len(plain) > MAX_CHARS:
        raise ParseError("empty or too long")
    try:
        tree = ast.parse(plain, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):  # also null bytes, deep nesting
        raise ParseError(f"cannot parse {plain!r}") from None
    try:
        value = _value(tree.body)
    except RecursionError:
        raise ParseError("expression nested too deeply") from None
    if _bits(value) > MAX_BITS:
        raise ParseError("number too large")
    return value


_ANSWER = re.compile(r"answer\s*(?:is)?\s*[:=]?\s*(.+)", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:\s*/\s*-?\d+(?:\.\d+)?)?")


def final_answer(output: str) -> str | None:
    """The answer part of a model output: after the last "Answer:", else the last number."""
    lines = [line for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        match = _ANSWER.search(line)
        if match and match.group(1).strip():
            return match.group(1).strip()
    numbers = _NUMBER.findall(output)
    return numbers[-1] if numbers else None
