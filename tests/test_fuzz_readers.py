"""Property tests: a reader or an answer parser given garbage either parses it or refuses it
with InputError (its own ParseError / GuessError / ValueError where that is its contract);
no other exception ever escapes. Each test keeps max_examples modest so the file runs in
seconds."""

from __future__ import annotations

import gzip
import io
import json
import tempfile
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from mnemoscope.data import load_samples  # noqa: E402
from mnemoscope.types import InputError, Sample  # noqa: E402

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(FUZZ, max_examples=60)

TEXT_SUFFIXES = (".jsonl", ".json", ".ndjson", ".csv", ".tsv")


@contextmanager
def folder():
    with tempfile.TemporaryDirectory(prefix="fuzz-") as name:
        yield Path(name)


def loads_or_refuses(path: Path, **options) -> None:
    try:
        samples = load_samples(str(path), **options)
    except InputError as error:
        message = str(error)
        assert "\n" not in message and path.name in message, message
        return
    assert samples and all(isinstance(s, Sample) and isinstance(s.text, str) and s.text.strip()
                            for s in samples)
    assert len({s.id for s in samples}) == len(samples)


# --- structured garbage -------------------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                    st.text(max_size=20), st.sampled_from(["yes", "no", "1", "0", "member", ""]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)
column_names = st.sampled_from(["text", "label", "id", "prompt", "x", ""])
records = st.dictionaries(column_names, values, max_size=4)


def _mutate(data: bytes, draw) -> bytes:
    """Cut, flip a byte in, or keep a valid file."""
    how = draw(st.sampled_from(["keep", "cut", "flip"]))
    if not data or how == "keep":
        return data
    at = draw(st.integers(0, len(data) - 1))
    if how == "cut":
        return data[:at]
    return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]


@st.composite
def jsonl_bytes(draw) -> bytes:
    rows = draw(st.lists(st.one_of(records, values), max_size=5))
    lines = [json.dumps(r, ensure_ascii=draw(st.booleans())) for r in rows]
    lines += draw(st.lists(st.text(max_size=30), max_size=2))        # stray non-JSON lines
    draw(st.randoms()).shuffle(lines)
    return _mutate("\n".join(lines).encode("utf-8", "surrogatepass"), draw)


@st.composite
def csv_bytes(draw) -> bytes:
    import csv

    header = draw(st.lists(column_names, min_size=1, max_size=4))
    rows = draw(st.lists(st.lists(st.text(max_size=15), max_size=5), max_size=5))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return _mutate(out.getvalue().encode("utf-8", "surrogatepass"), draw)


GZ = st.sampled_from(["plain", "gzip", "cut gzip", "bad gzip", "not gzip"])


def compressed(data: bytes, how: str) -> tuple[str, bytes]:
    """(suffix to add, bytes): gzip, gzip cut short or with a damaged byte, or plain bytes
    under a .gz name."""
    if how == "plain":
        return "", data
    packed = gzip.compress(data)
    middle = len(packed) // 2
    damaged = packed[:middle] + bytes([packed[middle] ^ 0xFF]) + packed[middle + 1:]
    return ".gz", {"gzip": packed, "cut gzip": packed[:middle], "bad gzip": damaged,
                   "not gzip": data}[how]


@given(data=st.binary(max_size=300), suffix=st.sampled_from(TEXT_SUFFIXES + (".parquet",)),
       gz=GZ)
@FUZZ
def test_random_bytes_in_any_format(data, suffix, gz):
    with folder() as tmp:
        extra, payload = compressed(data, "plain" if suffix == ".parquet" else gz)
        path = tmp / f"d{suffix}{extra}"
        path.write_bytes(payload)
        loads_or_refuses(path)


@given(body=jsonl_bytes(), suffix=st.sampled_from((".jsonl", ".json")), gz=GZ,
       labels=st.sampled_from([None, "label", "x"]), ids=st.sampled_from([None, "id"]))
@FUZZ
def test_json_lines_garbage(body, suffix, gz, labels, ids):
    with folder() as tmp:
        extra, payload = compressed(body, gz)
        path = tmp / f"d{suffix}{extra}"
        path.write_bytes(payload)
        loads_or_refuses(path, label_column=labels, id_column=ids)


