"""Turning next-token scores into the distribution a token is drawn from.

Temperature divides the logits; top-k keeps the k most likely tokens; top-p keeps the
smallest set whose probability reaches p. Tokens cut off stay in the result (flagged), so a
page can grey them out instead of hiding them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glassbox.errors import GlassboxError


@dataclass(frozen=True)
class Settings:
    """How the next token is chosen. temperature 0 means greedy (always the top token)."""

    temperature: float = 1.0
    top_k: int = 0  # 0: no limit
    top_p: float = 1.0  # 1.0: no limit

    def check(self) -> Settings:
        if not (0.0 <= self.temperature <= 5.0) or self.temperature != self.temperature:
            raise GlassboxError("bad_setting", name="temperature", rule="between 0 and 5", value=self.temperature)
        if self.top_k < 0:
            raise GlassboxError("bad_setting", name="top-k", rule="0 or more", value=self.top_k)
        if not (0.0 < self.top_p <= 1.0):
            raise GlassboxError("bad_setting", name="top-p", rule="above 0 and at most 1", value=self.top_p)
        return self


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Probabilities from logits (float64, sums to 1). temperature 0: all mass on the argmax."""
    logits = np.asarray(logits, dtype=np.float64)
    if temperature <= 0:
        out = np.zeros_like(logits)
        out[..., :] = 0.0
        np.put_along_axis(out, np.argmax(logits, axis=-1)[..., None], 1.0, axis=-1)
        return out
    z = logits / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def keep_mask(probs: np.ndarray, top_k: int = 0, top_p: float = 1.0) -> np.ndarray:
    """Which tokens survive top-k then top-p (1-D probs). The top token always survives."""
    order = np.argsort(-probs, kind="stable")
    keep = np.zeros(probs.shape, dtype=bool)
    n = len(order) if top_k <= 0 else min(top_k, len(order))
    ranked = order[:n]
    if top_p < 1.0:
        cum = np.cumsum(probs[ranked])
        # keep tokens until the cumulative probability first reaches top_p
        cut = int(np.searchsorted(cum, top_p - 1e-12)) + 1
        ranked = ranked[: max(cut, 1)]
    keep[ranked] = True
    return keep


def sampling_distribution(logits: np.ndarray, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities after temperature, renormalised probabilities over the kept tokens)."""
    probs = softmax(logits, settings.temperature)
    keep = keep_mask(probs, settings.top_k, settings.top_p)
    kept = np.where(keep, probs, 0.0)
    return probs, kept / kept.sum()
