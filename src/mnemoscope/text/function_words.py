"""The closed list of English function words: the words that carry grammar rather than
content. Used to split tokens into classes (signals/function_tokens.py: function tokens
are these words and punctuation) and to keep neighbours from swapping them
(text/neighbours.py).

The list: articles and determiners, pronouns (personal, possessive, reflexive, relative,
interrogative), prepositions, conjunctions, auxiliary and modal verbs with their
contractions' stems, negation and a few particles. Lexical verbs, nouns, adjectives and
most adverbs are content words.
"""

from __future__ import annotations

ARTICLES_AND_DETERMINERS = """a an the this that these those some any no every each either
neither all both few many much more most several such what which whatever whichever
another other""".split()

PRONOUNS = """i me my mine myself you your yours yourself yourselves he him his himself she
her hers herself it its itself we us our ours ourselves they them their theirs themselves
one ones who whom whose someone somebody something anyone anybody anything everyone
everybody everything nobody nothing none""".split()

PREPOSITIONS = """about above across after against along amid among around as at before
behind below beneath beside besides between beyond by despite down during except for from
in inside into like near of off on onto out outside over past per since than through
throughout till to toward towards under underneath unlike until up upon via with within
without""".split()

CONJUNCTIONS = """and but or nor so yet if then else because although though while whereas
unless whether once when whenever where wherever how why""".split()

AUXILIARIES = """be is am are was were been being have has had having do does did doing
will would shall should can could may might must ought""".split()

PARTICLES = """not n't 's 're 've 'd 'll 'm there here also just only very too""".split()

FUNCTION_WORDS = frozenset(ARTICLES_AND_DETERMINERS + PRONOUNS + PREPOSITIONS + CONJUNCTIONS
                           + AUXILIARIES + PARTICLES)


def is_function_word(word: str) -> bool:
    return word.strip().lower() in FUNCTION_WORDS
