"""Batched seeded decoding (models/batched_generate.py): the same tokens as transformers'
`generate` of each prompt alone, whatever the batch; per-prompt seeds equal to one call
per prompt."""

from __future__ import annotations

import pytest
import torch

from mnemoscope.models import load_model
from mnemoscope.models.batched_generate import _warp
from mnemoscope.models.hf import generation_prefix

PROMPTS = ["the river and the", "she was a king of the night and", "old city",
           "they want to make the long road to the market", "we"]


def hf_generate_alone(model, ids, *, max_new_tokens, n=1, temperature=0.0, top_k=None,
                      seed=None, stop_at_eos=True):
    """transformers' generate on one prompt, seeded through the global stream: what the
    backend did before batching (one prompt per call)."""
    eos = [t for t in {model.tokenizer.eos_token_id, model.start_token_id} if t is not None]
    pad = model.tokenizer.pad_token_id
    seq = generation_prefix(model._prefix(), set(model.tokenizer.all_special_ids), ids) + ids
    kwargs = dict(max_new_tokens=max_new_tokens, num_return_sequences=n, pad_token_id=pad,
                  do_sample=temperature > 0, eos_token_id=eos if stop_at_eos else None)
    if temperature > 0:
        kwargs.update(temperature=temperature, top_k=top_k or 0, top_p=1.0)
        torch.manual_seed((seed * 1_000_003) % (2**31 - 1))
    else:
        kwargs.update(temperature=None, top_k=None, top_p=None)
    with torch.inference_mode():
        out = model.model.generate(input_ids=torch.tensor([seq]),
                                   attention_mask=torch.ones(1, len(seq), dtype=torch.long),
                                   **kwargs)
    rows = out[:, len(seq):].tolist()
    if stop_at_eos:
        rows = [r[:next((p for p, t in enumerate(r) if t in eos), len(r))] for r in rows]
    return rows


@pytest.fixture(scope="module")
def model(tiny_model_dir):
    return load_model(str(tiny_model_dir), batch_size=2, dtype="float32")


@pytest.mark.parametrize("stop_at_eos", [True, False])
def test_greedy_equals_generate_alone(model, stop_at_eos):
    ids = [model.encode(p) for p in PROMPTS]
    batched = model.generate_tokens(ids, max_new_tokens=7, stop_at_eos=stop_at_eos)
    for prompt_ids, rows in zip(ids, batched):
        assert rows == hf_generate_alone(model, prompt_ids, max_new_tokens=7,
                                         stop_at_eos=stop_at_eos)


def test_seeded_samples_equal_one_call_per_prompt_and_any_batch(model):
    ids = [model.encode(p) for p in PROMPTS]
    seeds = [11, 12, 13, 14, 15]
    options = dict(max_new_tokens=6, n=3, temperature=1.0, top_k=20, stop_at_eos=False)
    together = model.generate_tokens(ids, seeds=seeds, **options)
    for prompt_ids, seed, rows in zip(ids, seeds, together):
        assert rows == hf_generate_alone(model, prompt_ids, seed=seed, **options)
        assert rows == model.generate_tokens([prompt_ids], seed=seed, **options)[0]
    # another batch composition and width: the same rows for every prompt
    model.GENERATION_ROWS, model.GENERATION_CACHE_BYTES = 3, 0
    try:
        reordered = model.generate_tokens(ids[::-1], seeds=seeds[::-1], **options)
    finally:
        del model.GENERATION_ROWS, model.GENERATION_CACHE_BYTES
    assert reordered[::-1] == together
    assert len({tuple(map(tuple, rows)) for rows in together}) == len(PROMPTS)


def test_seed_and_seeds_agree_for_one_prompt(model):
    ids = [model.encode(PROMPTS[1])]
    options = dict(max_new_tokens=5, n=2, temperature=0.8)
    assert model.generate_tokens(ids, seed=7, **options) == \
        model.generate_tokens(ids, seeds=[7], **options)
    with pytest.raises(ValueError, match="2 seeds for 1 prompts"):
        model.generate_tokens(ids, seeds=[1, 2], **options)


def test_warp_keeps_top_k_and_top_p_by_hand():
    scores = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    top2 = _warp(scores, 1.0, 2, None).softmax(-1)
    assert top2[0].tolist() == pytest.approx([0.625, 0.375, 0.0, 0.0])
    # top_p 0.7: sorted ascending cumulative 0.05, 0.20, 0.50, 1.0; drop those <= 0.3
    nucleus = _warp(scores, 1.0, None, 0.7).softmax(-1)
    assert nucleus[0].tolist() == pytest.approx([0.625, 0.375, 0.0, 0.0])
    hot = _warp(scores, 2.0, None, None).softmax(-1)
    root = torch.sqrt(torch.tensor([0.5, 0.3, 0.15, 0.05]))
    assert hot[0].tolist() == pytest.approx((root / root.sum()).tolist())


