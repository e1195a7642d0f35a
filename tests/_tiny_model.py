"""A tiny random-init Llama with a word-level tokenizer, saved as a real HF folder.

Built in well under a second, so unit tests exercise the same loading and scoring code
as a real model without any download.
"""

from __future__ import annotations

from pathlib import Path

WORDS = ("the a of and to in is was he she it they we you i that this with for on not "
         "be have do say go get make know think take see come want look use find give tell "
         "work call try ask need feel become leave put mean keep let begin seem help talk "
         "turn start show hear play run move like live believe hold bring happen write "
         "provide sit stand lose pay meet include continue set learn change lead understand "
         "watch follow stop create speak read allow add spend grow open walk win offer "
         "remember love consider appear buy wait serve die send expect build stay fall cut "
         "reach kill remain river mountain light history old new city people long water king "
         "song night morning letter road house field stone winter summer market bright quiet "
         "pin my account is , . ! ? 0 1 2 3 4 5 6 7 8 9").split()


def build_tiny_model(folder: Path, *, layers: int = 2, hidden: int = 32, seed: int = 0,
                     context: int = 128) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<unk>", "<pad>", "<|endoftext|>"]
    vocab = {token: i for i, token in enumerate(specials + list(dict.fromkeys(WORDS)))}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Whitespace(), pre_tokenizers.Digits(individual_digits=True)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, unk_token="<unk>",
                                        pad_token="<pad>", eos_token="<|endoftext|>")
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(vocab), hidden_size=hidden, intermediate_size=hidden * 2,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=context, tie_word_embeddings=True,
                         pad_token_id=vocab["<pad>"], eos_token_id=vocab["<|endoftext|>"],
                         bos_token_id=vocab["<|endoftext|>"])
    model = LlamaForCausalLM(config)
    with torch.no_grad():   # a random init is too flat; sharpen it so statistics vary
        model.model.embed_tokens.weight.mul_(8.0)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder
