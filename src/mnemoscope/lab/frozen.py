"""Fine-tuning with the bottom layers frozen and their output cached (a cheap CPU fine-tune).

With the embeddings and the bottom N decoder layers fixed, their output for a training
sequence never changes, so it is computed once, kept, and each optimiser step runs only
the layers above it: forward and backward cost about (layers - N) / layers of a full step.
The top part is the same network with its layer list cut to the upper layers and the cached
states passed as `inputs_embeds`; positions and masks are the model's own, so the loss is
exactly the full model's (tested). Needs a decoder whose layers are `model.model.layers`
(Llama, Mistral, Qwen, SmolLM and most current causal LMs).
"""

from __future__ import annotations

from contextlib import contextmanager

from ..types import InputError


def _layers(network):
    inner = getattr(network, "model", None)
    layers = getattr(inner, "layers", None)
    if layers is None:
        raise InputError(f"frozen_layers needs a decoder with model.model.layers; "
                         f"{type(network).__name__} has none. Use frozen_layers=0.")
    return inner, layers


@contextmanager
def _only_layers(network, part):
    import torch

    inner, layers = _layers(network)
    inner.layers = torch.nn.ModuleList(part)
    try:
        yield
    finally:
        inner.layers = layers


class FrozenBottom:
    """Freezes the embeddings and the bottom `n` layers of `network` (tied output
    embeddings stay frozen with them) and serves the cached states of the sequences."""

    def __init__(self, network, n: int) -> None:
        inner, layers = _layers(network)
        if not 0 < n < len(layers):
            raise InputError(f"frozen_layers={n}, but the model has {len(layers)} layers; "
                             f"freeze between 1 and {len(layers) - 1}")
        self.network, self.n, self.layers = network, n, list(layers)
        for module in [inner.embed_tokens] + self.layers[:n]:
            module.requires_grad_(False)

    def cache(self, torch, batches) -> list:
        """The bottom layers' output per sequence (its own length, no padding); `batches`
        yields (ids, mask) pairs, right-padded."""
        captured, states = {}, []

        def hook(_module, _inputs, output):
            captured["h"] = output[0] if isinstance(output, tuple) else output

        handle = self.layers[self.n - 1].register_forward_hook(hook)
        try:
            with torch.no_grad(), _only_layers(self.network, self.layers[:self.n]):
                for ids, mask in batches:
                    self.network.model(input_ids=ids, attention_mask=mask, use_cache=False)
                    for row, length in enumerate(mask.sum(1).tolist()):
                        states.append(captured["h"][row, :length].detach().clone())
        finally:
            handle.remove()
        return states

    def loss(self, torch, states: list, mask, labels):
        """The training loss of the top layers on cached states (padded like `mask`): the
        mean next-token NLL over the labelled positions, as the model's own loss computes
        it, but with the output layer applied to those positions only (with completion-only
        training they are a small share of the sequence, and a 49k-word output layer over
        every position costs as much as several decoder layers)."""
        width = mask.shape[1]
        embeds = torch.zeros((len(states), width, states[0].shape[-1]), dtype=states[0].dtype,
                             device=mask.device)
        for row, state in enumerate(states):
            embeds[row, :state.shape[0]] = state
        with _only_layers(self.network, self.layers[self.n:]):
            hidden = self.network.model(inputs_embeds=embeds, attention_mask=mask,
                                        use_cache=False).last_hidden_state
        targets = labels[:, 1:]
        keep = targets != -100
        logits = self.network.get_output_embeddings()(hidden[:, :-1][keep]).float()
        return torch.nn.functional.cross_entropy(logits, targets[keep])

    def release(self) -> None:
        for module in [self.network.model.embed_tokens] + self.layers[:self.n]:
            module.requires_grad_(True)
