"""Teach a copy of the model a learner's sentences, as pretraining taught it the anthology.

`teach` builds a fresh copy of a loaded model's weights (the shared model is only read) and
continues training it with AdamW, from a fresh optimizer state, at a learning rate near the end
of the recipe's schedule. Each sentence occurs `copies` times, each copy a short document
(`<|endoftext|>` sentence `<|endoftext|>`) at the start of a window that goes on with ordinary
training text, and `replay_per_copy` plain training windows come with every copy; all windows are
shuffled with the seed and taken `batch` at a time. It returns a frozen `Taught`: the loss on the
learner's text after every step, the held-out loss before and after (what the lesson costs the
rest), the settings, and the changed weights in bfloat16 (about 20 MB for the Tiny OLMoE).
`taught_model` turns those into a `LoadedModel` of its own. The same seed on the same kind of CPU
gives the same weights.

The settings were picked by measurement on the shipped model (bench/bench_teach.py): a fresh
AdamW's first steps move every weight by about the learning rate, so the rate climbs over two
steps, which keeps one copy from costing more than a copy is worth; with the token embeddings
frozen the model never learned a new word (the output layer is tied to them).

Leaves out: the load-balancing loss (a few dozen steps barely move the routers' balance, and the
learner's question is about words) and learning-rate decay.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch

from glassbox.errors import GlassboxError
from glassbox.model import olmoe
from glassbox.model.loading import LoadedModel
from glassbox.teaching.replay import Replay
from glassbox.training.output_loss import fast_step_loss

COPIES = (1, 2, 4, 8, 16, 32, 64)  # the anthology's ladder
MAX_SENTENCES = 5
MAX_SENTENCE_CHARS = 200
CONTINUATION_TOKENS = 12  # the greedy continuation shown before and after (page and lesson claims)
TIED_OUTPUT, EMBEDDINGS = "lm_head.weight", "model.embed_tokens.weight"
OUTPUT_ROWS = 128  # rows of the output layer at once: 128 x 50,304 scores is 26 MB, where 512 took 100 MB
# The output layer's row pass runs eagerly (compiled=False): torch.compile in a server process
# would cost a few seconds and about 200 MB on the first teaching, for little gain at 128 rows.


@dataclass(frozen=True)
class TeachSettings:
    """How a copy is taught (with the sentences and the replay text, everything that fixes it)."""

    copies: int = 16
    seed: int = 0
    lr: float = 1e-3
    replay_per_copy: int = 1  # ordinary training windows per copy of the learner's text
    window: int = 64  # tokens per training window
    batch: int = 16
    grad_clip: float = 1.0
    weight_decay: float = 0.0  # a few steps: decay would only shrink every weight a little
    embeddings: bool = True  # train the token embeddings (tied to the output layer) too
    warmup: int = 2  # steps over which the rate climbs to `lr` (a fresh AdamW's first steps are its largest)


@dataclass(frozen=True, eq=False)
class Taught:
    """The outcome of teaching: what it cost, how the learner's text was learned, the new weights."""

    sentences: tuple[str, ...]
    settings: TeachSettings
    source: str  # the model that was taught
    steps: int
    text_loss: tuple[float, ...]  # mean loss (nats/token) on the learner's sentences: before, then after each step
    heldout_before: float
    heldout_after: float
    seconds: float
    weights: dict[str, torch.Tensor]  # parameter name -> taught value (bfloat16), only those that changed

    @property
    def heldout_rise(self) -> float:
        """The held-out loss after, relative to before (0.05 = 5 % worse on everything else)."""
        return self.heldout_after / self.heldout_before - 1.0

    def summary(self) -> dict:
        return {"sentences": list(self.sentences), "settings": self.settings.__dict__, "source": self.source,
                "steps": self.steps, "text_loss": list(self.text_loss), "heldout_before": self.heldout_before,
                "heldout_after": self.heldout_after, "seconds": round(self.seconds, 2),
                "kept_bytes": kept_bytes(self)}  # fmt: skip


