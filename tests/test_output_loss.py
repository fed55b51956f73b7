"""The chunked output loss: the same loss and gradients as F.cross_entropy of the full logits
(float32 matmuls to float32 rounding, bf16 matmuls to bf16 precision), alone and in a whole
OLMoE training step with the balance loss."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from glassbox.model import olmoe
from glassbox.training import output_loss
from glassbox.training.recipe import layer_balance_loss

VOCAB = 50304
# (matmul dtype, max relative loss error, max relative L2 error of any gradient)
PRECISION = [(torch.float32, 1e-5, 1e-4), (torch.bfloat16, 1e-3, 3e-2)]


@pytest.fixture(autouse=True)
def _eager(monkeypatch):
    monkeypatch.setattr(output_loss, "COMPILE", False)  # compiling takes ~30 s; tested eagerly below


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm())


@pytest.mark.parametrize("dtype,loss_tol,grad_tol", PRECISION)
def test_output_loss_matches_cross_entropy(dtype, loss_tol, grad_tol):
    gen = torch.Generator().manual_seed(3)
    hidden = torch.randn(70, 32, generator=gen).requires_grad_()
    weight = (torch.randn(VOCAB, 32, generator=gen) * 0.3).requires_grad_()
    targets = torch.randint(0, VOCAB, (70,), generator=gen)
    targets[:5] = (hidden.detach() @ weight.detach().t()).argmax(1)[:5]  # some confident rows too
    ref = F.cross_entropy(hidden @ weight.t(), targets)
    ref_h, ref_w = torch.autograd.grad(ref, (hidden, weight))
    for chunk in (32, 128):  # several chunks with a short last one, and a single chunk
        loss = output_loss.output_loss(hidden, weight, targets, chunk=chunk, dtype=dtype)
        assert loss.dtype == torch.float32 and loss.dim() == 0
        assert abs(loss.item() - ref.item()) / ref.item() <= loss_tol
        grad_h, grad_w = torch.autograd.grad(loss * 3.0, (hidden, weight))  # grad_output is applied
        assert rel(grad_h, 3.0 * ref_h) <= grad_tol
        assert rel(grad_w, 3.0 * ref_w) <= grad_tol


def test_wrong_targets_are_caught():
    """The comparison above can fail: shifted targets give another loss and other gradients."""
    gen = torch.Generator().manual_seed(4)
    hidden = torch.randn(40, 16, generator=gen).requires_grad_()
    weight = torch.randn(VOCAB, 16, generator=gen).requires_grad_()
    targets = torch.randint(0, VOCAB, (40,), generator=gen)
    ref = F.cross_entropy(hidden @ weight.t(), targets)
    loss = output_loss.output_loss(hidden, weight, (targets + 1) % VOCAB, chunk=16, dtype=torch.float32)
    assert abs(loss.item() - ref.item()) / ref.item() > 1e-3
    with pytest.raises(ValueError):
        output_loss.output_loss(hidden, weight, targets[:-1])


def plain_step(model, batch):
    out = model(input_ids=batch[:, :-1], output_router_logits=True)
    logits = out.logits
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
    return ce, out.router_logits


def grads(model, step, batch):
    model.zero_grad(set_to_none=True)
    ce, router_logits = step(model, batch)
    loss = ce + 0.1 * layer_balance_loss(router_logits, model.config.num_experts_per_tok)
    loss.backward()
    return ce.item(), {n: p.grad.clone() for n, p in model.named_parameters()}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("dtype,loss_tol,grad_tol", PRECISION)
def test_fast_step_matches_plain_step(seed, dtype, loss_tol, grad_tol):
    model = olmoe.random_model(hidden_size=32, intermediate_size=32, layers=2, experts=4, seed=seed)
    model.train()
    batch = torch.randint(0, VOCAB, (2, 25), generator=torch.Generator().manual_seed(seed))
    ref_loss, ref = grads(model, plain_step, batch)
    loss, got = grads(model, lambda m, b: output_loss.fast_step_loss(m, b[:, :-1], b[:, 1:], 16, dtype), batch)
    assert abs(loss - ref_loss) / ref_loss <= min(loss_tol, 1e-3)
    assert set(got) == set(ref)
    worst = max(got, key=lambda n: rel(got[n], ref[n]))
    assert rel(got[worst], ref[worst]) <= grad_tol, worst


def test_row_pass_forms_agree_and_compile_falls_back(monkeypatch):
    x = torch.randn(6, 1000) * 20
    a, b = x.clone(), x.clone()
    top_a, total_a = output_loss._row_pass_eager(a)
    top_b, total_b = output_loss._row_pass_fused(b)
    assert torch.equal(top_a, top_b) and torch.allclose(total_a, total_b) and torch.allclose(a, b)
    assert torch.allclose(total_a, torch.exp(x - x.amax(1, keepdim=True)).sum(1))

    def broken(*args, **kwargs):
        raise RuntimeError("no compiler here")

    monkeypatch.setattr(output_loss, "COMPILE", True)
    monkeypatch.setattr(output_loss, "_compiled", {})
    monkeypatch.setattr(torch, "compile", broken)
    c = x.clone()
    top_c, total_c = output_loss._row_pass(c)
    assert output_loss._compiled.get("failed") and torch.equal(top_c, top_a) and torch.allclose(c, a)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_output_loss_without_grad_mode_computes_no_gradients(dtype):
    """Under torch.no_grad() (held-out loss) the loss is the same and only the logits are multiplied:
    one matmul per chunk, where with gradients each chunk takes three (logits, grad_h, grad_w)."""
    gen = torch.Generator().manual_seed(4)
    hidden = torch.randn(64, 32, generator=gen).requires_grad_()
    weight = (torch.randn(VOCAB, 32, generator=gen) * 0.3).requires_grad_()
    targets = torch.randint(0, VOCAB, (64,), generator=gen)

    def matmuls(grad: bool) -> tuple[float, int]:
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            with torch.set_grad_enabled(grad):
                loss = output_loss.output_loss(hidden, weight, targets, chunk=16, dtype=dtype)
        return float(loss.detach()), sum(e.count for e in prof.key_averages() if e.key in ("aten::mm", "aten::addmm_"))

    with_grad, without = matmuls(True), matmuls(False)
    assert without[0] == pytest.approx(with_grad[0], rel=1e-6)
    assert (with_grad[1], without[1]) == (12, 4)
