"""Which training chunks pushed a prediction: `attribute` gathers a candidate pool and scores it.

`attribute(model_dir, index, context, token)` builds the pool (`glassbox.attribution.pool`), scores
every chunk by TracIn over the model's late checkpoints (`glassbox.attribution.scores`), and returns
a frozen `Attribution`: the chunks, highest score first, each with its score, the score divided by
the noise floor (the root mean square of the random chunks' scores: what chance alone gives), its
tokens' shares, whether it holds a stretch of the context verbatim, and its place in BM25's ranking
when BM25 brought it (`Attribution.by_bm25()`: the same chunks in BM25's order, the ranking that
attribution is compared with); the checkpoints used; and the seconds spent.

Which checkpoints, and how weighted, was chosen by measurement on two checks: the shipped model's
planted anthology passages (34 openings less their last word: is the top chunk a copy of the
passage, or the text it comes from?) and bench/bench_attribution.py's 20 planted facts (is a
planted copy first?); both checks are in that bench:

    checkpoints (share of the run)   weights          anthology   planted facts
    final only (>= 0.7)              -                26/34       19/20
    >= 0.4                           learning rate    31/34       16/20
    >= 0.4                           equal            29/34       -
    >= 0.2                           learning rate    -           18/20
    >= 0.2                           equal            33/34       19/20

So: the checkpoints from a fifth of the run on and the final model (the shipped model: steps
2,000, 4,000, 10,000), each weighted equally. TracIn's learning-rate weights let the earlier,
higher-rate checkpoint outweigh the rest, and AdamW's step is not the learning rate times the
gradient anyway.

Leaves out: models without checkpoints and a training log (the full-size OLMoE: its data is
trillions of tokens and its gradients 7 billion numbers per example), and any claim that the pool
holds every chunk that mattered (only the pool is scored).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from glassbox.attribution.pool import Chunk, PoolSizes, build_pool
from glassbox.attribution.scores import CheckpointScores, tracin
from glassbox.errors import GlassboxError
from glassbox.index.engine import CorpusIndex
from glassbox.model.checkpoints import list_checkpoints
from glassbox.model.loading import LoadedModel

METHOD = "TracIn over the late checkpoints, equally weighted (gradient dot products by central differences)"
POOL = PoolSizes()
LATE_SHARE = 0.2  # checkpoints from this share of the run on (measured: see the module docstring)
VERBATIM = 6  # tokens in a row of the text that a chunk must hold to be marked as holding it


@dataclass(frozen=True)
class Scored:
    """A chunk and its estimated effect on log p(token | context)."""

    chunk: Chunk
    text: str
    score: float  # TracIn: the change in log p that training on this chunk made, summed over checkpoints
    ratio: float  # score ÷ noise floor
    token_scores: tuple[float, ...]  # each predicted token's share (the chunk's tokens after the first)
    holds_span: bool  # holds a stretch of the text (context and token) verbatim: see `holds_words`


@dataclass(frozen=True)
class Attribution:
    context: str
    token: int
    token_text: str
    method: str
    checkpoints: tuple[CheckpointScores, ...]
    chunks: tuple[Scored, ...]  # highest score first
    noise_floor: float
    seconds: dict[str, float] = field(default_factory=dict)

    def by_source(self, source: str) -> tuple[Scored, ...]:
        return tuple(s for s in self.chunks if source in s.chunk.sources)

    def by_bm25(self) -> tuple[Scored, ...]:
        """The chunks BM25 brought, in BM25's order (most similar words first), each with its score."""
        return tuple(sorted((s for s in self.chunks if s.chunk.bm25_rank is not None),
                            key=lambda s: s.chunk.bm25_rank))  # fmt: skip

    def to_json(self) -> dict:
        return {
            "context": self.context, "token": self.token, "token_text": self.token_text, "method": self.method,
            "noise_floor": self.noise_floor, "seconds": self.seconds,
            "checkpoints": [c.__dict__ for c in self.checkpoints],
            "chunks": [{"doc_id": s.chunk.doc_id, "doc_ix": s.chunk.doc_ix, "title": s.chunk.title,
                        "domain": s.chunk.domain, "sources": list(s.chunk.sources), "score": s.score,
                        "ratio": s.ratio, "holds_span": s.holds_span, "bm25_rank": s.chunk.bm25_rank,
                        "text": s.text} for s in self.chunks],
        }  # fmt: skip


def grouped_by_text(chunks: Sequence[Scored]) -> list[list[Scored]]:
    """The scored chunks grouped by their text (the anthology's copies of one passage are one
    group), in the order given: the page and the command line show each group once."""
    groups: dict[str, list[Scored]] = {}
    for scored in chunks:
        groups.setdefault(scored.text, []).append(scored)
    return list(groups.values())


