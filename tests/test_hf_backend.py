"""The HF backend on a tiny random Llama: one-pass statistics equal the naive full-matrix
computation, batching changes nothing, the long-text policies hold."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

from mnemoscope.models import load_model
from mnemoscope.models.vocab_stats import token_stats, token_stats_naive
from mnemoscope.types import InputError

TEXTS = ["the river is long .", "my account pin is 1 2 3 4 .",
         "she said that the king of the city was old and the people were quiet", "water"]


def naive_scores(model, text):
    ids = [model.start_token_id] + model.encode(text)
    with torch.no_grad():
        logits = model.model(input_ids=torch.tensor([ids])).logits[0, :-1]
    return token_stats_naive(logits, torch.tensor(ids[1:]))


def test_token_stats_match_naive_float64():
    torch.manual_seed(0)
    head = torch.nn.Linear(16, 300, bias=False)
    hidden = torch.randn(50, 16) * 3
    targets = torch.randint(0, 300, (50,))
    lp, mean, var = token_stats(hidden, head, targets, chunk_rows=7)
    ref = token_stats_naive(head(hidden), targets)
    for ours, theirs in zip((lp, mean, var), ref):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-4)


def test_score_matches_naive_and_scores_every_token(tiny_model):
    for text, scored in zip(TEXTS, tiny_model.score(TEXTS)):
        lp, mean, var = naive_scores(tiny_model, text)
        assert len(scored) == len(tiny_model.encode(text))        # first token scored too
        assert scored.token_ids.tolist() == tiny_model.encode(text)
        np.testing.assert_allclose(scored.logprobs, lp.numpy(), atol=1e-4)
        np.testing.assert_allclose(scored.vocab_mean, mean.numpy(), atol=1e-4)
        np.testing.assert_allclose(scored.vocab_var, var.numpy(), rtol=1e-3, atol=1e-4)


def test_batching_and_padding_do_not_change_scores(tiny_model_dir):
    one = load_model(str(tiny_model_dir), batch_size=1).score(TEXTS)
    four = load_model(str(tiny_model_dir), batch_size=4).score(TEXTS)
    for a, b in zip(one, four):
        np.testing.assert_allclose(a.logprobs, b.logprobs, atol=1e-5)
        np.testing.assert_allclose(a.vocab_var, b.vocab_var, atol=1e-5)


def test_long_text_truncates_with_warning(tiny_model_dir):
    model = load_model(str(tiny_model_dir), max_length=8)
    text = " ".join(["the"] * 20)
    with pytest.warns(UserWarning, match="truncated"):
        (scores,) = model.score([text])
    assert scores.truncated and len(scores) == 7                  # start token + 7 text tokens


def test_long_text_sliding_window_scores_every_token(tiny_model_dir):
    model = load_model(str(tiny_model_dir), max_length=8, long_text="window")
    ids = model.encode("the old king of the river city say that she was quiet and the people live")
    assert model.tokenizer.unk_token_id not in ids and len(ids) == 16                       # every word in the vocabulary
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (scores,) = model.score([model.decode(ids)])
    assert len(scores) == len(ids) and not scores.truncated
    # token 10 sits in the window ids[3:11] (length 8): scored with those 7 tokens of history
    with torch.no_grad():
        logits = model.model(input_ids=torch.tensor([ids[3:11]])).logits[0]
    expected = torch.log_softmax(logits[-2], -1)[ids[10]].item()
    assert scores.logprobs[10] == pytest.approx(expected, abs=1e-4)


def test_generate_greedy_and_seeded_sampling(tiny_model):
    first = tiny_model.generate(["the river"], max_new_tokens=6)
    assert first == tiny_model.generate(["the river"], max_new_tokens=6)
    sampled = tiny_model.generate(["the river", "my pin is"], max_new_tokens=5, n=3,
                                  temperature=1.0, seed=7)
    assert [len(s) for s in sampled] == [3, 3]
    again = tiny_model.generate(["the river", "my pin is"], max_new_tokens=5, n=3,
                                temperature=1.0, seed=7)
    assert again == sampled
    tokens = tiny_model.generate_tokens([tiny_model.encode("the river")], max_new_tokens=4,
                                        stop_at_eos=False)
    assert len(tokens[0][0]) == 4


def test_generation_prepends_the_start_token_only_to_plain_prompts(tiny_model, monkeypatch):
    """A chat-rendered prompt already opens with a special token; putting the start token
    before it would show the model a sequence it never saw in training."""
    from mnemoscope.models import batched_generate

    seen = []
    real = batched_generate.decode

    def spy(network, seqs, **kwargs):
        seen.extend(list(seq) for seq in seqs)
        return real(network, seqs, **kwargs)

    monkeypatch.setattr(batched_generate, "decode", spy)
    start = tiny_model.start_token_id
    plain = tiny_model.encode("the river")
    opened = [start] + tiny_model.encode("the river")
    assert opened[0] in tiny_model.tokenizer.all_special_ids
    tiny_model.generate_tokens([plain], max_new_tokens=1)
    tiny_model.generate_tokens([opened], max_new_tokens=1)
    assert seen == [[start] + plain, opened]


def test_unreadable_model_files_raise_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such file or directory"):
        load_model(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no config.json"):
        load_model(str(tmp_path / "empty"))
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(InputError, match="cannot load GGUF file"):
        load_model(str(bad))
    broken = tmp_path / "broken_dir"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    with pytest.raises(InputError, match="cannot load the tokenizer"):
        load_model(str(broken))


def test_import_does_not_load_torch():
    code = "import sys, mnemoscope, mnemoscope.signals, mnemoscope.cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
