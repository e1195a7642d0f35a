"""Seeded natural-English paragraphs for the watermark experiment (written for mnemoscope).

No dataset can be downloaded here, and LexiMark needs ordinary prose whose content words
have WordNet synonyms. This generator writes short scene paragraphs (four sentences, about
60-80 words) from hand-written sentence templates and slot lists rich in common nouns,
verbs, adjectives and adverbs. Members and non-members come from the same generator, so
after a fine-tune only memorization of each paragraph's particular choices separates them.

    python bench/watermark_corpus.py 200 --seed 0 > corpus.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys

PEOPLE = ["the old fisherman", "a young teacher", "the village baker", "my grandmother",
          "a tired traveller", "the shepherd", "the carpenter", "a quiet student",
          "the farmer's daughter", "an elderly doctor", "the ferryman", "a curious child",
          "the blacksmith", "the innkeeper", "a wandering musician", "the miller's wife",
          "the night watchman", "a retired sailor", "the gardener", "a nervous clerk"]
VERBS = ["repaired", "painted", "carried", "gathered", "cleaned", "polished", "collected",
         "arranged", "examined", "prepared", "watched", "visited", "crossed", "climbed",
         "followed", "searched", "described", "admired", "noticed", "guarded", "opened",
         "mended", "studied", "counted", "defended", "praised", "damaged", "built"]
THINGS = ["the broken fence", "a heavy basket of apples", "the narrow bridge",
          "an ancient map", "the wooden cart", "a small boat", "the stone wall",
          "a bundle of letters", "the rusty gate", "an empty barn", "the church tower",
          "a pile of firewood", "the little garden", "a leather saddle", "the silver bell",
          "a torn sail", "the crooked chimney", "a box of tools", "the frozen pond",
          "a bright lantern"]
PLACES = ["near the harbour", "beside the river", "across the valley", "in the market",
          "behind the church", "at the edge of the forest", "on the hill above the town",
          "along the muddy road", "under the old oak", "by the mill", "inside the barn",
          "outside the station", "at the foot of the mountain", "on the busy square"]
TIMES = ["Early in the morning", "After the storm", "During the long winter",
         "Before dinner", "At dusk", "On a grey afternoon", "Late at night",
         "At the start of spring", "One rainy evening", "Soon after breakfast"]
ADVERBS = ["slowly", "carefully", "quietly", "eagerly", "patiently", "silently", "happily",
           "quickly", "gently", "proudly", "anxiously", "calmly", "bravely", "wearily"]
ADJECTIVES = ["quiet", "bright", "ancient", "narrow", "gentle", "heavy", "strange",
              "beautiful", "silent", "dark", "cold", "huge", "tiny", "rough", "brave",
              "careful", "famous", "simple", "empty", "warm", "wet", "sharp", "lonely",
              "busy", "clever", "soft", "wild", "calm", "hidden", "proud"]
NOUNS = ["house", "road", "field", "village", "river", "storm", "forest", "garden", "harbour",
         "street", "meadow", "valley", "cottage", "journey", "crowd", "market", "shore",
         "wind", "morning", "evening", "island", "path", "lake", "tower"]
REASONS = ["the weather was unusually mild", "the roads were flooded", "the festival was near",
           "a letter had arrived from the city", "the harvest had been poor",
           "the mayor had asked for help", "a storm was coming from the sea",
           "the bridge had collapsed in the night", "the school was closed for the week",
           "the lamps had gone out", "nobody else wanted the job", "the price of bread had risen"]
FEELINGS = ["cheerful", "worried", "exhausted", "grateful", "surprised", "angry", "hopeful",
            "confused", "delighted", "sad", "afraid", "content"]
REACTIONS = ["began to cheer", "fell silent", "laughed loudly", "started to whisper",
             "shook their heads", "clapped and sang", "wept with relief", "hurried home"]
CROWDS = ["neighbours", "children", "villagers", "soldiers", "merchants", "guests", "workers"]

TEMPLATES = [
    "{time}, {person} {verb} {thing} {place}.",
    "{Person} {adverb} {verb} {thing}, because {reason}.",
    "The {adj} {noun} {place} seemed {adj2} and {adj3} to everyone who passed.",
    "Nobody {verb} {thing} until {person} arrived with {thing2}.",
    "It was a {adj} {noun2}, and the {crowd} waited {adverb} {place}.",
    "{Person} remembered the {adj} {noun} and the {adj2} {noun2} of those distant years.",
    "When {person} finally {verb} {thing}, the {crowd} {reaction}.",
    "{Person} felt {feeling} and {feeling2} as the {adj} {noun} grew {adj2}.",
    "Later {person} {verb} {thing2} and walked {adverb} {place}.",
    "The {crowd} said that {person} had {verb} {thing} {place} before anyone else.",
]


def paragraph(rng: random.Random, sentences: int = 4) -> str:
    out = []
    for template in rng.sample(TEMPLATES, sentences):
        person = rng.choice(PEOPLE)
        slots = dict(
            time=rng.choice(TIMES), person=person, Person=person[0].upper() + person[1:],
            verb=rng.choice(VERBS), thing=rng.choice(THINGS), thing2=rng.choice(THINGS),
            place=rng.choice(PLACES), adverb=rng.choice(ADVERBS), reason=rng.choice(REASONS),
            adj=rng.choice(ADJECTIVES), adj2=rng.choice(ADJECTIVES), adj3=rng.choice(ADJECTIVES),
            noun=rng.choice(NOUNS), noun2=rng.choice(NOUNS), crowd=rng.choice(CROWDS),
            reaction=rng.choice(REACTIONS), feeling=rng.choice(FEELINGS),
            feeling2=rng.choice(FEELINGS))
        out.append(template.format(**slots))
    return " ".join(out)


def corpus(count: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    return [{"id": f"p{i:03d}", "text": paragraph(rng)} for i in range(count)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for record in corpus(args.count, args.seed):
        sys.stdout.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
