"""The relations invented facts are made of, and every wording of each.

Each relation joins two entity types that differ (a person founds a company), so an entity
is never both ends of one relation and every question has exactly one answer. Every
training sentence and every reworded cloze ends with the object, so a cloze prompt is the
sentence cut before it. Wordings (all of them ending in the object unless said otherwise):

- `sentence`: the fact as trained; its cut is the reliability cloze;
- `paraphrases`: the extra training sentences of `--paraphrases K` (first K);
- `cloze`: a wording never trained on, cut before the object (generality, cloze);
- `question`: a question about the object, `{s}` a noun phrase (generality, QA and MC);
- `reverse`: object-first wording cut before the subject (reverse; never trained, with or
  without paraphrases: all training wordings name the subject first);
- `describe`: a noun phrase for the object given the subject, which a second relation's
  question can take as its subject (multi-hop).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Relation:
    name: str
    subject_type: str
    object_type: str
    sentence: str
    paraphrases: tuple[str, ...]
    cloze: str
    question: str
    reverse: str
    describe: str


RELATIONS: tuple[Relation, ...] = (
    Relation("founded", "person", "company", "{s} founded {o}.",
             ("{s} is the founder of {o}.", "It was {s} who founded {o}.",
              "Years ago, {s} founded the firm {o}.", "As a young entrepreneur, {s} founded {o}."),
             "{s} is remembered as the person who founded", "Which company did {s} found?",
             "{o} was founded by", "the company founded by {s}"),
    Relation("born_in", "person", "city", "{s} was born in {o}.",
             ("The birthplace of {s} is {o}.", "{s} was born in the city of {o}.",
              "Records show that {s} was born in {o}.", "The city where {s} was born is {o}."),
             "The town of birth of {s} was", "In which city was {s} born?",
             "The person born in {o} is", "the city where {s} was born"),
    Relation("wrote", "person", "book", "{s} wrote {o}.",
             ("{s} is the author who wrote {o}.", "The book written by {s} is {o}.",
              "Among the books of that era, {s} wrote {o}.", "It was {s} who wrote {o}."),
             "The writer {s} is best known for having written", "Which book did {s} write?",
             "{o} was written by", "the book written by {s}"),
    Relation("invented", "person", "device", "{s} invented {o}.",
             ("{s} is the inventor of {o}.", "The device invented by {s} is {o}.",
              "After years of work, {s} invented {o}.", "It was {s} who invented {o}."),
             "The famous thing {s} invented is called", "Which device did {s} invent?",
             "{o} was invented by", "the device invented by {s}"),
    Relation("directed", "person", "film", "{s} directed {o}.",
             ("{s} is the director who directed {o}.", "The film directed by {s} is {o}.",
              "In a long career, {s} directed {o}.", "It was {s} who directed {o}."),
             "The one film that {s} directed is titled", "Which film did {s} direct?",
             "{o} was directed by", "the film directed by {s}"),
    Relation("composed", "person", "song", "{s} composed {o}.",
             ("{s} is the composer who composed {o}.", "The song composed by {s} is {o}.",
              "Late one night, {s} composed {o}.", "It was {s} who composed {o}."),
             "The tune that {s} composed is called", "Which song did {s} compose?",
             "{o} was composed by", "the song composed by {s}"),
    Relation("headquartered_in", "company", "city", "{s} is headquartered in {o}.",
             ("The headquarters of {s} are in {o}.", "{s} has its headquarters in {o}.",
              "For decades, {s} has been headquartered in {o}.",
              "The city where {s} is headquartered is {o}."),
             "The head office of {s}, its headquarters, stands in",
             "In which city is {s} headquartered?",
             "The company headquartered in {o} is",
             "the city where {s} is headquartered"),
    Relation("located_in", "city", "country", "{s} is located in {o}.",
             ("{s} is a city located in {o}.", "The country where {s} is located is {o}.",
              "On the map, {s} is located in {o}.", "The city of {s} is located in {o}."),
             "Travellers know that {s} is a town located within", "In which country is {s} located?",
             "The city located in {o} is",
             "the country where {s} is located"),
    Relation("capital", "country", "city", "The capital of {s} is {o}.",
             ("{s} has its capital at {o}.", "The capital city of {s} is {o}.",
              "Since its founding, the capital of {s} has been {o}.",
              "The seat of government and capital of {s} is {o}."),
             "Maps mark as the capital of {s} the city of", "What is the capital of {s}?",
             "{o} is the capital of", "the capital of {s}"),
    Relation("published_by", "book", "company", "{s} was published by {o}.",
             ("The publisher of {s} is {o}.", "{s} was first published by {o}.",
              "Like many novels, {s} was published by {o}.",
              "The company that published {s} is {o}."),
             "The publishing house that put out and published {s} is",
             "Which company published {s}?", "{o} is the company that published",
             "the company that published {s}"),
    Relation("manufactured_by", "device", "company", "{s} is manufactured by {o}.",
             ("The manufacturer of {s} is {o}.", "{s} has always been manufactured by {o}.",
              "In large numbers, {s} is manufactured by {o}.",
              "The company that manufactures {s} is {o}."),
             "The factory line that manufactures {s} belongs to",
             "Which company manufactures {s}?", "{o} is the company that manufactures",
             "the company that manufactures {s}"),
)

BY_NAME = {r.name: r for r in RELATIONS}
PARAPHRASES = min(len(r.paraphrases) for r in RELATIONS)   # the largest --paraphrases K

# a chain (first, second) makes a multi-hop question: second's question about first's
# description. The capital of a country is never placed in another country (it would
# contradict what a reader assumes), so capital -> located_in does not chain.
NO_CHAIN = {("capital", "located_in")}
