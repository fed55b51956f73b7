"""A fast training loss for the tied output layer: chunked, gradients computed in forward.

With a 50k vocabulary and a 128-wide model, most of a training step is the output layer: the
(tokens, vocab) float32 logits, their log-softmax and the three big matmuls around them.
`output_loss` computes the mean next-token cross-entropy of `hidden @ weight.T` without ever
holding the full logits: rows go through in chunks, each chunk's logits land in one reused float32
buffer where the softmax is taken in place, and since the loss is the last thing in the graph, the
gradients for `hidden` and `weight` are computed right there (grad_logits = softmax - onehot, over
N) and only scaled by the incoming gradient in backward. The softmax normaliser and 1/N are applied
to the small (chunk, H) sides of the gradient matmuls, and the one-hot part is added exactly in
float32 (rows of `weight` / `hidden`), so the (chunk, V) buffer is touched as few times as possible.

The matmuls run in bf16 where the CPU has bf16 hardware (AMX / AVX512-BF16: several times faster
than float32 there) and in float32 elsewhere (on AVX2-only CPUs bf16 matmuls are emulated and 5-40x
slower). Master weights and the gradient of `weight` stay float32 either way.

`fast_step_loss` runs the OLMoE trunk and this loss, returning what `training.train` needs for its
loss (the router logits for the balance loss).

Leaves out: ignore_index / padding targets, label smoothing, double backward, GPU tuning.
"""

from __future__ import annotations

import functools
import os

import torch

# Whether to try torch.compile for the row pass (off with GLASSBOX_COMPILE_LOSS=0, or set False).
# Rows per chunk: 512 rows of a 50k vocabulary is a 100 MB float32 buffer; smaller chunks make the
# matmuls slower on a 2-core AVX2 CPU (measured by bench/bench_train.py).
CHUNK = 512
COMPILE = os.environ.get("GLASSBOX_COMPILE_LOSS", "1") != "0"


@functools.cache
def default_dtype() -> torch.dtype:
    """bf16 where this CPU multiplies bf16 in hardware, else float32."""
    try:
        fast = torch.ops.mkldnn._is_mkldnn_bf16_supported() and (
            torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported()
        )
    except (AttributeError, RuntimeError):
        fast = False
    return torch.bfloat16 if fast else torch.float32


