"""Shared fixtures: a small random OLMoE with the real tokenizer, built in a temporary folder."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no test may reach for a hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A folder holding a seeded random OlmoeForCausalLM (2 layers, 8 experts, top-2)."""
    from glassbox import olmoe
    from glassbox.model import save_model
    from glassbox.tokenizer import load_tokenizer

    folder = tmp_path_factory.mktemp("tiny-olmoe")
    model = olmoe.random_model(hidden_size=64, layers=2, experts=8, experts_per_token=2, context=256, seed=1)
    save_model(model, load_tokenizer(), folder, card={"name": "test-olmoe", "trained": False})
    return folder


@pytest.fixture(scope="session")
def tiny_lm(tiny_model_dir):
    """The tiny model loaded through the one loader (shared, read-only)."""
    from glassbox.model import load_model

    return load_model(tiny_model_dir, device="cpu")
