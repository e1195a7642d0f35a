"""Benchmark contamination audits: CDD and TED (output-distribution peakedness), partial-prompt
completion, n-gram overlap against a training corpus, and accuracy around a knowledge cutoff.

Each audit writes a run folder like `score` (spec.json, parts/*.parquet, summary.json, a
report section). Importing this package does not import torch.
"""
