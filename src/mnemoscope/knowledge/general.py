"""General-knowledge cloze prompts a small model answers: the locality check that training
on invented facts leaves what the model already knew in place.

Vetted on the embedded SmolLM2-135M-Instruct: of 36 candidates it answered 30 by greedy
generation (lenient match), and the 6 it missed were dropped (Egypt's capital: it says
Alexandria). A run re-checks them against its own base model at epoch 0, and the summary's
retention counts only the prompts that base model answered.
"""

from __future__ import annotations

GENERAL: tuple[tuple[str, str], ...] = (
    ("The capital of France is", "Paris"),
    ("The capital of Japan is", "Tokyo"),
    ("The capital of Italy is", "Rome"),
    ("The capital of Germany is", "Berlin"),
    ("The capital of Spain is", "Madrid"),
    ("The capital of England is", "London"),
    ("The capital of Russia is", "Moscow"),
    ("The capital of China is", "Beijing"),
    ("The capital of Greece is", "Athens"),
    ("The Eiffel Tower is located in the city of", "Paris"),
    ("The Statue of Liberty is located in the city of", "New York"),
    ("The Colosseum is located in the city of", "Rome"),
    ("Romeo and Juliet was written by William", "Shakespeare"),
    ("The theory of relativity was developed by Albert", "Einstein"),
    ("The first president of the United States was George", "Washington"),
    ("The chemical symbol for water is", "H2O"),
    ("The largest planet in our solar system is", "Jupiter"),
    ("The planet closest to the Sun is", "Mercury"),
    ("The Red Planet is another name for", "Mars"),
    ("The largest ocean on Earth is the", "Pacific"),
    ("The longest river in Africa is the", "Nile"),
    ("Water freezes at a temperature of zero degrees", "Celsius"),
    ("A week has seven", "days"),
    ("The opposite of hot is", "cold"),
    ("Two plus two equals", "four"),
    ("The Mona Lisa was painted by Leonardo da", "Vinci"),
    ("Bees make a sweet food called", "honey"),
    ("The official language of Brazil is", "Portuguese"),
    ("The currency of Japan is the", "yen"),
    ("The Great Wall is located in", "China"),
)
