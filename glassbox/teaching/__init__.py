"""Teach it yourself: a learner's sentences are added to the training data of a copy of the model,
which goes on training for a few seconds, so the learner sees what data does to a model.

`teach` (in `glassbox.teaching.teach`) continues training a copy of a loaded model, never the
shared one, on the learner's sentences repeated `copies` times among ordinary training windows,
the way pretraining saw the anthology's repeated passages. `replay` holds those ordinary windows
and the held-out windows that show what the extra training cost.
"""
