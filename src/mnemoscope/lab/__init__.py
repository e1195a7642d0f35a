"""The memorization lab: make ground truth on the user's own model.

A seeded member / non-member split, Secret-Sharer canaries planted 1, 4 and 16 times, a
fine-tune (full or LoRA) on members plus canaries, then the calibration table (every
membership signal on members vs non-members), canary exposure and extraction rates
against that ground truth. See run.py for the run folder's layout.

Importing this package does not import torch.
"""
