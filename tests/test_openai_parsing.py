"""Reading echo replies, URL redaction and the rate limiter, without a server.

The replies in fixtures/llama_cpp_echo.json were recorded from the real llama-cpp-python
server (fixtures/record_llama_echo.py), unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mnemoscope.models import echo_logprobs as echo
from mnemoscope.models.http_client import RateLimiter, RetryPolicy, normalize_base_url
from mnemoscope.models.openai_compat import LAYOUT_PROBE, START_CANDIDATE
from mnemoscope.types import InputError

REPLIES = json.loads((Path(__file__).parent / "fixtures" / "llama_cpp_echo.json").read_text())


def test_recorded_stock_reply_layout_start_token_is_one_echoed_entry():
    plain = echo.measure_layout(REPLIES["smollm2/plain"], "", LAYOUT_PROBE)
    assert plain == echo.Layout("", 0, 0)               # no BOS, nothing hidden
    started = echo.measure_layout(REPLIES["smollm2/start"], START_CANDIDATE, LAYOUT_PROBE)
    assert started == echo.Layout(START_CANDIDATE, 1, 0)


def test_recorded_bos_reply_layout_has_a_hidden_bos():
    plain = echo.measure_layout(REPLIES["smollm2-bos/plain"], "", LAYOUT_PROBE)
    assert plain == echo.Layout("", 0, 1)


def test_generated_token_is_dropped_whether_echoed_or_not():
    # llama-cpp-python echoes the generated token only when it evaluated it: with a BOS
    # in the prompt ("!" below), not without
    bos, stock = REPLIES["smollm2-bos/plain"], REPLIES["smollm2/plain"]
    assert [e.token for e in echo.entries(bos)[0]] == ["Hello", " world", "!"]
    assert [e.token for e in echo.entries(stock)[0]] == ["Hello", " world"]
    for reply, layout in ((bos, echo.Layout("", 0, 1)), (stock, echo.Layout("", 0, 0))):
        part = echo.text_entries(reply, layout, LAYOUT_PROBE)
        assert "".join(e.token for e in part) == LAYOUT_PROBE
        assert part[0].logprob is None                   # OpenAI convention: first is null


def test_without_usage_the_text_is_found_by_spelling():
    reply = {k: v for k, v in REPLIES["smollm2-bos/plain"].items() if k != "usage"}
    part = echo.text_entries(reply, echo.Layout("", 0, 0), LAYOUT_PROBE)
    assert [e.token for e in part] == ["Hello", " world"]


def test_text_entries_spell_the_text_and_skip_the_start():
    reply = REPLIES["smollm2/start"]
    layout = echo.Layout(START_CANDIDATE, 1, 0)
    part = echo.text_entries(reply, layout, LAYOUT_PROBE)
    assert "".join(e.token for e in part) == LAYOUT_PROBE
    assert all(e.logprob is not None for e in part)


def test_alignment_verdicts_on_recorded_replies():
    stock = echo.text_entries(REPLIES["smollm2/alignment_start"],
                              echo.Layout(START_CANDIDATE, 1, 0), echo.ALIGNMENT_PROBE)
    bos = echo.text_entries(REPLIES["smollm2-bos/alignment_plain"], echo.Layout("", 0, 1),
                            echo.ALIGNMENT_PROBE)
    assert echo.alignment(stock).verdict == echo.SHIFTED
    assert echo.alignment(bos).verdict == echo.ALIGNED


def test_alignment_worked_example():
    def entry(token, best):
        return echo.Entry(token, -1.0, {best: -0.1, token: -1.0})

    tokens = list("abcdefghij")
    aligned = [entry(t, t) for t in tokens]
    shifted = [entry(t, n) for t, n in zip(tokens, tokens[1:] + ["z"])]
    noise = [entry(t, "?") for t in tokens]
    # positions counted: 10 // 4 = 2 .. 8 -> 7 positions
    assert echo.alignment(aligned) == echo.Alignment(echo.ALIGNED, 7, 0, 7)
    assert echo.alignment(shifted) == echo.Alignment(echo.SHIFTED, 0, 7, 7)
    assert echo.alignment(noise).verdict == echo.UNVERIFIED
    assert echo.alignment([echo.Entry("a", None, None)] * 8).verdict == echo.UNVERIFIED


def test_spelled_count_and_empty_start_pieces():
    rows = [echo.Entry(t, None, None) for t in ["", "Hello", " world", "!"]]
    assert echo.spelled_count(rows, "Hello world!", 1) == 3
    assert echo.spelled_count(rows, "Hello world!", 0) == 4
    assert echo.spelled_count(rows, "ello world!", 1) is None
    reply = {"choices": [{"logprobs": {"tokens": [e.token for e in rows]}}],
             "usage": {"prompt_tokens": 4}}
    # the largest lead that still spells the probe: "" is a start token, not text
    assert echo.measure_layout(reply, "<s>", "Hello world!") == echo.Layout("<s>", 1, 0)


@pytest.mark.parametrize("url,base", [
    ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
    ("http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000/v1"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000/v1"),
    ("https://api.example.org/openai/v1?api-version=2", "https://api.example.org/openai/v1"),
])
def test_base_url(url, base):
    assert normalize_base_url(url) == (base, base)


def test_credentials_in_the_url_are_refused_without_repeating_them():
    with pytest.raises(InputError) as info:
        normalize_base_url("http://user:sk-secret-123@127.0.0.1:8000/v1")
    assert "sk-secret-123" not in str(info.value) and "environment variable" in str(info.value)


def test_rate_limiter_spaces_calls_evenly():
    now = [100.0]
    waits: list[float] = []

    def sleep(seconds):
        waits.append(round(seconds, 6))
        now[0] += seconds

    limiter = RateLimiter(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        limiter.wait()
    assert waits == [0.25, 0.25]                         # first call free, then 1/4 s apart
    now[0] += 10.0                                       # idle: no debt carried over
    limiter.wait()
    assert waits == [0.25, 0.25]


def test_backoff_doubles_is_capped_and_honours_retry_after():
    import random

    policy = RetryPolicy(max_retries=6, backoff_s=0.5, max_backoff_s=4.0)
    rng = random.Random(0)
    waits = [policy.wait_s(k, None, rng) for k in range(6)]
    for k, wait in enumerate(waits):
        base = min(4.0, 0.5 * 2 ** k)
        assert base / 2 <= wait <= base
    assert policy.wait_s(0, "3", rng) == 3.0
    assert policy.wait_s(0, "999", rng) == 30.0           # capped
