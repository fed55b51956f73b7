"""Step-by-step generation: each new token, the distribution it was drawn from, its routing.

Sampling is seeded (same seed and settings, same text) and runs on the CPU with a torch
generator of its own, so results do not depend on the device or on other sessions.
A KV cache keeps each step to one token's work. With the classroom setting on
(`glassbox.model.classroom_safe`) no token that would write a listed word is drawn, and the
result lists the steps where one was skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from glassbox.errors import GlassboxError
from glassbox.limits import check_new_tokens
from glassbox.model import classroom_safe, olmoe
from glassbox.model.inspection import Routing, TokenProb, check_text, routing_from_capture, top_tokens
from glassbox.model.loading import LoadedModel
from glassbox.model.sampling import Sampler, Settings, distribution_t
from glassbox.tokens import Token, decode_bytes, readable


@dataclass(frozen=True, eq=False)
class Step:
    """One generated token and how it was chosen."""

    token: Token  # offsets into Generation.full_text
    prob: float  # its probability in the distribution it was drawn from
    top: tuple[TokenProb, ...]  # that distribution's most likely tokens (after the cut-offs)
    routing: Routing | None  # (layers, 1, ...) the routing of this token (None: not captured)

    def to_json(self) -> dict:
        return {
            "token": self.token.to_json(),
            "prob": self.prob,
            "top": [t.to_json() for t in self.top],
            "routing": None if self.routing is None else [r[0] for r in self.routing.to_json()],
        }


@dataclass(frozen=True, eq=False)
class Generation:
    prompt: str  # NFC prompt
    completion: str  # the generated text (an unfinished character at the end is dropped)
    steps: tuple[Step, ...]
    settings: Settings
    seed: int
    stopped: str  # "length" or "end_of_text"
    skipped: tuple[int, ...] = ()  # steps where a word on the classroom list was skipped (classroom_safe)
    classroom_safe: bool = False  # whether the classroom list was kept out of this text

    @property
    def full_text(self) -> str:
        return self.prompt + self.completion

    def to_json(self) -> dict:
        return {
            "prompt": self.prompt,
            "completion": self.completion,
            "seed": self.seed,
            "settings": vars(self.settings),
            "stopped": self.stopped,
            "classroom_safe": self.classroom_safe,
            "skipped": list(self.skipped),
            "steps": [s.to_json() for s in self.steps],
        }


def generate(
    lm: LoadedModel,
    prompt: str,
    max_new_tokens: int = 32,
    settings: Settings | None = None,
    seed: int = 0,
    top_n: int = 10,
    capture: bool = True,
    stop_at_eos: bool = True,
    safe: bool | None = None,
) -> Generation:
    """Generate up to `max_new_tokens` tokens after `prompt`, recording every step.

    The model reads `lm.document_start` before the prompt, as it read a document start in training.
    `safe` keeps the classroom word list out of the text (None: as `GLASSBOX_CLASSROOM_SAFE` says).
    """
    settings = (settings or Settings()).check()
    max_new_tokens = check_new_tokens(max_new_tokens)  # at most GLASSBOX_MAX_NEW_TOKENS (glassbox.limits)
    prompt, ids = check_text(lm, prompt)
    room = lm.info.context - len(lm.document_start) - len(ids)
    if room < 1:
        raise GlassboxError("text_too_long", tokens=len(ids), limit=lm.info.context - len(lm.document_start) - 1)
    max_new_tokens = min(max_new_tokens, room)
    sampler = Sampler(seed)  # sampling runs on the CPU: same seed, same text
    vocab = lm.info.vocab_size
    eos = lm.tokenizer.eos_token_id
    cache = olmoe.new_cache(lm.model)
    step_input = torch.tensor([[*lm.document_start, *ids]], device=lm.device)
    pieces: list[bytes] = []
    steps: list[Step] = []
    stopped = "length"
    safe = classroom_safe.enabled() if safe is None else bool(safe)
    blocks = classroom_safe.blocklist(lm) if safe else None
    context = [*lm.document_start, *ids]
    skipped: list[int] = []
    prompt_bytes = len(prompt.encode("utf-8"))
    for _ in range(max_new_tokens):
        if capture:
            with olmoe.capture_routing() as cap:
                logits, cache = olmoe.forward(lm.model, step_input, cache=cache, last_only=True)
        else:
            logits, cache = olmoe.forward(lm.model, step_input, cache=cache, last_only=True)
        scores = logits[0, -1, :vocab].cpu()
        if blocks is None:
            _, drawn_from = distribution_t(scores, settings)
            token_id = sampler.draw(drawn_from, settings)
        else:
            got = sampler.draw_avoiding(scores, settings, blocks.blocked_after(context))
            token_id, drawn_from = got.token, got.drawn_from
            if got.skipped is not None:
                skipped.append(len(steps))
            context.append(token_id)
        routing = routing_from_capture(cap, slice(-1, None)) if capture else None
        pieces.append(lm.token_bytes(token_id))
        steps.append((token_id, float(drawn_from[token_id]), top_tokens(lm, drawn_from, top_n), routing))
        if stop_at_eos and token_id == eos:
            stopped = "end_of_text"
            break
        step_input = torch.tensor([[token_id]], device=lm.device)
    completion = decode_bytes(pieces)
    return Generation(
        prompt=prompt,
        completion=completion,
        steps=tuple(_steps_with_offsets(prompt, prompt_bytes, pieces, steps)),
        settings=settings,
        seed=seed,
        stopped=stopped,
        skipped=tuple(skipped),
        classroom_safe=safe,
    )


def _steps_with_offsets(prompt: str, prompt_bytes: int, pieces: list[bytes], raw_steps: list) -> list[Step]:
    """Character offsets of each generated token in prompt + completion."""
    full = prompt.encode("utf-8") + b"".join(pieces)
    out = []
    pos = prompt_bytes
    for piece, (token_id, prob, top, routing) in zip(pieces, raw_steps, strict=True):
        start = len(full[:pos].decode("utf-8", errors="ignore"))
        end = len(full[: pos + len(piece)].decode("utf-8", errors="ignore"))
        if end == start and piece:  # a byte piece inside a character: point at that character
            end = start + 1
        pos += len(piece)
        token = Token(id=token_id, text=readable(piece), start=start, end=end)
        out.append(Step(token=token, prob=prob, top=top, routing=routing))
    return out
