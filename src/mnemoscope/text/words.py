"""Split a text into sentences and words, and decide which words may be replaced.

A word may be replaced only if it is plain letters (3 or more, no digits, no apostrophe or
hyphen inside), possibly wrapped in ordinary punctuation, and it is not:
  - inside a code span (``` fenced blocks, `inline`), a URL or an e-mail address;
  - part of a code-like token (snake_case, a.b, f(x), camelCase, paths);
  - capitalised in mid-sentence (a name: the NNP heuristic), or in ALL CAPS (an acronym);
  - capitalised at the start of a sentence unless WordNet lists it in lower case
    (so 'Quiet streets ...' qualifies and 'London is ...' does not);
  - a function word (preposition, conjunction, pronoun, auxiliary, a few adverbs such as
    'still' or 'then'): WordNet lists many of them as adverbs or adjectives, and their
    'synonyms' break the grammar (before -> earlier, near -> nearly);
  - an irregular verb form (said, went, ...): without WordNet's exception lists they cannot
    be traced to their base form, so their synonyms would get the wrong inflection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

_PROTECTED = re.compile(r"```.*?```|`[^`\n]*`|(?:https?|ftp)://\S+|www\.\S+|\S+@\S+", re.S)
_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"[A-Za-z]{3,}")
_OPEN = "\"'([{<“‘"
_CLOSE = "\"'.,;:!?)]}>”’…"
_CAMEL = re.compile(r"[a-z][A-Z]")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+|\n\s*\n")
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "prof", "e.g", "i.e", "etc", "vs", "no", "fig"}


FUNCTION_WORDS = frozenset("""
about above across after against ago along also although among and around because before
behind below beneath beside besides between beyond both but down during either else even ever
except for from here however inside into just like near neither never nor now off once only
onto other outside over past since some still such than that then there these they this those
though through throughout thus till too toward towards under unless until upon very well what
when where whether which while who whom whose with within without yet been being have has had
having does did doing will would shall should can could may might must not one ones our your
their them him her his its all any each every few many more most much several own same
""".split())
IRREGULAR_FORMS = frozenset("""
said made went gone took taken came saw seen knew known got gotten gave given found thought
told became left felt brought began begun kept held stood heard meant met ran paid sat spoke
spoken lay lain led grew grown lost fell fallen sent built understood drew drawn broke broken
spent rose risen drove driven bought wore worn chose chosen sought caught taught fought threw
thrown flew flown wrote written ate eaten sang sung swam swum rang rung hung struck stuck
slept swept wept bent lent dealt dug fed fled forgot forgotten froze frozen hid hidden shook
shaken shone shot shut spun split spread sprang stole stolen strode swore sworn tore torn
woke woken won wound bore borne beat beaten bit bitten blew blown bled bred clung crept
""".split())


@dataclass(frozen=True)
class Word:
    start: int          # character offsets in the text
    end: int
    text: str
    sentence: int       # index of the sentence it belongs to
    sentence_start: bool


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: a split after . ! ? (not after Mr., e.g., ...) or at a
    blank line."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        before = text[start:match.start()].rstrip("\"'”’)]").rstrip(".!?")
        last = before.split()[-1].lower() if before.split() else ""
        if text[match.start() - 1:match.start()] == "." and last in _ABBREVIATIONS:
            continue
        if text[start:match.start()].strip():
            spans.append((start, match.start()))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def _protected_mask(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _PROTECTED.finditer(text)]


def words(text: str, is_lowercase_word: Callable[[str], bool]) -> list[Word]:
    """Every replaceable word of `text`, in order. `is_lowercase_word(w)` says whether a
    sentence-initial capitalised word is an ordinary word (WordNet lists it in lower case)."""
    protected = _protected_mask(text)
    out = []
    for number, (s_start, s_end) in enumerate(sentence_spans(text)):
        first = True
        for token in _TOKEN.finditer(text, s_start, s_end):
            raw = token.group()
            core = raw.lstrip(_OPEN).rstrip(_CLOSE)
            at_start, first = first, False
            if not core:
                first = at_start          # a lone quote or bracket does not start the sentence
                continue
            start = token.start() + raw.index(core)
            end = start + len(core)
            if any(a < end and start < b for a, b in protected):
                continue
            if not _WORD.fullmatch(core) or _CAMEL.search(core):
                continue
            if core.isupper() or core.lower() in FUNCTION_WORDS or core.lower() in IRREGULAR_FORMS:
                continue
            if core[0].isupper():
                if not at_start or not core[1:].islower() or not is_lowercase_word(core.lower()):
                    continue
            out.append(Word(start, end, core, number, at_start))
    return out