@given(body=csv_bytes(), suffix=st.sampled_from((".csv", ".tsv")), gz=GZ,
       text=st.sampled_from(["text", "prompt"]))
@FUZZ
def test_csv_garbage(body, suffix, gz, text):
    with folder() as tmp:
        extra, payload = compressed(body, gz)
        path = tmp / f"d{suffix}{extra}"
        path.write_bytes(payload)
        loads_or_refuses(path, text_column=text)


@st.composite
def parquet_bytes(draw) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = draw(st.integers(0, 4))
    column = st.one_of(
        st.lists(st.one_of(st.none(), st.text(max_size=10)), min_size=n, max_size=n),
        st.lists(st.one_of(st.none(), st.integers(-3, 3)), min_size=n, max_size=n),
        st.lists(st.one_of(st.none(), st.floats()), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n))
    columns = draw(st.dictionaries(st.sampled_from(["text", "label", "id", "x"]), column,
                                   max_size=3))
    sink = io.BytesIO()
    pq.write_table(pa.table(columns) if columns else pa.table({"x": pa.nulls(n)}), sink)
    return _mutate(sink.getvalue(), draw)


@given(body=parquet_bytes())
@FUZZ
def test_parquet_garbage(body):
    with folder() as tmp:
        path = tmp / "d.parquet"
        path.write_bytes(body)
        loads_or_refuses(path)


file_bytes = st.one_of(st.binary(max_size=40),
                      st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")))


@given(files=st.dictionaries(st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True), file_bytes,
                             max_size=4),
       other=st.booleans())
@FUZZ
def test_txt_folder_garbage(files, other):
    with folder() as tmp:
        data = tmp / "texts"
        data.mkdir()
        for name, content in files.items():
            (data / f"{name}.txt").write_bytes(content)
        if other:
            (data / "notes.md").write_text("ignored", encoding="utf-8")
            (data / "sub.txt").mkdir()                  # a folder named like a text file
        loads_or_refuses(data)


# --- the contamination corpus reader ---------------------------------------------------

@given(body=st.one_of(st.binary(max_size=300), jsonl_bytes(), parquet_bytes()),
       suffix=st.sampled_from([".jsonl", ".txt", ".parquet"]), gz=GZ, skip=st.booleans())
@FUZZ
def test_corpus_reader_garbage(body, suffix, gz, skip):
    from mnemoscope.contamination.corpus import read_batches

    with folder() as tmp:
        extra, payload = compressed(body, "plain" if suffix == ".parquet" else gz)
        path = tmp / f"c{suffix}{extra}"
        path.write_bytes(payload)
        try:
            for batch in read_batches(path, skip_bad_lines=skip, batch_chars=64):
                assert len(batch.texts) == len(batch.lines)
        except InputError as error:
            assert path.name in str(error) and "\n" not in str(error)


# --- benchmark items files ----------------------------------------------------------------

@st.composite
def items_bytes(draw) -> bytes:
    from mnemoscope.benchmarks import generate

    kind = draw(st.sampled_from(["kk", "randomcalc", "complexity"]))
    good = [item.to_json() for item in generate(kind, 2, draw(st.integers(0, 3)))]
    for record in good:
        for key in draw(st.lists(st.sampled_from(sorted(record)), max_size=2)):
            record[key] = draw(values)
        if draw(st.booleans()) and isinstance(record.get("meta"), dict) and record["meta"]:
            key = draw(st.sampled_from(sorted(record["meta"])))
            record["meta"][key] = draw(values)
    text = "\n".join(json.dumps(r) for r in good)
    return _mutate(text.encode("utf-8"), draw)


@given(body=st.one_of(items_bytes(), st.binary(max_size=200)),
       perturbation=st.sampled_from(["leaf", "statement", "roles", "names", "reorder", "ood"]))
@FEW
def test_items_reader_and_perturb_garbage(body, perturbation):
    from mnemoscope.benchmarks import perturb, read_items

    with folder() as tmp:
        path = tmp / "items.jsonl"
        path.write_bytes(body)
        try:
            items = read_items(path)
        except InputError as error:
            assert path.name in str(error) and "\n" not in str(error)
            return
        try:
            perturb(items, perturbation, 0)
        except ValueError:                    # the command turns it into "<file>: <message>"
            pass


