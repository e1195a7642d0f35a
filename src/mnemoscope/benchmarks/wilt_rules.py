"""The hidden rules of the WILT-style game, written in the same restricted language a guess
must use (wilt_expr.py). So every rule is itself a valid guess, and a test can check that the
evaluator understands all of them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    category: str     # order | parity | arithmetic | range | bitwise | other
    expression: str


RULES: tuple[Rule, ...] = (
    Rule("ascending", "order", "x < y < z"),
    Rule("descending", "order", "x > y > z"),
    Rule("x_below_y", "order", "x < y"),
    Rule("two_equal", "order", "x == y or y == z or x == z"),
    Rule("x_largest", "order", "x >= y and x >= z"),
    Rule("x_between", "order", "y < x < z or z < x < y"),
    Rule("x_even", "parity", "x % 2 == 0"),
    Rule("sum_odd", "parity", "(x + y + z) % 2 == 1"),
    Rule("all_even", "parity", "x % 2 == 0 and y % 2 == 0 and z % 2 == 0"),
    Rule("x_multiple_of_3", "parity", "x % 3 == 0"),
    Rule("product_even", "parity", "(x * y) % 2 == 0"),
    Rule("sum_positive", "arithmetic", "x + y + z > 0"),
    Rule("sum_is_z", "arithmetic", "x + y == z"),
    Rule("product_above_z", "arithmetic", "x * y > z"),
    Rule("product_negative", "arithmetic", "x * y * z < 0"),
    Rule("pair_beats_double_z", "arithmetic", "x + y > 2 * z"),
    Rule("product_is_z", "arithmetic", "x * y == z"),
    Rule("gap_above_5", "arithmetic", "x - y > 5"),
    Rule("x_single_digit", "range", "0 < x < 10"),
    Rule("y_near_zero", "range", "-5 <= y <= 5"),
    Rule("all_positive", "range", "x > 0 and y > 0 and z > 0"),
    Rule("inside_ball", "range", "x ** 2 + y ** 2 + z ** 2 < 100"),
    Rule("z_outside_band", "range", "z < 0 or z > 50"),
    Rule("no_common_bits", "bitwise", "(x & y) == 0"),
    Rule("or_above_z", "bitwise", "(x | y) > z"),
    Rule("xor_zero", "bitwise", "(x ^ y ^ z) == 0"),
    Rule("same_low_bit", "bitwise", "(x & 1) == (y & 1)"),
    Rule("bit_2_set", "bitwise", "(x & 4) != 0"),
    Rule("y_is_7", "other", "y == 7"),
    Rule("always", "other", "True"),
    Rule("y_is_square_of_x", "other", "x * x == y"),
    Rule("same_mod_5", "other", "(x + y) % 5 == z % 5"),
    Rule("sign_flips_order", "other", "x > y if z > 0 else x < y"),
    Rule("square_beats_product", "other", "x ** 2 > y * z"),
    Rule("same_last_digit", "other", "x % 10 == y % 10"),
)

BY_NAME = {rule.name: rule for rule in RULES}
