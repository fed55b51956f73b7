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
page highlights the passage that matters. Most of a forward pass is the output layer (each row of
hidden states times the 50,304-token vocabulary); where the CPU multiplies bf16 in hardware, the
difference is taken through the trunk alone and the output layer's part exactly (`head_derivative`),
its matmuls in bf16: on the shipped model at about 150 chunks the chunk scores correlate 1.0000 with
the float32 difference (top 10 identical, largest error 1 % of the top score), in about half the
time. tests/test_attribution.py checks both against the exact dot product of two backward passes.

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
    """Each chunk's next-token losses (float64 copies of float32 values)."""
    losses = _losses(hidden_states(model, chunks, batch), model.lm_head.weight, _targets(chunks))
    return _split(losses, chunks)


def _targets(chunks: Sequence[Sequence[int]]) -> torch.Tensor:
    return torch.cat([torch.tensor(list(c[1:])) for c in chunks])


def _losses(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, rows: int = ROWS) -> torch.Tensor:
    """Per-row cross-entropy of hidden @ weight.T, in float32, `rows` rows of logits at a time, the
    softmax taken in place (the model's own head and F.cross_entropy make the full logits and their
    log-softmax: 1.6 times slower, measured on 1,024 rows), in one buffer for every block (a new
    26 MB block each time is a fresh mapping, and its page faults cost as much as the product)."""
    out = torch.empty(len(targets))
    weight = weight.float()
    buf = torch.empty(min(rows, len(targets)), weight.shape[0])
    for start in range(0, len(targets), rows):
        stop = min(start + rows, len(targets))
        logits = torch.mm(hidden[start:stop].float(), weight.t(), out=buf[: stop - start])
        picked = logits.gather(1, targets[start:stop, None]).squeeze(1)
        top, total = row_pass(logits)  # in place, the training loss's own: half the passes of torch.logsumexp
        out[start:stop] = top + total.log() - picked
    return out


@torch.no_grad()
def _move(params: list[torch.Tensor], direction: list[torch.Tensor], step: float) -> None:
    for p, d in zip(params, direction, strict=True):
        p.add_(d, alpha=step)


@torch.no_grad()
def hidden_states(model: torch.nn.Module, chunks: Sequence[Sequence[int]], batch: int = BATCH) -> torch.Tensor:
    """The trunk's last hidden state before each next token of every chunk, the chunks' rows one
    after another (float32, (Σ len-1, hidden)); right-padded in batches (causal attention: padding
    after a token never reaches it)."""
    out = []
    for start in range(0, len(chunks), batch):
        group = chunks[start : start + batch]
        width = max(len(c) for c in group)
        ids = torch.zeros(len(group), width, dtype=torch.long)
        for row, c in enumerate(group):
            ids[row, : len(c)] = torch.tensor(list(c))
        hidden = model.model(input_ids=ids[:, :-1], use_cache=False).last_hidden_state.float()
        out += [hidden[row, : len(c) - 1] for row, c in enumerate(group)]
    return torch.cat(out)


@torch.no_grad()
def head_derivative(hidden: torch.Tensor, d_hidden: torch.Tensor, weight: torch.Tensor, d_weight: torch.Tensor,
                    targets: torch.Tensor, dtype: torch.dtype, rows: int = ROWS) -> torch.Tensor:
    """Per row, the derivative of the loss lse(h Wᵀ) - h·W[t] when h moves by `d_hidden` and W by
    `d_weight`: (softmax - onehot(t)) · (dh Wᵀ + h dWᵀ), i.e. dh·(pW) + h·(p dW) - dh·W[t] - h·dW[t].
    Two matmuls of the rows by the vocabulary, in `dtype`; the rest in float32."""
    width, n = weight.shape[1], len(targets)
    w_low = weight.to(dtype)
    both = torch.cat([weight, d_weight], dim=1).to(dtype)  # (vocab, 2H): p W and p dW in one product
    out = torch.empty(n)
    # one set of buffers for every block of rows (see _losses: fresh 26 MB blocks cost page faults)
    exps = torch.empty(min(rows, n), weight.shape[0])
    low = torch.empty_like(exps, dtype=dtype) if dtype != torch.float32 else exps
    mixed = torch.empty(min(rows, n), 2 * width, dtype=dtype)
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        c, h, dh, t = stop - start, hidden[start:stop], d_hidden[start:stop], targets[start:stop]
        torch.mm(h.to(dtype), w_low.t(), out=low[:c])
        logits = exps[:c].copy_(low[:c]) if low is not exps else exps[:c]
        _, total = row_pass(logits)  # in place: logits -> exp(logits - max), total their sum
        if low is not exps:
            low[:c].copy_(logits)
        torch.mm(low[:c], both, out=mixed[:c])
        pw = mixed[:c].float().div_(total[:, None])  # (rows, 2H): p W | p dW
        out[start:stop] = ((pw[:, :width] - weight[t]) * dh).sum(1) + ((pw[:, width:] - d_weight[t]) * h).sum(1)
    return out


def _split(values: torch.Tensor, chunks: Sequence[Sequence[int]]) -> list[np.ndarray]:
    return [part.double().numpy() for part in torch.split(values, [len(c) - 1 for c in chunks])]


def directional(model: torch.nn.Module, ids: Sequence[int], token: int, chunks: Sequence[Sequence[int]],
                epsilon: float = EPSILON, dtype: torch.dtype | None = None) -> tuple[list[np.ndarray], float]:
    """Per token of each chunk, ∇f · ∇(that token's loss) with f = log p(token | ids), and |∇f|.
    `model` is moved and moved back (a copy).

    `dtype` float32: a central difference of the whole loss along the query gradient (two forward
    passes). bf16 (the default where the CPU multiplies bf16 in hardware, `output_loss.default_dtype`):
    the central difference through the trunk only, and the output layer's part taken exactly
    (`head_derivative`), its two vocabulary-wide matmuls in bf16, without the cancellation that
    ruins a bf16 difference of two losses."""
    from glassbox.training.output_loss import default_dtype

    dtype = dtype or default_dtype()
    grads, _ = query_gradient(model, ids, token)
    norm = float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads)))
    if norm == 0.0:
        return [np.zeros(len(c) - 1) for c in chunks], 0.0
    unit = [g.div_(norm) for g in grads]  # in place: one set of gradients held, not two
    params = [p for p in model.parameters() if p.requires_grad]
    measure = token_losses if dtype == torch.float32 else hidden_states
    _move(params, unit, epsilon)
    up = measure(model, chunks)
    _move(params, unit, -2 * epsilon)
    down = measure(model, chunks)
    _move(params, unit, epsilon)
    if dtype == torch.float32:
        return [norm * (u - d) / (2 * epsilon) for u, d in zip(up, down, strict=True)], norm
    head = model.lm_head.weight
    d_head = unit[next(k for k, p in enumerate(params) if p is head)]
    found = head_derivative((up + down) / 2, (up - down) / (2 * epsilon), head.detach().float(), d_head.float(),
                            _targets(chunks), dtype)  # fmt: skip
    return _split(found * norm, chunks), norm


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
