"""A fast training loss for the tied output layer: chunked, bf16 matmuls, gradients computed in forward.

With a 50k vocabulary and a 128-wide model, almost all of a training step is the output layer:
the (tokens, vocab) float32 logits, their log-softmax and the three big matmuls around them.
`output_loss` computes the mean next-token cross-entropy of `hidden @ weight.T` without ever
holding the full float32 logits: rows go through in chunks, the matmuls run in bf16 (fast on CPUs
with AMX), the softmax of each chunk is taken in float32 in one reused buffer, and since the loss
is the last thing in the graph, the gradients for `hidden` and `weight` are computed right there
and only scaled by the incoming gradient in backward. `fast_step_loss` runs the OLMoE trunk and
this loss, returning what `training.train` needs for its loss (the router logits for the balance
loss). Master weights and the gradient of `weight` stay float32.

Leaves out: ignore_index / padding targets, label smoothing, a double backward, GPU tuning.
"""

from __future__ import annotations

import torch


def _rows(logits: torch.Tensor, buf: torch.Tensor, targets: torch.Tensor, scale: float) -> tuple:
    """Per-row loss of one chunk, and bf16 grad_logits = (softmax - onehot) * scale.

    logits: (c, V) bf16; buf: (c, V) float32 scratch (overwritten); targets: (c,) int64.
    """
    buf.copy_(logits)
    target_logit = buf.gather(1, targets[:, None]).squeeze(1)
    top = buf.amax(dim=1, keepdim=True)
    buf.sub_(top).exp_()
    total = buf.sum(dim=1, keepdim=True)
    lse = top.squeeze(1) + total.log().squeeze(1)
    buf.mul_(total.reciprocal_().mul_(scale))
    rows = torch.arange(buf.shape[0], device=buf.device)
    buf[rows, targets] -= scale  # the one-hot part, exactly in float32
    return lse - target_logit, buf.to(torch.bfloat16)


class OutputLoss(torch.autograd.Function):
    """Mean cross-entropy of hidden @ weight.T against targets; see `output_loss`."""

    @staticmethod
    def forward(ctx, hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, chunk: int = 128):
        n = hidden.shape[0]
        vocab = weight.shape[0]
        h16 = hidden.detach().to(torch.bfloat16)
        w16 = weight.detach().to(torch.bfloat16)
        need_h, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad_h = torch.empty_like(hidden, dtype=torch.float32) if need_h else None
        grad_w = torch.zeros_like(weight, dtype=torch.float32) if need_w else None
        buf = torch.empty(min(chunk, n), vocab, dtype=torch.float32, device=hidden.device)
        logits = torch.empty(min(chunk, n), vocab, dtype=torch.bfloat16, device=hidden.device)
        loss = torch.zeros((), dtype=torch.float32, device=hidden.device)
        scale = 1.0 / n
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            c = stop - start
            hc = h16[start:stop]
            torch.mm(hc, w16.t(), out=logits[:c])
            row_loss, g16 = _rows(logits[:c], buf[:c], targets[start:stop], scale)
            loss += row_loss.sum()
            if need_h:
                grad_h[start:stop] = g16 @ w16
            if need_w:
                grad_w += g16.t() @ hc
        ctx.save_for_backward(grad_h, grad_w)
        return loss * scale

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        grad_h, grad_w = ctx.saved_tensors
        gh = grad_h * grad_output if grad_h is not None else None
        gw = grad_w * grad_output if grad_w is not None else None
        return gh, gw, None, None


def output_loss(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, chunk: int = 128) -> torch.Tensor:
    """Mean next-token cross-entropy (float32 scalar) of `hidden @ weight.T` against `targets`.

    hidden: (N, H) float32; weight: (V, H) float32 (the tied embedding / lm_head weight);
    targets: (N,) int64. The matmuls are bf16, so the loss agrees with F.cross_entropy of the
    float32 logits to about 1e-3 relative, and the gradients to a few tenths of a percent.
    """
    if hidden.dim() != 2 or weight.dim() != 2 or hidden.shape[1] != weight.shape[1]:
        raise ValueError(f"need hidden (N, H) and weight (V, H), got {tuple(hidden.shape)}, {tuple(weight.shape)}")
    if targets.shape != hidden.shape[:1]:
        raise ValueError(f"need targets ({hidden.shape[0]},), got {tuple(targets.shape)}")
    return OutputLoss.apply(hidden, weight, targets, chunk)


def fast_step_loss(model, input_ids: torch.Tensor, targets: torch.Tensor, chunk: int = 128) -> tuple:
    """(mean cross-entropy, router logits) of an OlmoeForCausalLM on a batch, for training.

    The same numbers as `model(input_ids, output_router_logits=True)` followed by F.cross_entropy
    on the logits (to bf16 precision), without the full logits. targets: input_ids shifted by one.
    """
    out = model.model(input_ids=input_ids, output_router_logits=True)
    hidden = out.last_hidden_state
    ce = output_loss(hidden.reshape(-1, hidden.shape[-1]), model.lm_head.weight, targets.reshape(-1), chunk)
    return ce, out.router_logits