# --- answer parsers -------------------------------------------------------------------------

answers = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="0123456789+-*/^().eE,{}\\$ ×÷−fracdboxe", max_size=200),
    st.lists(st.sampled_from(["(", ")", "**12", "9", "*", "1e999", "Answer:", "\\frac{",
                              "}{", "}", "x", "y", " and ", "==", "Guess:", "Test: (", ",",
                              "CONCLUSION:", "Alice is a knight", " knave", "\n", "\x00"]),
             max_size=60).map("".join))


@given(output=answers)
@FUZZ
def test_arithmetic_parser(output):
    from mnemoscope.benchmarks.arith_parse import ParseError, final_answer, parse_number

    try:
        assert isinstance(parse_number(output), Fraction)
    except ParseError:
        pass
    answer = final_answer(output)
    assert answer is None or isinstance(answer, str)


def test_arithmetic_parser_refuses_runaway_numbers():
    from mnemoscope.benchmarks.arith_parse import ParseError, parse_number

    for text in ["1e999", "((((((((9**12)**12)**12)**12)**12)**12)**12)**12",
                 "*".join(["((9**12)**9)**11"] * 10), "-" * 150 + "1"]:
        try:
            parse_number(text)
        except ParseError:
            pass


@given(output=answers)
@FUZZ
def test_kk_answer_parser(output):
    from mnemoscope.benchmarks import benchmarks, generate
    from mnemoscope.benchmarks.kk_text import parse_roles

    item = generate("kk", 1, 0, level=3)[0]
    found = parse_roles(output, list(item.gold), item.meta["roles"])
    assert set(found) <= set(item.gold)
    grade = benchmarks.get("kk")().grade(item, output)
    assert 0.0 <= grade.score <= 1.0


KK_KINDS = st.sampled_from(["leaf", "not", "and", "or", "implies", "iff"])
statement_like = st.recursive(       # [kind, operand, ...] with operands of any shape
    st.builds(lambda kind, rest: [kind, *rest], KK_KINDS, st.lists(scalars, max_size=3)),
    lambda inner: st.builds(lambda kind, rest: [kind, *rest], KK_KINDS,
                            st.lists(st.one_of(inner, scalars), max_size=3)),
    max_leaves=6)


@given(value=st.one_of(values, statement_like))
@FUZZ
def test_kk_statement_parser(value):
    from mnemoscope.benchmarks.kk_logic import as_statement

    try:
        assert isinstance(as_statement(value), list)
    except ValueError:
        pass


@given(output=answers)
@FUZZ
def test_randomcalc_and_complexity_graders(output):
    from mnemoscope.benchmarks import benchmarks, generate

    for kind in ("randomcalc", "complexity"):
        item = generate(kind, 1, 0)[0]
        assert 0.0 <= benchmarks.get(kind)().grade(item, output).score <= 1.0


@given(output=answers)
@FUZZ
def test_wilt_guess_parser_and_game(output):
    from mnemoscope.benchmarks import benchmarks, generate
    from mnemoscope.benchmarks.wilt import Episode
    from mnemoscope.benchmarks.wilt_expr import GuessError, clean_guess, compile_guess

    try:
        compile_guess(clean_guess(output))
    except GuessError:
        pass
    item = generate("wilt", 1, 0)[0]
    assert benchmarks.get("wilt")().grade(item, output).score in (0.0, 1.0)
    episode = Episode(item, [{"role": "user", "content": item.prompt}])
    for _ in range(3):
        if not episode.finished:
            episode.step(output)
    episode.grade()


@given(output=answers, gold=st.one_of(answers, st.integers().map(str),
                                      st.fractions().map(str)))
@FUZZ
def test_cdd_answer_checkers(output, gold):
    from mnemoscope.contamination.answers import answer_part, exact_checker, numeric_checker

    assert isinstance(answer_part(output), str)
    assert exact_checker(output, gold) in (0.0, 1.0)
    try:
        assert numeric_checker(output, gold) in (0.0, 1.0)
    except InputError:                       # the gold answer is not a number
        pass
