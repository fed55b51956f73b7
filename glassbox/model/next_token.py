"""What the pages show of one next-token distribution: the candidates (kept or cut off by top-k
and top-p), the rank of a learner's guessed word, and how far a switched-off expert moves it.

Temperature is applied once per distribution (`next_token_choice`); the guess rank reads the
same probabilities. No streamlit here: the views in `ui/views/` only draw these results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glassbox.model.sampling import Settings, keep_mask, softmax

BARS = 12  # candidates a page draws by default


@dataclass(frozen=True)
class Candidate:
    id: int
    text: str  # readable token
    prob: float  # after temperature
    kept: bool  # survives top-k / top-p


@dataclass(frozen=True, eq=False)
class NextTokenChoice:
    """A distribution after temperature, its most likely candidates, and how many tokens survive."""

    probs: np.ndarray  # (vocab,) after temperature
    candidates: tuple[Candidate, ...]
    kept: int  # tokens that top-k and top-p keep


@dataclass(frozen=True)
class GuessRank:
    id: int  # the first token of the guessed word
    text: str
    prob: float
    rank: int  # 1: the most likely token


def next_token_choice(lm, logits: np.ndarray, settings: Settings, n: int = BARS) -> NextTokenChoice:
    """The n most likely next tokens after temperature, each marked kept or cut off."""
    probs = softmax(logits, settings.temperature)
    keep = keep_mask(probs, settings.top_k, settings.top_p)
    n = min(n, len(probs))
    top = np.argpartition(-probs, n - 1)[:n]
    top = top[np.argsort(-probs[top], kind="stable")]
    cands = tuple(Candidate(int(i), lm.token_bytes.readable(int(i)), float(probs[i]), bool(keep[i])) for i in top)
    return NextTokenChoice(probs, cands, int(keep.sum()))


def guess_rank(lm, probs: np.ndarray, guess: str) -> GuessRank | None:
    """The first token of a guessed next word as it would follow the text (with a leading space
    unless the guess starts with one or with punctuation), its probability and its rank."""
    guess = guess.strip("\n")
    if not guess.strip():
        return None
    spaced = guess if guess[0].isspace() or not guess[0].isalnum() else " " + guess
    ids = lm.tokenizer(spaced, add_special_tokens=False)["input_ids"]
    if not ids:
        return None
    token = int(ids[0])
    rank = int(np.sum(probs > probs[token])) + 1
    return GuessRank(token, lm.token_bytes.readable(token), float(probs[token]), rank)


def distribution_shift(before: np.ndarray, after: np.ndarray) -> float:
    """How much probability moved between two next-token distributions (total variation, 0 to 1)."""
    return 0.5 * float(np.abs(np.asarray(before) - np.asarray(after)).sum())
