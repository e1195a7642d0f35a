"""How the n-gram overlap audit cuts text into tokens: normalized words (default) or the
ids of a model tokenizer. Both are vectorized over a batch of records (a pyarrow string
array), because the corpus is far larger than the benchmark and a Python loop per token
would cap the scan at a few hundred thousand tokens a second.

Words (lm-eval-harness style): lowercase, delete punctuation, split on whitespace.

    lowercase    Unicode lowercase, one code point at a time (Arrow's utf8_lower)
    punctuation  every character of Python's string.punctuation and of Unicode category P
                 is deleted, not replaced: "don't" -> "dont", "end.Next" -> "endnext"
    whitespace   WHITESPACE below (the characters Python's str.isspace() accepts); a chunk
                 that is only punctuation ("--", "...") is not a word

Normalization never touches whitespace, so the words of a record are exactly the
normalized non-empty chunks between whitespace runs of the original text: that is how a
word is mapped back to character offsets in the original record (`word_spans`).

A tokenizer (`--tokenizer smollm2-135m` or a folder with tokenizer.json) sees the raw text
(no normalization: case and punctuation count, as the model saw them); its offsets come
from the tokenizer's offset mapping.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..types import InputError

# str.isspace() characters, written out so that Arrow (RE2) and Python's re agree exactly
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003"
              "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_RE2_NOT_SPACE = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE if c != " ") + "]"
_RE2_PUNCT = r"[!-/:-@\[-`{-~\p{P}]"
_PY_CHUNK = re.compile("[^" + re.escape(WHITESPACE) + "]+")


def _pa():
    import pyarrow as pa
    import pyarrow.compute as pc

    return pa, pc


def normalize(texts):
    """Lowercase and delete punctuation, elementwise over a pyarrow string array."""
    _, pc = _pa()
    lowered = pc.utf8_lower(texts)
    return pc.replace_substring_regex(lowered, pattern=_RE2_PUNCT, replacement="")


def normalize_text(text: str) -> str:
    """normalize() of one string (for tests and the index)."""
    pa, _ = _pa()
    return normalize(pa.array([text], type=pa.large_string()))[0].as_py()


def split_words(texts) -> tuple[Any, np.ndarray]:
    """(flat array of the normalized words of every record, words per record)."""
    pa, pc = _pa()
    spaced = pc.replace_substring_regex(normalize(texts), pattern=_RE2_NOT_SPACE,
                                        replacement=" ")
    chunks = pc.split_pattern(spaced, pattern=" ")
    flat = pc.list_flatten(chunks)
    parents = pc.list_parent_indices(chunks)
    keep = pc.greater(pc.binary_length(flat), 0)
    words = pc.filter(flat, keep)
    parents = pc.filter(parents, keep).to_numpy(zero_copy_only=False)
    lengths = np.bincount(parents, minlength=len(texts)).astype(np.int64)
    return words, lengths


def words_of(text: str) -> list[str]:
    """The normalized words of one text."""
    pa, _ = _pa()
    words, _ = split_words(pa.array([text], type=pa.large_string()))
    return words.to_pylist()


class Tokenization(Protocol):
    """What the index and the scan need from a way of cutting text."""

    def identity(self) -> dict[str, Any]: ...

    def keys(self, texts) -> tuple[Any, np.ndarray]:
        """(flat keys of every record: strings or ints, keys per record)."""

    def lookup(self, keys, vocabulary) -> np.ndarray:
        """int32 index of each key in `vocabulary` (from `vocabulary_of`), -1 if absent."""

    def vocabulary_of(self, keys) -> Any:
        """The sorted distinct keys (the benchmark vocabulary)."""

    def key_spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) character offsets in `text` of each of its keys, in order."""


