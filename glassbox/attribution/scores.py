"""TracIn scores: how much training on a chunk moved log p(token | context), summed over checkpoints.

At a checkpoint with weights θ and learning rate η, one training step on chunk z moves θ by
-η ∇L_z, which changes f = log p(token | context) by about -η ∇f · ∇L_z (Pruthi et al. 2020,
TracInCP). Summed over the late checkpoints, that is the chunk's score: positive means training on
it pushed the prediction up. Each checkpoint's term is multiplied by a weight the caller gives:
TracIn's is the learning rate; `glassbox.attribution.attribute` weights them equally, by measurement.

The dot product is not taken between two gradients here. The query's gradient g = ∇f is taken
once per checkpoint (one backward pass); then ∇f · ∇L_z is the derivative of L_z along g, and a
central difference gives it for every chunk at once from two batched forward passes, with the
weights moved by ±ε along g/|g|:  ∇f · ∇L_z ≈ |g| (L_z(θ + εĝ) - L_z(θ - εĝ)) / 2ε. That costs two
forward passes per checkpoint whatever the pool's size, where per-chunk gradients would cost a
backward pass per chunk and 40 MB each (captum's TracInCP and dattri keep them; kronfluence's
EK-FAC needs fitted factors for every module, which the MoE's expert tensors do not map to). The
per-token losses come for free, so each token's share of its chunk's score is returned too: the
page highlights the passage that matters. tests/test_attribution.py checks the difference against
the exact dot product of two backward passes.

The model is never changed: each checkpoint is a float32 copy of its own (the shared model is
only read). Leaves out: the training windows' exact offsets (a chunk is a window of one document),
the optimizer's preconditioning (plain gradients, as TracIn has them), and GPU batching.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from glassbox.training.output_loss import _row_pass_eager as row_pass

EPSILON = 1e-2  # the step along the unit query gradient (checked against exact dot products)
BATCH = 16  # chunks per forward pass of the trunk
ROWS = 128  # rows of logits at once: 128 x 50,304 float32 is 26 MB


@dataclass(frozen=True)
class CheckpointScores:
    """One checkpoint's part: its step, the recipe's learning rate there, the weight its term was
    given, and the query gradient's norm."""

    name: str
    step: int
    lr: float
    weight: float
    grad_norm: float
    seconds: float


def query_gradient(model: torch.nn.Module, ids: Sequence[int], token: int) -> tuple[list[torch.Tensor], float]:
    """∇ log p(token | ids) for every parameter of `model` (one backward pass), and log p itself."""
    params = [p for p in model.parameters() if p.requires_grad]
    logits = model(input_ids=torch.tensor([list(ids)])).logits[0, -1].float()
    logp = F.log_softmax(logits, dim=-1)[token]
    grads = torch.autograd.grad(logp, params)
    return list(grads), float(logp.detach())


@torch.no_grad()
def token_losses(model: torch.nn.Module, chunks: Sequence[Sequence[int]], batch: int = BATCH) -> list[np.ndarray]:
    """Each chunk's next-token losses (float64 copies of float32 values), right-padded in batches
    (causal attention: padding after a token never reaches it)."""
    out: list[np.ndarray] = []
    for start in range(0, len(chunks), batch):
        group = chunks[start : start + batch]
        width = max(len(c) for c in group)
        ids = torch.zeros(len(group), width, dtype=torch.long)
        for row, c in enumerate(group):
            ids[row, : len(c)] = torch.tensor(list(c))
        hidden = model.model(input_ids=ids[:, :-1], use_cache=False).last_hidden_state
        losses = _losses(hidden.reshape(-1, hidden.shape[-1]), model.lm_head.weight, ids[:, 1:].reshape(-1))
        losses = losses.view(len(group), width - 1)
        out += [losses[row, : len(c) - 1].double().numpy() for row, c in enumerate(group)]
    return out


def _losses(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, rows: int = ROWS) -> torch.Tensor:
    """Per-row cross-entropy of hidden @ weight.T, in float32, `rows` rows of logits at a time, the
    softmax taken in place (the model's own head and F.cross_entropy make the full logits and their
    log-softmax: 1.6 times slower, measured on 1,024 rows)."""
    out = torch.empty(len(targets))
    weight = weight.float()
    for start in range(0, len(targets), rows):
        logits = hidden[start : start + rows].float() @ weight.t()
        picked = logits.gather(1, targets[start : start + rows, None]).squeeze(1)
        top, total = row_pass(logits)  # in place, the training loss's own: half the passes of torch.logsumexp
        out[start : start + rows] = top + total.log() - picked
    return out


@torch.no_grad()
def _move(params: list[torch.Tensor], direction: list[torch.Tensor], step: float) -> None:
    for p, d in zip(params, direction, strict=True):
        p.add_(d, alpha=step)


def directional(model: torch.nn.Module, ids: Sequence[int], token: int, chunks: Sequence[Sequence[int]],
                epsilon: float = EPSILON) -> tuple[list[np.ndarray], float]:
    """Per token of each chunk, ∇f · ∇(that token's loss) with f = log p(token | ids), by a central
    difference along the query gradient; and |∇f|. `model` is moved and moved back (a copy)."""
    grads, _ = query_gradient(model, ids, token)
    norm = float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads)))
    if norm == 0.0:
        return [np.zeros(len(c) - 1) for c in chunks], 0.0
    unit = [g.div_(norm) for g in grads]  # in place: one set of gradients held, not two
    params = [p for p in model.parameters() if p.requires_grad]
    _move(params, unit, epsilon)
    up = token_losses(model, chunks)
    _move(params, unit, -2 * epsilon)
    down = token_losses(model, chunks)
    _move(params, unit, epsilon)
    return [norm * (u - d) / (2 * epsilon) for u, d in zip(up, down, strict=True)], norm


def tracin(checkpoints: Sequence[tuple[str, int, float, float, Callable[[], tuple[torch.nn.Module, bool]]]],
           ids: Sequence[int], token: int, chunks: Sequence[Sequence[int]],
           progress: Callable[[int, int], None] | None = None) -> tuple[list[np.ndarray], tuple[CheckpointScores, ...]]:
    """Per token of each chunk, Σ over checkpoints of -w ∇f · ∇L (its share of the chunk's TracIn
    score). `checkpoints` are (name, step, learning rate, weight w, a function giving the model to
    read and whether it is this run's own: a model that is not, the shared one, is copied here)."""
    distinct = list(dict.fromkeys(tuple(c) for c in chunks))  # the anthology's copies are one window each
    total = [np.zeros(len(c) - 1) for c in distinct]
    parts = []
    for k, (name, step, lr, weight, open_model) in enumerate(checkpoints):
        start = time.perf_counter()
        model, own = open_model()
        model = (model if own else copy.deepcopy(model)).float().eval()
        per_token, norm = directional(model, ids, token, distinct)
        del model
        for acc, d in zip(total, per_token, strict=True):
            acc -= weight * d  # a step on the chunk moves the weights by -lr ∇L: f changes by -lr ∇f·∇L
        parts.append(CheckpointScores(name, step, lr, weight, norm, time.perf_counter() - start))
        if progress is not None:
            progress(k + 1, len(checkpoints))
    where = {c: k for k, c in enumerate(distinct)}
    return [total[where[tuple(c)]].copy() for c in chunks], tuple(parts)
