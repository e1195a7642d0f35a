"""Seeded synthetic short texts for lab runs without a dataset at hand.

Each text is a short record of about 60-70 SmolLM2 tokens: who (a name, age, job, city),
what happened (an event, a date, counts, places), and in about half of them a contact
line with PII (an e-mail, a phone number, a Luhn-valid card number, an honorific name).
Members and non-members come from the same generator, so what separates them after a
fine-tune is only memorization of each text's random specifics, which is what the lab
measures. Offline, deterministic (the same seed gives the same texts), no model needed.

    python -m mnemoscope.lab.synthetic 400 --seed 0 > texts.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys

FIRST = ("Alice Amara Bruno Chen Dara Elif Farid Greta Hugo Ines Jonas Kofi Lena Mateo Nadia "
         "Oskar Priya Quentin Rosa Samir Tomas Ugo Vera Wanda Xavier Yara Zoltan Beatriz Cyrus "
         "Dmitri Esther Felix Gianna Hamid Ingrid Jasper Keiko Lucas Marta Niko Olga Pablo "
         "Rania Sven Talia Umar Viktor Wren Yusuf Zofia").split()
LAST = ("Moreno Okafor Lindqvist Tanaka Haddad Novak Brennan Castillo Dubois Eriksen Fischer "
        "Gallo Horvat Ivanova Jensen Kowalski Laurent Mendes Nakamura Ortega Petrov Quinn "
        "Rossi Schneider Torres Uchida Varga Weber Yilmaz Zimmer Abbott Barros Costa Duarte "
        "Esposito Ferreira Grant Holm Iqbal Jovanovic").split()
CITIES = ("Lisbon Tromso Valparaiso Kraków Osaka Nairobi Ghent Tbilisi Cork Porto Leipzig "
          "Quebec Hobart Tallinn Seville Bergen Marseille Lviv Trieste Malmö Cusco Zagreb "
          "Aarhus Bilbao Plovdiv Turku Graz Split Dundee Brno").split()
JOBS = ("baker nurse carpenter librarian pilot chemist florist welder teacher surveyor "
        "beekeeper architect plumber translator glassblower cartographer electrician "
        "violinist potter locksmith").split()
EVENTS = ("reported a flooded cellar", "opened a small bookshop", "won the regional chess cup",
          "lost a grey bicycle", "adopted two rescue cats", "finished a marathon",
          "repaired the old clock tower", "planted a row of pear trees", "sold a vintage piano",
          "found a wallet near the station", "started a night class in welding",
          "moved into a blue houseboat", "hosted a dinner for the neighbours",
          "broke a wrist while skiing", "painted a mural on the bakery wall")
MONTHS = ("January February March April May June July August September October November "
          "December").split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
OBJECTS = ("crates of apples", "wooden chairs", "paper lanterns", "copper pans", "library books",
           "tulip bulbs", "spare tyres", "jars of honey", "rolls of canvas", "garden gnomes",
           "winter coats", "bags of cement")
PLACES = ("to the harbour depot", "across the old bridge", "into the school gym",
          "behind the town hall", "onto the night ferry", "up to the hill farm",
          "through the market square", "down to the boat shed")
REASONS = ("the roof had started to leak", "a storm was expected by evening",
           "the council had asked for help", "the festival began at noon",
           "the lease ended that week", "a cousin was visiting from abroad",
           "the insurance needed photos", "the river had risen overnight")
DOMAINS = ("example.org", "mailbox.test", "postal.example", "inbox.example.net")


def _luhn_card(rng: random.Random) -> str:
    digits = [4] + [rng.randrange(10) for _ in range(14)]
    total = 0
    for position, value in enumerate(reversed(digits)):   # the check digit goes to the right
        if position % 2 == 0:
            value *= 2
            value -= 9 if value > 9 else 0
        total += value
    digits.append((10 - total % 10) % 10)
    text = "".join(map(str, digits))
    return " ".join(text[i:i + 4] for i in range(0, 16, 4))


def _contact(rng: random.Random, first: str, last: str) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        user = f"{first.lower()}.{last.lower()}{rng.randrange(10, 99)}"
        return f"Write to {user}@{rng.choice(DOMAINS)} for the details."
    if kind == 1:
        return (f"Call ({rng.randrange(200, 989)}) {rng.randrange(200, 999)}-"
                f"{rng.randrange(1000, 9999)} after six.")
    if kind == 2:
        return f"The deposit was paid with card {_luhn_card(rng)} on the same day."
    title = rng.choice(("Dr.", "Mrs.", "Mr.", "Ms."))
    return f"The form was signed by {title} {rng.choice(FIRST)} {rng.choice(LAST)} at the desk."


def synthetic_text(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    pronoun = rng.choice(("She", "He", "They"))
    day = rng.randrange(1, 29)
    who = (f"{first} {last}, a {rng.randrange(19, 81)}-year-old {rng.choice(JOBS)} from "
           f"{rng.choice(CITIES)}, {rng.choice(EVENTS)} on {rng.choice(WEEKDAYS)} {day} "
           f"{rng.choice(MONTHS)}.")
    what = (f"{pronoun} carried {rng.randrange(3, 60)} {rng.choice(OBJECTS)} "
            f"{rng.choice(PLACES)} because {rng.choice(REASONS)}.")
    parts = [who, what]
    if rng.random() < 0.5:
        parts.append(_contact(rng, first, last))
    else:
        parts.append(f"Room {rng.randrange(1, 400)} was booked until {rng.randrange(1, 12)} pm "
                     f"and the bill came to {rng.randrange(12, 900)} euros.")
    return " ".join(parts)


def synthetic_texts(count: int, seed: int = 0) -> list[dict[str, str]]:
    """`count` distinct records as {"id", "text"}."""
    rng = random.Random(f"synthetic:{seed}")
    seen: set[str] = set()
    records = []
    while len(records) < count:
        text = synthetic_text(rng)
        if text not in seen:
            seen.add(text)
            records.append({"id": f"syn-{len(records):05d}", "text": text})
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write seeded synthetic texts as JSON lines")
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for record in synthetic_texts(args.count, args.seed):
        sys.stdout.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
