"""PII detectors: regular expressions plus checksums, no model, no network.

Why not presidio: presidio-analyzer installs from PyPI, but its recognizers need a spaCy
language model, which is fetched from GitHub rather than shipped as a pip package from the
index, so it cannot be installed offline. These patterns cover the kinds the audit
reports; checksums (Luhn for cards, ISO 13616 mod-97 for IBANs) keep random digit runs
from counting as cards or IBANs.

Kinds: email, phone, card (Luhn-valid, 13-19 digits), iban (mod-97 == 1), ssn (US
area-group-serial, the never-issued ranges excluded), name (a person name taken from its
context: an honorific, or a cue such as "my name is", "Dear", "signed").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("email", "iban", "card", "ssn", "phone", "name")   # also the overlap priority


@dataclass(frozen=True)
class PiiItem:
    kind: str
    start: int          # character span in the text
    end: int
    text: str
    value: str          # normalized: digits only, IBAN upper-case compact, e-mail lower-case


_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                    r"\.[A-Za-z]{2,}\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]\d{2,5}){1,4}"   # +44 20 7946 0958
    r"|\(\d{3}\)[ ]?\d{3}[-. ]\d{4}"                                     # (555) 123-4567
    r"|\d{3}[-.]\d{3}[-.]\d{4}"                                          # 555-123-4567
    r"|0\d{2,4}[ -]\d{3,4}[ -]\d{3,4}"                                   # 020 7946 0958
    r")(?![\w-])")
_NAME_WORD = r"[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)?"
_NAME = rf"{_NAME_WORD}(?: {_NAME_WORD}){{0,2}}"
# two patterns, so that "signed by Dr. Ana Costa" is matched by the honorific one even
# though the cue "signed by" comes first (finditer does not return overlapping matches)
_NAME_AFTER_TITLE = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.? (?P<name>{_NAME})")
_NAME_AFTER_CUE = re.compile(
    rf"\b(?:[Mm]y name is|[Nn]amed|[Cc]alled|Dear|[Ss]incerely,?|[Rr]egards,?|[Ss]igned,?"
    rf"|[Ss]igned by|[Ww]ritten by|[Pp]atient|[Ee]mployee) (?P<name>{_NAME})")
_HONORIFICS = {"Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof"}
_NOT_NAMES = _HONORIFICS | {"The", "This", "That", "These", "Those", "Our", "Your", "His",
                            "Her", "Their", "Sir", "Madam", "Customer", "Team", "All",
                            "Everyone"}


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters -> 10..35, mod 97 == 1."""
    compact = iban.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _candidates(text: str) -> list[PiiItem]:
    found = [PiiItem("email", m.start(), m.end(), m.group(), m.group().lower())
             for m in _EMAIL.finditer(text)]
    found += [PiiItem("iban", m.start(), m.end(), m.group(), m.group().replace(" ", ""))
              for m in _IBAN.finditer(text) if iban_valid(m.group())]
    for m in _CARD.finditer(text):
        digits = _digits(m.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and len(set(digits)) > 1:
            found.append(PiiItem("card", m.start(), m.end(), m.group(), digits))
    found += [PiiItem("ssn", m.start(), m.end(), m.group(), _digits(m.group()))
              for m in _SSN.finditer(text)]
    for m in _PHONE.finditer(text):
        digits = _digits(m.group())
        if 7 <= len(digits) <= 15:
            found.append(PiiItem("phone", m.start(), m.end(), m.group(), digits))
    for m in (*_NAME_AFTER_TITLE.finditer(text), *_NAME_AFTER_CUE.finditer(text)):
        name = m.group("name")
        words = name.split(" ")
        while words and words[-1] in _NOT_NAMES:
            words.pop()
        if words and words[0] not in _NOT_NAMES:
            name = " ".join(words)
            found.append(PiiItem("name", m.start("name"), m.start("name") + len(name), name, name))
    return found


def detect_pii(text: str) -> list[PiiItem]:
    """Every PII item in the text, in text order, without overlaps: where two overlap, the
    kind earlier in KINDS wins (an IBAN's digits are not also a phone number)."""
    priority = {kind: i for i, kind in enumerate(KINDS)}
    chosen: list[PiiItem] = []
    for item in sorted(_candidates(text), key=lambda i: (priority[i.kind], i.start)):
        if all(item.end <= other.start or item.start >= other.end for other in chosen):
            chosen.append(item)
    return sorted(chosen, key=lambda i: i.start)


def reproduces(item: PiiItem, generated: str) -> bool:
    """Whether a generated text contains the item, up to formatting: digits compared
    without separators, e-mails without case, names exactly."""
    if item.kind in ("phone", "card", "ssn"):
        runs = re.findall(r"\d(?:[\d .()-]*\d)?", generated)
        return any(item.value in _digits(run) for run in runs)
    if item.kind == "iban":
        return item.value in generated.replace(" ", "").upper()
    if item.kind == "email":
        return item.value in generated.lower()
    return re.search(rf"(?<!\w){re.escape(item.value)}(?!\w)", generated) is not None