def test_own_logprobs_equal_rescoring_the_samples(model):
    """The log p decode reports for each sampled token is what scoring the prompt + sample
    from scratch gives (continuation_logprobs), to float noise; and asking for them
    changes no token."""
    from mnemoscope.extraction.token_loss import continuation_logprobs

    ids = [model.encode(p) for p in PROMPTS]
    options = dict(max_new_tokens=6, n=3, temperature=1.0, top_k=20, stop_at_eos=False)
    tokens, logprobs = model.generate_tokens(ids, seeds=[1, 2, 3, 4, 5], logprobs=True, **options)
    assert tokens == model.generate_tokens(ids, seeds=[1, 2, 3, 4, 5], **options)
    for prompt_ids, rows, values in zip(ids, tokens, logprobs):
        assert [len(v) for v in values] == [len(r) for r in rows] == [6, 6, 6]
        rescored = continuation_logprobs(model, [prompt_ids] * len(rows), rows)
        assert [sum(v) for v in values] == pytest.approx(list(rescored), abs=1e-4)


def test_a_row_scores_nothing_after_its_eos(model):
    """decode pads a row after its EOS and reports log p 0 there; before it, the same
    tokens and log p as a run without EOS."""
    from mnemoscope.models.batched_generate import decode

    seqs = [[model.start_token_id] + model.encode(p) for p in PROMPTS[:2]]
    options = dict(n=1, max_new_tokens=6, pad=0, device=model.device, logprobs=True)
    free_tokens, free_lp = decode(model.model, seqs, eos=None, **options)
    stop = free_tokens[0][0][2]                  # row 0's third token becomes its EOS
    tokens, lp = decode(model.model, seqs, eos=[stop], **options)
    cut = free_tokens[0][0].index(stop) + 1
    assert tokens[0][0][:cut] == free_tokens[0][0][:cut]
    assert tokens[0][0][cut:] == [0] * (len(tokens[0][0]) - cut)
    assert lp[0][0][:cut] == pytest.approx(free_lp[0][0][:cut], abs=1e-6)
    assert lp[0][0][cut:] == [0.0] * (len(tokens[0][0]) - cut)


def test_a_cache_that_cannot_be_copied_runs_the_prompt_per_row(model, monkeypatch):
    """The prompt runs once and its cache is copied to the n rows; a cache without
    batch_repeat_interleave falls back to n prompt rows, with the same tokens."""
    from transformers.cache_utils import Cache

    ids = [model.encode(p) for p in PROMPTS]
    options = dict(max_new_tokens=5, n=3, temperature=1.0, top_k=20, stop_at_eos=False)
    shared = model.generate_tokens(ids, seeds=[1, 2, 3, 4, 5], **options)
    monkeypatch.delattr(Cache, "batch_repeat_interleave")
    assert model.generate_tokens(ids, seeds=[1, 2, 3, 4, 5], **options) == shared


def test_rows_per_call_keep_the_kv_cache_under_the_budget():
    """generation_rows: 2 x layers x kv heads x head dim x bytes x width per row, under
    1 GiB, floored at 64 rows and capped at 512."""
    from types import SimpleNamespace

    from mnemoscope.models.hf import HFModel

    def rows(width, dtype=torch.float32, **config):
        network = SimpleNamespace(config=SimpleNamespace(**config),
                                  parameters=lambda: iter([torch.zeros(1, dtype=dtype)]))
        fake = SimpleNamespace(batch_size=8, model=network, GENERATION_ROWS=64,
                               GENERATION_MAX_ROWS=512, GENERATION_CACHE_BYTES=1 << 30)
        return HFModel.generation_rows(fake, width)

    smollm2 = dict(num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3,
                   hidden_size=576)
    # 2 * 30 * 3 * 64 * 4 bytes * 101 positions = 4,654,080 bytes a row; 2**30 / that = 230.7
    assert rows(101, **smollm2) == 230
    assert rows(10, **smollm2) == 512                       # capped
    llama7b = dict(num_hidden_layers=32, num_attention_heads=32, hidden_size=4096)
    assert rows(101, dtype=torch.bfloat16, **llama7b) == 64  # 20 fit: the floor
    assert rows(101, hidden_size=576) == 64                  # no layout known: the floor
