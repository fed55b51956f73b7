"""The shipped Tiny OLMoE: loads offline with its tokenizer, writes text, and carries its
checkpoints, training log, evaluation and cards."""

from __future__ import annotations

import json

import pytest

from glassbox import paths
from glassbox.model.checkpoints import card_markdown, list_checkpoints, loss_curve, read_eval
from glassbox.model.generation import generate
from glassbox.model.loading import load_model
from glassbox.model.sampling import Settings

MODEL = paths.EMBEDDED_MODEL_DIR


@pytest.fixture(scope="module")
def embedded():
    return load_model(MODEL, device="cpu")


def test_shipped_model_loads_with_its_tokenizer(embedded):
    from transformers import AutoTokenizer

    info = embedded.info
    assert info.trained and info.layers >= 4 and info.experts >= 8 and info.experts_per_token >= 2
    tok = AutoTokenizer.from_pretrained(str(MODEL))
    assert len(tok) == 50280 and tok.eos_token_id == 50279 and tok.pad_token_id == 1
    assert paths.default_model_source() == str(MODEL) or "GLASSBOX_MODEL" in __import__("os").environ


def test_shipped_model_writes_english(embedded):
    g = generate(embedded, "The Congress of the United States", max_new_tokens=16,
                 settings=Settings(temperature=0), seed=0)
    words = g.completion.split()
    assert len(words) >= 5
    assert sum(w.strip(".,;:!?\"'").isalpha() for w in words) >= len(words) // 2


def test_sizes_and_checkpoints():
    final_mb = sum(f.stat().st_size for f in MODEL.glob("*.safetensors")) / 2**20
    all_mb = sum(f.stat().st_size for f in MODEL.rglob("*.safetensors")) / 2**20
    assert final_mb <= 60 and all_mb <= 150
    checkpoints = list_checkpoints()
    assert len(checkpoints) >= 4 and checkpoints[-1].label == "final"
    assert [c.step for c in checkpoints] == sorted(c.step for c in checkpoints)
    for c in checkpoints:
        assert load_model(c.path).info.trained and c.tokens_seen > 0 and c.heldout_loss
    assert checkpoints[0].heldout_loss > checkpoints[-1].heldout_loss


def test_log_eval_and_cards_are_shipped():
    curve = loss_curve()
    assert curve and len(curve.steps) == len(curve.train_loss) and curve.heldout_loss
    ev = read_eval()
    assert ev and "overall" in ev["heldout_loss"] and len(ev["expert_load"]) >= 4
    assert ev["expert_usage_by_domain"] and len(ev["memorisation"]) >= 1
    model_card, data_card = card_markdown(), card_markdown(name="DATA_CARD.md")
    assert model_card and f"{ev['heldout_loss']['overall']:.3f}" in model_card
    assert data_card and "speeches" in data_card
    card = json.loads((MODEL / "glassbox.json").read_text())
    assert card["label"] == "final" and card["trained"]
