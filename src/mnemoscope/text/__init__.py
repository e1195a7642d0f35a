"""Text resources shared by several audits, all offline: WordNet (wordnet.py), the local
sentence embedder (embedder.py), English inflection (inflect.py), sentence and word
splitting (words.py), and the streamed corpus reader (corpus.py).

They sit below the signals and the audits (docs/architecture.md, "Layers") because the
watermark (WordNet + MiniLM substitutions), the neighbourhood signal (the same
substitutions as neighbours), `contamination overlap` and DC-PDD's token frequencies
(the corpus reader) all use them.
"""