def _row_pass_eager(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """In place: logits -> exp(logits - row max). Returns (row max, row sum of the exps)."""
    top = logits.amax(dim=1, keepdim=True)
    torch.sub(logits, top, out=logits).exp_()
    return top.squeeze(1), logits.sum(dim=1)


def _row_pass_fused(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The same as `_row_pass_eager`, written for torch.compile (one read for the max, one pass for
    exp, store and sum)."""
    top = logits.amax(dim=1, keepdim=True)
    e = torch.exp(logits - top)
    logits.copy_(e)
    return top.squeeze(1), e.sum(dim=1)


_compiled: dict[str, object] = {}


def _row_pass(logits: torch.Tensor, compiled: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """The compiled row pass if it compiles (checked once against the eager one), else eager."""
    if not (COMPILE and compiled) or _compiled.get("failed"):
        return _row_pass_eager(logits)
    fn = _compiled.get("fn")
    if fn is None:
        try:
            fn = torch.compile(_row_pass_fused, dynamic=False, fullgraph=True)
            probe = logits.clone()
            top, total = fn(probe)
            ref = logits.clone()
            ref_top, ref_total = _row_pass_eager(ref)
            if not (torch.equal(top, ref_top) and torch.allclose(total, ref_total, rtol=1e-4)
                    and torch.allclose(probe, ref, rtol=1e-4, atol=1e-30)):
                raise RuntimeError("compiled row pass disagrees with the eager one")
        except Exception:  # no compiler, a compile error, a wrong result: plain torch it is
            _compiled["failed"] = True
            return _row_pass_eager(logits)
        _compiled["fn"] = fn
    return fn(logits)


class OutputLoss(torch.autograd.Function):
    """Mean cross-entropy of hidden @ weight.T against targets; see `output_loss`."""

    @staticmethod
    def forward(ctx, hidden, weight, targets, chunk, dtype, compiled, grads):
        n, vocab = hidden.shape[0], weight.shape[0]
        hidden, weight = hidden.detach().float(), weight.detach().float()
        hm = hidden.to(dtype)  # cast once per call (no copy when dtype is float32)
        wm = weight.to(dtype)
        # under torch.no_grad() needs_input_grad still says True: `grads` (grad mode at the call) decides
        need_h, need_w = grads and ctx.needs_input_grad[0], grads and ctx.needs_input_grad[1]
        grad_h = torch.empty_like(hidden) if need_h else None
        grad_w = torch.zeros_like(weight) if need_w else None
        rows = min(chunk, n)
        buf = torch.empty(rows, vocab, dtype=torch.float32, device=hidden.device)
        low = torch.empty(rows, vocab, dtype=dtype, device=hidden.device) if dtype != torch.float32 else None
        # the low-precision (vocab, H) product for grad_w, one buffer for every chunk: added in place,
        # where `grad_w += a @ b` made a new product and a float32 copy of it per chunk (39 MB at 50k x 128)
        low_w = torch.empty_like(weight, dtype=dtype) if need_w and low is not None else None
        loss = torch.zeros((), dtype=torch.float64, device=hidden.device)
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            c, hc, tc = stop - start, hm[start:stop], targets[start:stop]
            logits = buf[:c]
            if low is None:
                torch.mm(hc, wm.t(), out=logits)
            else:
                torch.mm(hc, wm.t(), out=low[:c])
                logits.copy_(low[:c])
            target_logit = logits.gather(1, tc[:, None]).squeeze(1)
            top, total = _row_pass(logits, compiled)  # logits -> exp(logits - max): the unnormalised softmax
            loss += (top + total.log() - target_logit).sum(dtype=torch.float64)
            if not (need_h or need_w):
                continue
            scale = (total * n).reciprocal_()[:, None]  # softmax = exp / total, and the mean's 1/N
            e = logits if low is None else low[:c].copy_(logits)
            if need_h:  # (softmax - onehot) / N @ weight
                g = grad_h[start:stop]
                torch.mm(e, wm, out=g) if low is None else g.copy_(e @ wm)
                g.mul_(scale).sub_(weight[tc], alpha=1.0 / n)
            if need_w:  # (softmax - onehot)^T / N @ hidden
                if low is None:
                    grad_w.addmm_(e.t(), hidden[start:stop] * scale)
                else:
                    grad_w.add_(torch.mm(e.t(), (hidden[start:stop] * scale).to(dtype), out=low_w))
                grad_w.index_add_(0, tc, hidden[start:stop], alpha=-1.0 / n)
        # kept on ctx, not saved for backward: backward hands them over and keeps no reference, so
        # autograd can take grad_w as the weight's .grad instead of copying it (26 MB for 50k x 128)
        ctx.grads = (grad_h, grad_w)
        return (loss / n).float()

    @staticmethod
    def backward(ctx, grad_output):
        (grad_h, grad_w), ctx.grads = ctx.grads, None  # computed in forward for this one backward
        gh = grad_h.mul_(grad_output) if grad_h is not None else None
        gw = grad_w.mul_(grad_output) if grad_w is not None else None
        return gh, gw, None, None, None, None, None


def output_loss(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, chunk: int = CHUNK,
                dtype: torch.dtype | None = None, compiled: bool = True) -> torch.Tensor:
    """Mean next-token cross-entropy (float32 scalar) of `hidden @ weight.T` against `targets`.

    hidden: (N, H) float32; weight: (V, H) float32 (the tied embedding / lm_head weight);
    targets: (N,) int64. dtype: the matmuls' dtype (default: `default_dtype()`). In bf16 the loss
    agrees with F.cross_entropy of the float32 logits to about 1e-3 relative, the gradients to a few
    tenths of a percent; in float32 to float32 rounding. compiled=False keeps to the eager row pass
    (no torch.compile: compiling costs seconds and about 200 MB, worth it only for long training).
    """
    if hidden.dim() != 2 or weight.dim() != 2 or hidden.shape[1] != weight.shape[1]:
        raise ValueError(f"need hidden (N, H) and weight (V, H), got {tuple(hidden.shape)}, {tuple(weight.shape)}")
    if targets.shape != hidden.shape[:1]:
        raise ValueError(f"need targets ({hidden.shape[0]},), got {tuple(targets.shape)}")
    return OutputLoss.apply(hidden, weight, targets, chunk, dtype or default_dtype(), compiled, torch.is_grad_enabled())


def fast_step_loss(model, input_ids: torch.Tensor, targets: torch.Tensor, chunk: int = CHUNK,
                   dtype: torch.dtype | None = None, compiled: bool = True) -> tuple:
    """(mean cross-entropy, router logits) of an OlmoeForCausalLM on a batch, for training.

    The same numbers as `model(input_ids, output_router_logits=True)` then F.cross_entropy of the
    logits (to the matmul dtype's precision), without the full logits. targets: (batch, seq) int64,
    input_ids shifted by one.
    """
    out = model.model(input_ids=input_ids, output_router_logits=True, use_cache=False)
    hidden = out.last_hidden_state
    ce = output_loss(hidden.reshape(-1, hidden.shape[-1]), model.lm_head.weight, targets.reshape(-1), chunk, dtype,
                     compiled)
    return ce, out.router_logits
