"""A hand-made WordNet dict folder in the real file format (index.* and data.* with true
byte offsets), so the reader and the substitution rules are tested on known synsets."""

from __future__ import annotations

from pathlib import Path

# pos -> synsets; each synset is (lemma names, how often the first lemma's sense was tagged)
SYNSETS = {
    "n": [(["harbour", "seaport", "haven"], 5), (["boat", "vessel", "dinghy"], 9),
          (["London"], 3), (["quiet", "hush", "stillness"], 1), (["road", "route"], 8),
          (["sailor", "mariner", "seafarer"], 4)],
    "v": [(["walk", "stroll", "amble", "saunter"], 20), (["watch", "observe", "view"], 15),
          (["stop", "halt", "cease"], 10), (["carry", "convey", "tote"], 7),
          (["run", "sprint", "dash"], 12), (["quiet", "hush", "still"], 1)],
    "a": [(["quiet", "tranquil", "placid", "hushed"], 6), (["old", "aged", "ancient"], 9)],
    "r": [(["slowly", "leisurely", "unhurriedly"], 4)],
}
NAMES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}


def build_tiny_wordnet(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for pos, synsets in SYNSETS.items():
        header = "  1 tiny WordNet for mnemoscope tests\n"
        data, offsets = header, []
        for number, (names, _) in enumerate(synsets):
            offsets.append(len(data.encode()))
            words = " ".join(f"{w} 0" for w in names)
            data += f"{offsets[-1]:08d} 00 {pos} {len(names):02x} {words} 000 | synset {number}\n"
        (folder / f"data.{NAMES[pos]}").write_text(data, encoding="utf-8")
        lemmas: dict[str, tuple[int, list[int]]] = {}
        for (names, tagged), offset in zip(synsets, offsets):
            for name in names:
                lower = name.lower()
                count, found = lemmas.get(lower, (0, []))
                lemmas[lower] = (count + tagged, found + [offset])
        lines = [header] + [f"{lemma} {pos} {len(found)} 0 {len(found)} {count} "
                            + " ".join(f"{o:08d}" for o in found) + "  \n"
                            for lemma, (count, found) in sorted(lemmas.items())]
        (folder / f"index.{NAMES[pos]}").write_text("".join(lines), encoding="utf-8")
        (folder / f"{NAMES[pos]}.exc").write_text("", encoding="utf-8")
    return folder


# Zipf frequencies (log10 per billion words), chosen by hand for the worked examples
ZIPF = {
    "harbour": 4.0, "seaport": 2.6, "haven": 4.1, "boat": 5.0, "boats": 4.6, "vessel": 3.9,
    "vessels": 3.6, "dinghy": 2.4, "dinghies": 2.1, "london": 5.5, "quiet": 4.6, "hush": 3.0,
    "stillness": 2.8, "road": 5.1, "route": 4.7, "sailor": 3.8, "mariner": 2.9,
    "seafarer": 2.2, "walk": 5.2, "walked": 4.7, "stroll": 3.3, "strolled": 2.9, "strolld": 0.0,
    "amble": 2.5, "ambled": 2.1, "saunter": 2.0, "sauntered": 2.2, "watch": 5.4,
    "watching": 5.0, "observe": 4.1, "observing": 3.7, "view": 5.0, "viewing": 4.0,
    "stop": 5.5, "stopped": 4.8, "stoped": 2.2, "halt": 3.8, "halted": 3.3, "halt-ed": 0.0,
    "cease": 3.6, "ceased": 3.5, "carry": 4.9, "carries": 4.0, "convey": 3.6, "conveys": 3.0,
    "tote": 2.6, "totes": 2.3, "run": 5.6, "sprint": 3.9, "dash": 4.0, "tranquil": 3.1,
    "placid": 3.0, "hushed": 2.9, "old": 6.0, "aged": 4.6, "ancient": 4.6, "slowly": 4.6,
    "leisurely": 3.1, "unhurriedly": 1.8, "the": 7.7, "along": 5.6, "sailed": 3.9,
    "still": 5.9, "stilled": 2.0,
}


def zipf(word: str) -> float:
    return ZIPF.get(word.lower(), 0.0)
