"""A restricted evaluator for WILT guesses: boolean expressions over x, y and z.

Model output is parsed with `ast.parse` and every node is checked against a whitelist before
anything runs; the checked tree is then interpreted here over numpy arrays (so one guess is
checked on tens of thousands of points at once). Python's `eval` is never used. Rejected:
calls, attribute access, subscripts, names other than x/y/z/True/False, dunder names,
lambdas, comprehensions, imports (not expressions at all) and anything else not listed.

Semantics, the same for hidden rules and guesses: arithmetic is float64; a point where an
expression is undefined (division by zero, overflow) evaluates to False; bitwise operators
act on the floor of their operands; the result is true where it is non-zero.
"""

from __future__ import annotations

import ast
import re

import numpy as np

MAX_CHARS = 300
MAX_NODES = 120
MAX_POWER = 6               # x ** 6 over [-200, 200] stays well inside float64
VARIABLES = ("x", "y", "z")

_BINARY = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
           ast.Div: np.divide, ast.FloorDiv: np.floor_divide, ast.Mod: np.mod}
_BITWISE = {ast.BitAnd: np.bitwise_and, ast.BitOr: np.bitwise_or, ast.BitXor: np.bitwise_xor}
_COMPARE = {ast.Eq: np.equal, ast.NotEq: np.not_equal, ast.Lt: np.less, ast.LtE: np.less_equal,
            ast.Gt: np.greater, ast.GtE: np.greater_equal}
_ALLOWED = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub,
            ast.UAdd, ast.Invert, ast.BinOp, ast.Pow, ast.Compare, ast.Name, ast.Load,
            ast.Constant, ast.IfExp, *_BINARY, *_BITWISE, *_COMPARE)


class GuessError(ValueError):
    """The text is not an allowed expression. The message says which part and why."""


def _check(tree: ast.AST) -> None:
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise GuessError(f"expression too large ({len(nodes)} nodes, at most {MAX_NODES})")
    for node in nodes:
        if not isinstance(node, _ALLOWED):
            raise GuessError(f"{type(node).__name__} is not allowed; use only x, y, z, numbers, "
                             "arithmetic, comparisons, and/or/not, bitwise & | ^ ~")
        if isinstance(node, ast.Name) and node.id not in VARIABLES + ("True", "False"):
            raise GuessError(f"unknown name {node.id!r}; only x, y and z exist")
        if isinstance(node, ast.Constant) and type(node.value) not in (int, float, bool):
            raise GuessError(f"constant {node.value!r} is not a number")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exponent = node.right
            if not (isinstance(exponent, ast.Constant) and type(exponent.value) is int
                    and 0 <= exponent.value <= MAX_POWER):
                raise GuessError(f"powers need a literal integer exponent 0..{MAX_POWER}")


def clean_guess(text: str) -> str:
    """Strip what models wrap around an expression: code fences, backticks, `lambda x, y, z:`."""
    text = text.strip().strip("`").strip()
    text = re.sub(r"^(?:python)?\s*", "", text) if text.startswith("python") else text
    text = re.sub(r"^lambda\s*\(?\s*x\s*,\s*y\s*,\s*z\s*\)?\s*:\s*", "", text)
    return text.strip().rstrip(".").strip()


def compile_guess(text: str) -> ast.Expression:
    """Parse and check; raises GuessError for anything outside the whitelist."""
    if "__" in text:
        raise GuessError("dunder names are not allowed")
    if len(text) > MAX_CHARS:
        raise GuessError(f"expression longer than {MAX_CHARS} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise GuessError(f"not a Python expression ({exc.msg})") from None
    except (ValueError, MemoryError, RecursionError):   # null bytes, very deep nesting
        raise GuessError("not a Python expression (unparsable text)") from None
    _check(tree)
    return tree


def _floor_int(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(values) & (np.abs(values) < 2.0**52)
    return np.where(ok, np.floor(np.where(ok, values, 0.0)), 0.0).astype(np.int64), ok


def _truthy(values: np.ndarray) -> np.ndarray:
    return np.isfinite(values) & (values != 0)


def _eval(node: ast.AST, env: dict[str, np.ndarray]) -> np.ndarray:
    if isinstance(node, ast.Constant):
        return np.full_like(env["x"], float(node.value))
    if isinstance(node, ast.Name):
        return env[node.id] if node.id in env else np.full_like(env["x"], float(node.id == "True"))
    if isinstance(node, ast.BoolOp):
        parts = [_truthy(_eval(v, env)) for v in node.values]
        joined = np.logical_and.reduce(parts) if isinstance(node.op, ast.And) \
            else np.logical_or.reduce(parts)
        return joined.astype(np.float64)
    if isinstance(node, ast.UnaryOp):
        inner = _eval(node.operand, env)
        if isinstance(node.op, ast.Not):
            return (~_truthy(inner)).astype(np.float64)
        if isinstance(node.op, ast.Invert):
            ints, ok = _floor_int(inner)
            return np.where(ok, np.invert(ints).astype(np.float64), np.nan)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, env), _eval(node.right, env)
        if isinstance(node.op, ast.Pow):
            return np.power(left, right)
        if type(node.op) in _BITWISE:
            (a, ok_a), (b, ok_b) = _floor_int(left), _floor_int(right)
            return np.where(ok_a & ok_b, _BITWISE[type(node.op)](a, b).astype(np.float64), np.nan)
        result = _BINARY[type(node.op)](left, right)
        if isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)):
            result = np.where(right == 0, np.nan, result)
        return result
    if isinstance(node, ast.Compare):
        left, result = _eval(node.left, env), np.ones(env["x"].shape, dtype=bool)
        for op, comparator in zip(node.ops, node.comparators):
            right = _eval(comparator, env)
            defined = np.isfinite(left) & np.isfinite(right)
            result &= defined & _COMPARE[type(op)](left, right)
            left = right
        return result.astype(np.float64)
    if isinstance(node, ast.IfExp):
        return np.where(_truthy(_eval(node.test, env)), _eval(node.body, env),
                        _eval(node.orelse, env))
    raise GuessError(f"{type(node).__name__} is not allowed")   # unreachable after _check


def evaluate(tree: ast.Expression, points: np.ndarray) -> np.ndarray:
    """The boolean value at each point; `points` has shape (P, 3) for (x, y, z)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    env = {name: points[:, k] for k, name in enumerate(VARIABLES)}
    with np.errstate(all="ignore"):
        return _truthy(_eval(tree.body, env))