def check_sentences(sentences: Sequence[str], copies: int) -> tuple[str, ...]:
    """The learner's sentences, trimmed, or a GlassboxError saying what is wrong with them."""
    kept = tuple(s.strip() for s in sentences if s and s.strip())
    if not kept:
        raise GlassboxError("teach_empty")
    if len(kept) > MAX_SENTENCES:
        raise GlassboxError("teach_too_many", n=len(kept), limit=MAX_SENTENCES)
    for s in kept:
        if len(s) > MAX_SENTENCE_CHARS:
            raise GlassboxError("teach_too_long", length=len(s), limit=MAX_SENTENCE_CHARS)
        if any(ord(c) < 32 and c not in "\t\n" or 0xD800 <= ord(c) <= 0xDFFF for c in s):
            raise GlassboxError("teach_bad_characters")
    if copies not in COPIES:
        raise GlassboxError("teach_bad_copies", copies=copies, allowed=", ".join(map(str, COPIES)))
    return kept


def _copy_of(lm: LoadedModel) -> torch.nn.Module:
    """A trainable float32 copy of the model's weights (the shared model is only read)."""
    model = copy.deepcopy(lm.model)  # new tensors; the routing hooks come along, inert unless asked to record
    # Each layer's inputs are kept and its insides recomputed in backward: the same numbers, 7 %
    # slower, and about 70 MB less at the peak (16 windows of 64 tokens keep ~17 MB a layer).
    model.activation_checkpointing_enable({"use_reentrant": False})
    return model.float()


def _documents(lm: LoadedModel, sentences: Sequence[str]) -> list[list[int]]:
    """Each sentence as a training document reads: after and before `<|endoftext|>`."""
    eos = lm.tokenizer.eos_token_id
    return [[eos, *lm.tokenizer(s, add_special_tokens=False)["input_ids"], eos] for s in sentences]


def _windows(docs: list[list[int]], replay: Replay, settings: TeachSettings) -> torch.Tensor:
    """Every copy of every sentence, each leading a window of training text, and the replay windows,
    shuffled with the seed: (windows, window + 1)."""
    rng = np.random.default_rng(settings.seed)
    rows = []
    for doc in docs:
        for _ in range(settings.copies):
            rows.append(np.concatenate([doc, replay.window_at(replay.random_start(rng))])[: settings.window + 1])
    for _ in range(settings.copies * settings.replay_per_copy):
        rows.append(replay.window_at(replay.random_start(rng))[: settings.window + 1])
    batch = np.stack(rows)
    rng.shuffle(batch)
    return torch.from_numpy(batch.astype(np.int64))


@torch.no_grad()
def text_loss(model: torch.nn.Module, docs: list[list[int]]) -> float:
    """Mean next-token loss over the learner's sentences, read as documents (nats/token)."""
    total, count = 0.0, 0
    for doc in docs:
        ids = torch.tensor([doc])
        logits = model(input_ids=ids[:, :-1]).logits[0]
        total += float(torch.nn.functional.cross_entropy(logits.float(), ids[0, 1:], reduction="sum"))
        count += len(doc) - 1
    return total / max(1, count)


@torch.no_grad()
def heldout_loss(model: torch.nn.Module, replay: Replay, batch: int = 16) -> float:
    """Mean next-token loss on the fixed held-out windows (nats/token), with the output layer run
    in row chunks (`glassbox.training.output_loss`), never the full (rows, vocab) logits at once."""
    total = 0.0
    for rows in replay.heldout.split(batch):
        ce, _ = fast_step_loss(model, rows[:, :-1], rows[:, 1:], OUTPUT_ROWS, compiled=False)
        total += float(ce) * rows[:, 1:].numel()
    return total / replay.heldout[:, 1:].numel()


