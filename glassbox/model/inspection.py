"""Inspect a text with one forward pass: its tokens, the next-token distribution at every
position, and the routing of every token in every layer.

Routing is what the model's own routers produced during that pass (captured by the hooks in
`glassbox.model.olmoe`): the probability over all experts, and the chosen experts with the weights
the MoE block multiplied their outputs by.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cached_property

import numpy as np
import torch

from glassbox.errors import GlassboxError
from glassbox.model import olmoe
from glassbox.model.loading import LoadedModel, ModelInfo
from glassbox.model.sampling import is_greedy
from glassbox.tokens import Token, normalise, tokens_from_ids


@dataclass(frozen=True)
class TokenProb:
    id: int
    text: str  # readable rendering
    prob: float

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class NextToken:
    """The model's guess for the token after `position` (0-based token index)."""

    position: int
    top: tuple[TokenProb, ...]

    def to_json(self) -> dict:
        return {"position": self.position, "top": [t.to_json() for t in self.top]}


@dataclass(frozen=True, eq=False)
class Routing:
    """Router decisions for a run of tokens. Arrays are (layers, tokens, ...)."""

    probs: np.ndarray  # (layers, tokens, experts) softmax over all experts
    experts: np.ndarray  # (layers, tokens, k) chosen experts, most probable first
    weights: np.ndarray  # (layers, tokens, k) weights applied to the chosen experts' outputs

    @property
    def layers(self) -> int:
        return int(self.probs.shape[0])

    @property
    def tokens(self) -> int:
        return int(self.probs.shape[1])

    def load(self) -> np.ndarray:
        """(layers, experts) share of token slots each expert received."""
        n_exp = self.probs.shape[2]
        counts = np.stack([np.bincount(self.experts[i].ravel(), minlength=n_exp) for i in range(self.layers)])
        return counts / max(1, self.experts.shape[1] * self.experts.shape[2])

    def to_json(self) -> list[list[dict]]:
        return [
            [
                {
                    "experts": self.experts[layer, t].tolist(),
                    "weights": self.weights[layer, t].tolist(),
                    "probs": self.probs[layer, t].tolist(),
                }
                for t in range(self.tokens)
            ]
            for layer in range(self.layers)
        ]


def routing_from_capture(capture: olmoe.RoutingCapture, rows: slice | None = None) -> Routing:
    """Stack captured router outputs into a Routing (optionally only some token rows)."""
    rows = rows or slice(None)
    probs = [torch.softmax(lg.float(), dim=-1)[rows] for lg in capture.logits]
    return Routing(
        probs=torch.stack(probs).cpu().numpy(),
        experts=torch.stack([e[rows] for e in capture.experts]).cpu().numpy().astype(np.int64),
        weights=torch.stack([w[rows].float() for w in capture.weights]).cpu().numpy(),
    )


@dataclass(frozen=True, eq=False)
class Inspection:
    """Everything one forward pass tells about a text.

    The next-token guesses are kept as two arrays, `top_ids` and `top_probs` (tokens, k), and
    turned into records (`next_token`) only when asked for: most views read one position only.
    """

    text: str  # the text as inspected (Unicode NFC)
    tokens: tuple[Token, ...]
    top_ids: np.ndarray  # (tokens, k) most probable next tokens at each position, best first
    top_probs: np.ndarray  # (tokens, k) their probabilities
    routing: Routing
    final_logits: np.ndarray  # (vocab,) scores for the token after the whole text
    temperature: float
    model: ModelInfo
    readable: Callable[[int], str] = field(repr=False)  # a token id's readable rendering

    @cached_property
    def next_token(self) -> tuple[NextToken, ...]:
        """One NextToken per token position (built on first use)."""
        readable = self.readable
        return tuple(
            NextToken(p, tuple(TokenProb(i, readable(i), v) for v, i in zip(vs, ids, strict=True)))
            for p, (vs, ids) in enumerate(zip(self.top_probs.tolist(), self.top_ids.tolist(), strict=True))
        )

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "tokens": [t.to_json() for t in self.tokens],
            "next_token": [n.to_json() for n in self.next_token],
            "routing": self.routing.to_json(),
            "temperature": self.temperature,
            "model": self.model.to_json(),
        }


def check_text(lm: LoadedModel, text: str) -> tuple[str, list[int]]:
    """The NFC text and its token ids, or a GlassboxError for empty or too-long text.

    The limit leaves room for the document start the model reads first (`lm.document_start`).
    """
    text = normalise(text)
    if not text.strip():
        raise GlassboxError("text_empty")
    ids = lm.tokenizer(text, add_special_tokens=False)["input_ids"]
    limit = lm.info.context - len(lm.document_start)
    if len(ids) > limit:
        raise GlassboxError("text_too_long", tokens=len(ids), limit=limit)
    return text, ids