def holds_words(chunk: Sequence[int], text: Sequence[int], least: int = VERBATIM) -> bool:
    """Whether `chunk` holds `least` tokens of `text` in a row (all of them when it is shorter):
    the page's "holds your words verbatim" (the span and continuation routes find chunks by
    shorter stretches too, e.g. "of the", which say nothing)."""
    n = min(least, len(text))
    if n == 0:
        return False
    runs = {tuple(text[k : k + n]) for k in range(len(text) - n + 1)}
    return any(tuple(chunk[k : k + n]) in runs for k in range(len(chunk) - n + 1))


@dataclass(frozen=True)
class Step:
    """A checkpoint to read: its folder, step and the learning rate the recipe used there."""

    name: str
    step: int
    lr: float
    path: str


def plan(model_dir: Path, late_share: float = LATE_SHARE) -> tuple[Step, ...]:
    """The late checkpoints of a model folder and the final model, with their learning rates; an
    error when the folder has no training log (nothing to weight the checkpoints by)."""
    from glassbox.training.recipe import Recipe, lr_at

    log_path = Path(model_dir) / "training_log.json"
    try:
        recipe_fields = json.loads(log_path.read_text(encoding="utf-8"))["recipe"]
        recipe = Recipe(**{k: tuple(map(tuple, v)) if k == "checkpoints" else v for k, v in recipe_fields.items()})
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise GlassboxError("attribution_unavailable", path=str(model_dir)) from err
    found = list_checkpoints(Path(model_dir))
    last = max((c.step for c in found), default=0)
    return tuple(Step(c.name, c.step, lr_at(min(c.step, recipe.steps - 1), recipe), c.path)
                 for c in found if c.step >= late_share * last)  # fmt: skip


def checkpoint_weights(path: str):
    """A checkpoint's model alone, in float32 (as the loader gives small models): without the
    tokenizer and its byte table, which an attribution takes from the final model (0.04 s, not 0.3)."""
    import torch
    from transformers import OlmoeForCausalLM

    return OlmoeForCausalLM.from_pretrained(path, dtype=torch.float32, use_safetensors=True)


def attribute(
    model_dir: Path,
    index: CorpusIndex,
    context: str,
    token: int,
    taught: Sequence[str] = (),
    seed: int = 0,
    sizes: PoolSizes = POOL,
    steps: Sequence[Step] | None = None,
    shared: LoadedModel | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Attribution:
    """Score the candidate chunks for `token` after `context` (see the module's docstring).
    `shared`: the final model as the caller already holds it (the site's shared model): it is only
    read, and copied to be moved; a checkpoint loaded here is this run's own, moved in place."""
    from glassbox.model.loading import load_model

    started = time.perf_counter()
    steps = tuple(steps) if steps is not None else plan(model_dir)

    if not steps:
        raise GlassboxError("attribution_unavailable", path=str(model_dir))
    lm = shared or load_model(steps[-1].path, device="cpu")

    def opener(path: str) -> Callable[[], tuple[object, bool]]:
        def get():  # (the model, whether it is this run's own to move in place)
            if path == steps[-1].path:
                return lm.model, shared is None
            return checkpoint_weights(path), True
        return get

    pool = build_pool(index, lm.tokenizer, context, token, taught, seed, sizes)
    pooled = time.perf_counter()
    ids = [*lm.document_start, *lm.tokenizer(context, add_special_tokens=False)["input_ids"]]
    per_token, parts = tracin([(s.name, s.step, s.lr, 1.0, opener(s.path)) for s in steps], ids, token,
                              [c.token_ids for c in pool], progress)  # fmt: skip
    scores = np.asarray([float(t.mean()) if len(t) else 0.0 for t in per_token])
    random = scores[[k for k, c in enumerate(pool) if "random" in c.sources]]
    floor = float(np.sqrt(np.mean(random**2))) if len(random) else 0.0
    order = np.argsort(-scores, kind="stable")
    words = [*ids[len(lm.document_start) :], token]  # the text: the context and the token
    scored = tuple(
        Scored(pool[k], lm.tokenizer.decode(list(pool[k].token_ids)), float(scores[k]),
               float(scores[k] / floor) if floor else 0.0, tuple(float(x) for x in per_token[k]),
               holds_words(pool[k].token_ids, words))  # fmt: skip
        for k in order
    )
    done = time.perf_counter()
    return Attribution(context, token, lm.tokenizer.decode([token]), METHOD, parts, scored, floor,
                       {"pool": round(pooled - started, 2), "scores": round(done - pooled, 2),
                        "total": round(done - started, 2), "chunks": len(pool)})  # fmt: skip