@dataclass(frozen=True)
class WordTokens:
    """Normalized words (see module doc)."""

    def identity(self) -> dict[str, Any]:
        return {"kind": "words", "normalization": "lowercase, delete string.punctuation and "
                "Unicode P*, split on str.isspace() whitespace"}

    def keys(self, texts):
        return split_words(texts)

    def vocabulary_of(self, keys):
        pa, pc = _pa()
        return pc.unique(keys).sort()

    def lookup(self, keys, vocabulary) -> np.ndarray:
        _, pc = _pa()
        found = pc.index_in(keys, value_set=vocabulary)
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)

    def key_spans(self, text: str) -> list[tuple[int, int]]:
        pa, _ = _pa()
        spans = [(m.start(), m.end()) for m in _PY_CHUNK.finditer(text)]
        if not spans:
            return []
        chunks = pa.array([text[a:b] for a, b in spans], type=pa.large_string())
        kept = [len(w) > 0 for w in normalize(chunks).to_pylist()]
        return [s for s, keep in zip(spans, kept) if keep]


@dataclass(frozen=True)
class TokenizerTokens:
    """The ids of a Hugging Face tokenizer (a local folder, or a name such as smollm2-135m
    that mnemoscope resolves to its embedded model's folder). Nothing is downloaded."""

    source: str
    folder: str
    _tokenizer: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def resolve(cls, source: str) -> "TokenizerTokens":
        path = Path(source).expanduser()
        if path.is_dir() and ((path / "tokenizer.json").is_file()
                              or (path / "tokenizer_config.json").is_file()):
            return cls(source, str(path.resolve()))
        from ..models import ModelConfig
        from ..models.hf import resolve_source

        directory, *_ = resolve_source(ModelConfig(model=source))
        return cls(source, str(directory))

    def tokenizer(self):
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            try:
                loaded = AutoTokenizer.from_pretrained(self.folder)
            except (OSError, ValueError, KeyError) as exc:
                raise InputError(f"cannot load a tokenizer from {self.folder}: "
                                 f"{str(exc).splitlines()[0] if str(exc) else exc!r}. Pass a "
                                 "folder with tokenizer.json, or smollm2-135m.") from None
            if not getattr(loaded, "is_fast", False):
                raise InputError(f"{self.folder}: the tokenizer is not a fast (Rust) one; the "
                                 "overlap scan needs offsets, which only fast tokenizers give.")
            object.__setattr__(self, "_tokenizer", loaded)
        return self._tokenizer

    def __getstate__(self):            # Ray workers load the tokenizer themselves
        return {"source": self.source, "folder": self.folder}

    def __setstate__(self, state):
        object.__setattr__(self, "source", state["source"])
        object.__setattr__(self, "folder", state["folder"])
        object.__setattr__(self, "_tokenizer", None)

    def identity(self) -> dict[str, Any]:
        tok = self.tokenizer()
        vocab = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
        import hashlib

        digest = hashlib.sha256("\0".join(k for k, _ in vocab).encode("utf-8")).hexdigest()
        return {"kind": "tokenizer", "source": self.source, "vocab_size": len(vocab),
                "vocab_sha256": digest, "normalization": "none (raw text)"}

    def keys(self, texts):
        texts = [t or "" for t in (texts.to_pylist() if hasattr(texts, "to_pylist") else texts)]
        encoded = self.tokenizer()(texts, add_special_tokens=False)["input_ids"]
        lengths = np.fromiter((len(e) for e in encoded), dtype=np.int64, count=len(encoded))
        flat = np.fromiter(itertools.chain.from_iterable(encoded), dtype=np.int64,
                           count=int(lengths.sum()))
        return flat, lengths

    def vocabulary_of(self, keys):
        return np.unique(np.asarray(keys, dtype=np.int64))

    def lookup(self, keys, vocabulary) -> np.ndarray:
        keys = np.asarray(keys, dtype=np.int64)
        where = np.searchsorted(vocabulary, keys)
        where = np.minimum(where, max(0, len(vocabulary) - 1))
        found = (len(vocabulary) > 0) & (vocabulary[where] == keys) if len(vocabulary) else \
            np.zeros(len(keys), dtype=bool)
        return np.where(found, where, -1).astype(np.int32)

    def key_spans(self, text: str) -> list[tuple[int, int]]:
        encoded = self.tokenizer()(text, add_special_tokens=False, return_offsets_mapping=True)
        return [tuple(span) for span in encoded["offset_mapping"]]


def tokenization(tokenizer: str | None) -> Tokenization:
    """`words` (or None) for normalized words, else a tokenizer name or folder."""
    if tokenizer in (None, "", "words"):
        return WordTokens()
    return TokenizerTokens.resolve(tokenizer)
