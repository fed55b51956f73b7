"""The ordinary training text a taught copy keeps seeing, and the held-out text it is measured on.

A learner's sentences are mixed into windows of the model's own training documents (replay), as
the anthology's copies sat among the documents of pretraining; training on the sentences alone
would only show a wrecked model. `Replay.from_corpus` reads a seeded sample of the corpus's train
documents into one token stream (each document after `<|endoftext|>`, as the recipe's stream has
them) and fixed windows of its held-out documents. Leaves out: the whole corpus (a sample of
`SAMPLE_DOCUMENTS` documents is plenty for a few dozen steps and reads in a few seconds).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from glassbox.corpus.documents import iter_documents
from glassbox.training.recipe import windows  # the recipe's fixed held-out windows

SAMPLE_DOCUMENTS = 400
HELDOUT_WINDOWS = 32
SEED = 0  # the sample is the same for every learner: their results can be compared


@dataclass(frozen=True, eq=False)
class Replay:
    """Training text to mix in, and held-out windows to measure on."""

    stream: np.ndarray  # (n,) int64 token stream of sampled train documents
    heldout: torch.Tensor  # (windows, window + 1) int64 held-out windows
    window: int

    @classmethod
    def from_corpus(cls, corpus: Path, tokenizer, window: int = 128) -> Replay:
        """A seeded sample of the corpus's train documents and fixed held-out windows."""
        eos = tokenizer.eos_token_id
        train, heldout = [], []
        for doc in iter_documents(corpus):
            (heldout if doc.split == "heldout" else train).append(doc.text)
        rng = np.random.default_rng(SEED)
        picked = [train[i] for i in sorted(rng.choice(len(train), min(SAMPLE_DOCUMENTS, len(train)), replace=False))]
        held = windows(_stream(tokenizer, heldout, eos), window, HELDOUT_WINDOWS)
        return cls(_stream(tokenizer, picked, eos), held, window)

    def window_at(self, start: int) -> np.ndarray:
        return self.stream[start : start + self.window + 1]

    def random_start(self, rng: np.random.Generator) -> int:
        return int(rng.integers(0, len(self.stream) - self.window - 1))


def _stream(tokenizer, texts: list[str], eos: int) -> np.ndarray:
    ids = tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []
    parts = [np.asarray([eos, *toks], dtype=np.int64) for toks in ids]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

