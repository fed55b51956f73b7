"""Turning next-token scores into the distribution a token is drawn from.

Temperature divides the logits; top-k keeps the k most likely tokens; top-p keeps the
smallest set whose probability reaches p. Tokens cut off stay in the result (flagged), so a
page can grey them out instead of hiding them. The work is done with torch on the CPU (fast
top-k/sort over a 50k vocabulary); NumPy versions serve pages and tests. `Sampler` is the one
seeded stream every token is drawn from, by generation and by the Next-token page alike;
`Sampler.draw_avoiding` is its one hook for the classroom setting (`glassbox.model.classroom_safe`):
a draw that would give a blocked token is drawn again without the blocked tokens.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import torch

from glassbox.errors import GlassboxError


def is_greedy(temperature: float) -> bool:
    """Temperature 0 means greedy: always the most likely token, nothing drawn (the one place that says so)."""
    return temperature <= 0


@dataclass(frozen=True)
class Settings:
    """How the next token is chosen. temperature 0 means greedy (always the top token)."""

    @property
    def greedy(self) -> bool:
        return is_greedy(self.temperature)

    temperature: float = 1.0
    top_k: int = 0  # 0: no limit
    top_p: float = 1.0  # 1.0: no limit

    def check(self) -> Settings:
        t = self.temperature
        if not (0.0 <= t <= 5.0):  # also refuses NaN
            raise GlassboxError("bad_setting", name="temperature", rule="between 0 and 5", value=t)
        if self.top_k < 0:
            raise GlassboxError("bad_setting", name="top-k", rule="0 or more", value=self.top_k)
        if not (0.0 < self.top_p <= 1.0):
            raise GlassboxError("bad_setting", name="top-p", rule="above 0 and at most 1", value=self.top_p)
        return self


def softmax_t(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Probabilities over the last axis; temperature 0 puts all mass on the argmax."""
    logits = logits.double()
    if is_greedy(temperature):
        out = torch.zeros_like(logits)
        return out.scatter_(-1, logits.argmax(-1, keepdim=True), 1.0)
    return torch.softmax(logits / temperature, dim=-1)


def keep_mask_t(probs: torch.Tensor, top_k: int = 0, top_p: float = 1.0) -> torch.Tensor:
    """Which tokens of a 1-D distribution survive top-k then top-p. The top token always survives."""
    size = probs.shape[-1]
    k = size if top_k <= 0 else min(top_k, size)
    keep = torch.zeros(size, dtype=torch.bool)
    if k == size and top_p >= 1.0:
        return keep.fill_(True)
    values, order = torch.topk(probs, k)  # sorted, most likely first
    if top_p < 1.0:
        # keep tokens until the cumulative probability first reaches top_p
        cut = int(torch.searchsorted(torch.cumsum(values, 0), torch.tensor(top_p - 1e-12, dtype=values.dtype))) + 1
        order = order[: max(cut, 1)]
    keep[order] = True
    return keep


def distribution_t(logits: torch.Tensor, settings: Settings) -> tuple[torch.Tensor, torch.Tensor]:
    """(probabilities after temperature, renormalised probabilities over the kept tokens)."""
    probs = softmax_t(logits, settings.temperature)
    kept = torch.where(keep_mask_t(probs, settings.top_k, settings.top_p), probs, 0.0)
    return probs, kept / kept.sum()


def _tensor(values: np.ndarray, dtype=None) -> torch.Tensor:
    """A tensor of `values`; shared read-only arrays (the site's caches) are copied, never written."""
    array = np.asarray(values, dtype=dtype)
    return torch.as_tensor(array if array.flags.writeable else array.copy())


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """NumPy in, NumPy out (float64): see `softmax_t`."""
    return softmax_t(_tensor(logits), temperature).numpy()


def keep_mask(probs: np.ndarray, top_k: int = 0, top_p: float = 1.0) -> np.ndarray:
    return keep_mask_t(_tensor(probs, np.float64), top_k, top_p).numpy()


def sampling_distribution(logits: np.ndarray, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    probs, kept = distribution_t(_tensor(logits), settings)
    return probs.numpy(), kept.numpy()


class Sampler:
    """The seeded stream next tokens are drawn from: draw n of seed s gives the same token wherever
    it is made (generation, the Next-token page), given the same distribution.

    Each draw takes the same amount of the stream whatever the distribution (it depends on the
    vocabulary's size only), so `already_drawn` draws can be skipped to go on where a continuation
    stopped. Greedy settings take the top token and draw nothing.
    """

    def __init__(self, seed: int, already_drawn: int = 0, vocab: int | None = None) -> None:
        self._rng = torch.Generator().manual_seed(int(seed))
        if already_drawn:
            if vocab is None:
                raise ValueError("skipping draws needs the vocabulary size")
            flat = torch.ones(vocab, dtype=torch.float64)
            for _ in range(already_drawn):
                torch.multinomial(flat, 1, generator=self._rng)

    def draw(self, drawn_from: torch.Tensor | np.ndarray, settings: Settings) -> int:
        """A token id from `drawn_from` (the renormalised kept probabilities)."""
        probs = _tensor(drawn_from) if isinstance(drawn_from, np.ndarray) else drawn_from
        if settings.greedy:
            return int(torch.argmax(probs))
        return int(torch.multinomial(probs, 1, generator=self._rng))

    def draw_avoiding(self, logits: torch.Tensor | np.ndarray, settings: Settings,
                      blocked: Collection[int] = ()) -> Draw:
        """A token id drawn from `logits` under `settings`, never one of `blocked`.

        The draw is made as `draw` makes it; only when it gives a blocked token is it made again,
        with the same random numbers, from the kept tokens less the blocked ones, renormalised
        (so every other token keeps its odds relative to the rest). When nothing but blocked
        tokens was kept (greedy, a tight top-k or top-p), the cut-offs are applied anew with the
        blocked tokens taken out. Without blocked tokens this is `draw`, draw for draw.
        """
        scores = _tensor(logits) if isinstance(logits, np.ndarray) else logits
        _, kept = distribution_t(scores, settings)
        state = self._rng.get_state()
        token = self.draw(kept, settings)
        if token not in blocked:
            return Draw(token, kept, None)
        self._rng.set_state(state)
        out = torch.tensor(sorted(blocked), dtype=torch.long)
        allowed = kept.clone()
        allowed[out] = 0.0
        if float(allowed.sum()) > 0:
            drawn_from = allowed / allowed.sum()
        else:
            masked = scores.double().clone()
            masked[out] = float("-inf")
            _, drawn_from = distribution_t(masked, settings)
        return Draw(self.draw(drawn_from, settings), drawn_from, token)


@dataclass(frozen=True, eq=False)
class Draw:
    """One draw of `Sampler.draw_avoiding`: the token, the distribution it was drawn from, and the
    blocked token the same draw would have given without the block (None: nothing was skipped)."""

    token: int
    drawn_from: torch.Tensor
    skipped: int | None
