"""Every transformers-specific detail of OLMoE lives here (pinned: transformers 5.24).

- where the router sits (`model.model.layers[i].mlp.gate`, an `OlmoeTopKRouter` returning
  `(router_logits, top_k_weights, top_k_index)`: softmax over all experts, then top-k,
  renormalised only when `config.norm_topk_prob`);
- how a forward pass with a KV cache is called;
- how a small random OLMoE is built (tests, the untrained fallback).

Routing is captured by one forward hook per router, installed once when a model is loaded.
The hooks are shared by every session using that model; each thread turns recording on for
itself (`RoutingCapture`), so no request ever attaches state to the shared model.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from transformers import OlmoeConfig, OlmoeForCausalLM

_local = threading.local()


@dataclass
class RoutingCapture:
    """What the routers of one forward pass produced, layer by layer (this thread only)."""

    logits: list[torch.Tensor] = field(default_factory=list)  # per layer (tokens, experts)
    weights: list[torch.Tensor] = field(default_factory=list)  # per layer (tokens, k)
    experts: list[torch.Tensor] = field(default_factory=list)  # per layer (tokens, k)
    disabled: frozenset[int] = frozenset()  # experts switched off for this pass


def routers(model: OlmoeForCausalLM) -> list[torch.nn.Module]:
    """The router (gate) module of every layer, in order."""
    return [layer.mlp.gate for layer in model.model.layers]


def _router_hook(module, args, output):
    capture: RoutingCapture | None = getattr(_local, "capture", None)
    if capture is None:
        return None
    logits, weights, experts = output
    if capture.disabled:
        # Switch experts off by giving them zero router probability, then route as the
        # model's own router does (softmax over all, top-k, optional renormalisation).
        logits = logits.clone()
        logits[:, list(capture.disabled)] = float("-inf")
        probs = torch.softmax(logits, dtype=torch.float, dim=-1)
        weights, experts = torch.topk(probs, module.top_k, dim=-1)
        if module.norm_topk_prob:
            weights = weights / weights.sum(dim=-1, keepdim=True)
        weights = weights.to(output[1].dtype)
        output = (logits, weights, experts)
    capture.logits.append(logits.detach())
    capture.weights.append(weights.detach())
    capture.experts.append(experts.detach())
    return output


def install_routing_hooks(model: OlmoeForCausalLM) -> None:
    """Install the shared, inert-by-default routing hooks (once per model)."""
    if getattr(model, "_glassbox_hooks", False):
        return
    for gate in routers(model):
        gate.register_forward_hook(_router_hook)
    model._glassbox_hooks = True


@contextmanager
def capture_routing(disabled: frozenset[int] = frozenset()):
    """Record routing for forward passes run by this thread inside the block."""
    previous = getattr(_local, "capture", None)
    capture = RoutingCapture(disabled=disabled)
    _local.capture = capture
    try:
        yield capture
    finally:
        _local.capture = previous


@torch.inference_mode()
def forward(model: OlmoeForCausalLM, input_ids: torch.Tensor, cache=None, last_only: bool = False):
    """One forward pass; returns (logits (batch, tokens, vocab), cache for the next step)."""
    out = model(
        input_ids=input_ids,
        cache=cache,
        use_cache=cache is not None,
        logits_to_keep=1 if last_only else 0,
    )
    return out.logits, out.cache


def new_cache(model: OlmoeForCausalLM):
    from transformers import DynamicCache

    return DynamicCache(config=model.config)


def is_olmoe_config(config) -> bool:
    return getattr(config, "model_type", None) == "olmoe"


def context_length(config) -> int:
    return int(config.max_position_embeddings)


def random_model(
    vocab_size: int = 50304,
    hidden_size: int = 64,
    layers: int = 2,
    experts: int = 8,
    experts_per_token: int = 2,
    intermediate_size: int = 64,
    heads: int = 2,
    context: int = 512,
    seed: int = 0,
    **extra,
) -> OlmoeForCausalLM:
    """A small OLMoE with random weights (seeded), for tests and the untrained fallback."""
    config = OlmoeConfig(
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        num_experts=experts,
        num_experts_per_tok=experts_per_token,
        max_position_embeddings=context,
        pad_token_id=1,
        eos_token_id=50279,
        bos_token_id=None,
        tie_word_embeddings=True,
        **extra,
    )
    torch.manual_seed(seed)
    model = OlmoeForCausalLM(config)
    model.eval()
    return model
