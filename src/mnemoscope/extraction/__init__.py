"""Extraction audits: what a model reproduces verbatim.

- discoverable.py  greedy continuation of a true prefix (Carlini et al. 2022), plus
                   sampled guesses ranked by their suffix loss (lm-extraction-benchmark)
- matching.py      exact match, longest matching prefix, normalized token edit distance
- canaries.py      Secret-Sharer canaries; exposure.py ranks their secrets, scoring the
                   candidates with shared_prefix.py (the format's tokens run once)
- pii.py           PII detectors; pii_recovery.py asks the model to reproduce them
- audit.py         `mnemoscope extract`: a resumable run of all of the above

Importing this package does not import torch.
"""
