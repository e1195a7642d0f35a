"""Memorization over training time: the same audit at many steps of one training run.

A *check* scores a fixed probe (a seeded sample of members and held-out texts, plus the
planted canaries) under the weights of the moment, in one forward pass per text: every
one-pass signal, teacher-forced greedy extraction, the pathway indicator; canary exposure
adds a small ranking per canary. Checks run from a training loop (`Monitor`: the lab's
loop, or the Hugging Face `TrainerCallback` in mnemoscope.integrations.transformers), each
written as one part of a run folder; `summarize` turns the parts into curves against the
step and the step at which each curve first crosses its threshold.

Importing this package does not import torch.
"""
