"""Attribution: which training documents pushed a prediction, estimated and checked.

`attribute` (attribute.py) scores a pool of training chunks (pool.py) by TracIn over the model's
late checkpoints (scores.py). bench/bench_attribution.py checks the estimate: planted documents
found, and removal and retraining compared with BM25 and random documents.
"""
