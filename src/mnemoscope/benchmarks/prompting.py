"""Turn a chat (a list of {"role", "content"} messages) into the text a model continues.

With a tokenizer that has a chat template (SmolLM2-Instruct and most instruct models) the
template is applied with the generation prompt, so the model answers as the assistant. A base
model without a template gets a plain transcript instead."""

from __future__ import annotations

from typing import Any, Sequence

Chat = Sequence[dict[str, str]]


def has_chat_template(model: Any) -> bool:
    tokenizer = getattr(model, "tokenizer", None)
    return bool(getattr(tokenizer, "chat_template", None))


def render_chat(model: Any, messages: Chat, use_template: bool = True) -> str:
    if use_template and has_chat_template(model):
        return model.tokenizer.apply_chat_template(list(messages), tokenize=False,
                                                   add_generation_prompt=True)
    if len(messages) == 1:
        return f"{messages[0]['content']}\n"
    turns = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
    return "\n".join(turns) + "\nAssistant:"
