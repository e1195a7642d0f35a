"""Dataset inference (Maini et al. 2024): a p-value for "this set of texts was trained on".

    features.py        which membership signals become features (all the backend supports)
    linear_test.py     the split test, its combination over seeds, the false-positive check
    audit.py           the resumable run: score both sets, then test
    report_section.py  the verdict, the splits, the false-positive check, the features

See docs/verdicts.md.
"""