def top_tokens(lm: LoadedModel, probs: torch.Tensor, k: int) -> tuple[TokenProb, ...]:
    """The k most probable tokens of a 1-D distribution, most probable first."""
    values, ids = torch.topk(probs, min(k, probs.shape[-1]))
    return tuple(TokenProb(int(i), lm.token_bytes.readable(int(i)), float(v)) for v, i in zip(values, ids, strict=True))


def top_probabilities(
    logits: torch.Tensor, vocab: int, k: int, temperature: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """The k most probable next tokens per row (probabilities, token ids), over the first `vocab` ids.

    `logits` (tokens, rows of the output layer) is overwritten: the rows past the tokenizer's
    vocabulary are set to -inf, so one softmax over the whole contiguous tensor serves (a
    softmax over a slice of it costs half as much again). Greedy temperatures put all on the top token.
    """
    logits[:, vocab:] = float("-inf")
    k = min(k, vocab)
    if is_greedy(temperature):
        top, order = blockwise_topk(logits, k)
        values = torch.zeros_like(top)
        values[:, 0] = 1.0
        return values, order
    if temperature != 1.0:
        logits.div_(temperature)
    torch.ops.aten._softmax.out(logits, -1, False, out=logits)  # in place: no fresh 25 MB to fault in
    return blockwise_topk(logits, k)


def blockwise_topk(x: torch.Tensor, k: int, block: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """torch.topk(x, k, dim=-1) for wide rows, about four times faster on the CPU.

    Each row is cut into blocks and only the k blocks with the largest maxima are searched:
    every one of the row's k largest values lies in one of them (a value outside them would
    have k blocks, each holding a larger value, ahead of it).
    """
    rows, width = x.shape
    if width % block or width < 8 * k * block:
        return torch.topk(x, k, dim=-1)
    blocks = x.view(rows, width // block, block)
    _, best_blocks = torch.topk(blocks.amax(dim=-1), k, dim=-1)  # (rows, k)
    candidates = torch.gather(blocks, 1, best_blocks[:, :, None].expand(-1, -1, block)).reshape(rows, k * block)
    values, where = torch.topk(candidates, k, dim=-1)
    return values, best_blocks.gather(1, where // block) * block + where % block


def inspect_text(
    lm: LoadedModel,
    text: str,
    top_k: int = 10,
    temperature: float = 1.0,
    disabled_experts: frozenset[int] = frozenset(),
) -> Inspection:
    """Tokens, next-token distributions and routing of `text` from one forward pass.

    The model reads `lm.document_start` first, as in training; it is left out of the tokens,
    offsets, distributions and routing returned. `disabled_experts` switches experts off (in
    every layer) for this pass only.
    """
    text, ids = check_text(lm, text)
    skip = len(lm.document_start)
    input_ids = torch.tensor([[*lm.document_start, *ids]], device=lm.device)
    with olmoe.capture_routing(frozenset(disabled_experts)) as capture:
        logits, _ = olmoe.forward(lm.model, input_ids)
    vocab = lm.info.vocab_size
    scores = logits[0, skip:].float().cpu()  # (tokens, rows of the output layer)
    final_logits = scores[-1, :vocab].numpy().copy()
    with torch.inference_mode():  # the forward's output is an inference tensor, changed in place
        values, order = top_probabilities(scores, vocab, top_k, temperature)
    return Inspection(
        text=text,
        tokens=tuple(tokens_from_ids(ids, text, lm.token_bytes)),
        top_ids=order.numpy(),
        top_probs=values.numpy(),
        routing=routing_from_capture(capture, slice(skip, None)),
        final_logits=final_logits,
        temperature=temperature,
        model=lm.info,
        readable=lm.token_bytes.readable,
    )


def next_token_logits(lm: LoadedModel, text: str, disabled_experts: frozenset[int] = frozenset()) -> np.ndarray:
    """The scores (vocab,) for the token after `text`, and nothing else: the output layer runs at
    the last position only (it is most of a pass's work: about 6.4 M multiply-adds per token for
    the Tiny OLMoE, against 1.5 M for its four MoE layers), for views that draw only the next token."""
    text, ids = check_text(lm, text)
    input_ids = torch.tensor([[*lm.document_start, *ids]], device=lm.device)
    with olmoe.capture_routing(frozenset(disabled_experts)):
        logits, _ = olmoe.forward(lm.model, input_ids, last_only=True)
    return logits[0, -1, : lm.info.vocab_size].float().cpu().numpy().copy()