def teach(
    lm: LoadedModel,
    sentences: Sequence[str],
    replay: Replay,
    settings: TeachSettings = TeachSettings(),
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Taught:
    """Teach a copy of `lm` the sentences (see the module's docstring). `progress(step, steps)` is
    called after every step; when `cancelled()` turns true, GlassboxError("teach_cancelled")."""
    sentences = check_sentences(sentences, settings.copies)
    start = time.perf_counter()
    torch.manual_seed(settings.seed)
    model = _copy_of(lm)
    docs = _documents(lm, sentences)
    model.eval()
    losses = [text_loss(model, docs)]
    before = heldout_loss(model, replay)
    rows = _windows(docs, replay, settings)
    trained = [p for name, p in model.named_parameters() if settings.embeddings or "embed_tokens" not in name]
    if not settings.embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)  # and the output layer, tied to it
    opt = torch.optim.AdamW(trained, lr=settings.lr, betas=(0.9, 0.95), weight_decay=settings.weight_decay,
                            foreach=False)
    steps = math.ceil(len(rows) / settings.batch)
    for step, batch in enumerate(rows.split(settings.batch), 1):
        if cancelled is not None and cancelled():
            raise GlassboxError("teach_cancelled")
        model.train()
        for group in opt.param_groups:
            group["lr"] = settings.lr * min(1.0, step / settings.warmup) if settings.warmup else settings.lr
        ce, _ = fast_step_loss(model, batch[:, :-1], batch[:, 1:], OUTPUT_ROWS, compiled=False)
        ce.backward()
        torch.nn.utils.clip_grad_norm_(trained, settings.grad_clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        model.eval()
        losses.append(text_loss(model, docs))
        if progress is not None:
            progress(step, steps)
    after = heldout_loss(model, replay)
    shared = lm.model.state_dict()
    tied = {TIED_OUTPUT} if _tied(model) else set()  # the same tensor as the embeddings: kept once
    weights = {name: value.detach().to(torch.bfloat16).clone() for name, value in model.state_dict().items()
               if name not in tied and not torch.equal(value, shared[name].float())}  # fmt: skip
    return Taught(sentences, settings, lm.info.source, steps, tuple(round(x, 4) for x in losses), round(before, 4),
                  round(after, 4), time.perf_counter() - start, weights)  # fmt: skip


def _tied(model: torch.nn.Module) -> bool:
    return model.get_output_embeddings().weight is model.get_input_embeddings().weight


def kept_bytes(taught: Taught) -> int:
    """What a taught model keeps: its changed weights."""
    return sum(t.numel() * t.element_size() for t in taught.weights.values())


def taught_model(lm: LoadedModel, taught: Taught) -> LoadedModel:
    """A model of its own with the taught weights (the shared `lm` is only read)."""
    from transformers import OlmoeForCausalLM

    model = OlmoeForCausalLM(lm.model.config)
    state = {k: v.detach().clone() for k, v in lm.model.state_dict().items()}
    state.update({k: v.to(state[k].dtype) for k, v in taught.weights.items()})
    if _tied(model):
        state[TIED_OUTPUT] = state[EMBEDDINGS]
    model.load_state_dict(state)
    model.to(dtype=next(lm.model.parameters()).dtype)
    model.eval()
    olmoe.install_routing_hooks(model)
    info = replace(lm.info, name=f"{lm.info.name} (taught)", source=f"{lm.info.source}#taught")
    return LoadedModel(model=model, tokenizer=lm.tokenizer, token_bytes=lm.token_bytes, info=info,
                       document_start=lm.document_start)  # fmt: skip


def next_in_sentences(tokenizer, sentences: Sequence[str], probe: str) -> int | None:
    """The token the learner's sentences put right after `probe` (the first sentence that starts
    with the probe's tokens), or None: " Lumen" after "The capital of Glassland is". The page
    marks it in the bars before and after."""
    wanted = tokenizer(probe, add_special_tokens=False)["input_ids"]
    if not wanted:
        return None
    for sentence in sentences:
        ids = tokenizer(sentence, add_special_tokens=False)["input_ids"]
        if len(ids) > len(wanted) and ids[: len(wanted)] == wanted:
            return int(ids[len(wanted)])
    return None
