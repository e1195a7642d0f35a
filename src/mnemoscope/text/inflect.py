"""Keep a replaced word's inflection and case.

The original's form is read against its WordNet base form (morphy): a plural noun, a verb
in -s, -ed or -ing, or a base form. The synonym's base form is then inflected by spelling
rules that propose a few variants (walk -> walked; stop -> stoped, stopped; carry ->
carried), and the variant that is most frequent in English (wordfreq) wins; a variant
rarer than `min_zipf` is rejected, which drops made-up forms such as 'runned' when the
true form is irregular. Comparative and superlative adjectives (-er, -est) and irregular
forms are left alone: the word is not replaced. Adverbs are WordNet lemmas of their own
(quickly, swiftly), so they need no rule.
"""

from __future__ import annotations

from typing import Callable

VOWELS = set("aeiou")


def form_of(word: str, lemma: str, pos: str) -> str | None:
    """'base', 'plural', 's', 'ed', 'ing', or None when the form is not handled."""
    word = word.lower()
    if word == lemma:
        return "base"
    if pos == "n":
        return "plural"
    if pos == "v":
        for suffix, form in (("ing", "ing"), ("ed", "ed"), ("s", "s")):
            if word.endswith(suffix):
                return form
    return None


def _consonant_y(lemma: str) -> bool:
    return len(lemma) > 1 and lemma.endswith("y") and lemma[-2] not in VOWELS


def variants(lemma: str, form: str) -> list[str]:
    """Spelling candidates for `lemma` in `form`; the caller keeps the most frequent one."""
    if form == "base":
        return [lemma]
    if form in ("plural", "s"):
        out = [lemma + "s", lemma + "es"]
        if _consonant_y(lemma):
            out.append(lemma[:-1] + "ies")
        return out
    doubled = lemma + lemma[-1] if lemma[-1] not in VOWELS | {"w", "x", "y"} else None
    if form == "ed":
        out = [lemma + "d" if lemma.endswith("e") else lemma + "ed"]
        if _consonant_y(lemma):
            out.append(lemma[:-1] + "ied")
        if doubled:
            out.append(doubled + "ed")
        return out
    if form == "ing":
        out = [lemma + "ing"]
        if lemma.endswith("ie"):
            out.append(lemma[:-2] + "ying")
        elif lemma.endswith("e") and not lemma.endswith("ee"):
            out.append(lemma[:-1] + "ing")
        if doubled:
            out.append(doubled + "ing")
        return out
    return []


def inflect(lemma: str, form: str, zipf: Callable[[str], float], min_zipf: float) -> str | None:
    """The most frequent spelling of `lemma` in `form`, or None if none is a real word."""
    options = [(zipf(v), v) for v in variants(lemma, form)]
    if not options:
        return None
    best_zipf, best = max(options)
    return best if best_zipf >= min_zipf else None


def match_case(original: str, replacement: str) -> str:
    """Copy the original's case pattern: lower, Title or UPPER."""
    if len(original) > 1 and original.isupper():
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement
