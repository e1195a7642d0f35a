"""Dataset watermarking by lexical substitution (LexiMark, German et al. 2025), and a
dataset-level membership test against a secret control. Imports no torch.

    mnemoscope watermark embed DATA --out DIR      -> DIR/<data>, DIR/key.json, DIR/summary.json
    mnemoscope watermark verify DIR --model M --out RUN -> RUN/summary.json: p_value, auroc, verdict
"""
