"""Verdicts that hold up (issue 17): how much of a labelled verdict comes from the model.

    text_features.py  what a classifier that never sees the model reads from a text
    crossfit.py       out-of-fold predictions (stratified k-fold, seeded, repeated)
    classifiers.py    the blind, text + signals and combined classifiers
    split_check.py    model_gain with a paired bootstrap CI, the warning and its sentence
    calibration.py    the combined weights as JSON (a lab saves them, score applies them)
    stats.py          Welch t-test, paired bootstrap, reliability, median-of-splits p-value
    summary.py        what a scored run adds to summary.json, and the files behind it
    report_section.py the report's view of all that

Model-free: it reads rows and texts, never a model. See docs/verdicts.md.
"""
