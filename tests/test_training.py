"""The training recipe: the quick preset lowers the loss, is deterministic, and its
checkpoints open with the core loader."""

from __future__ import annotations

import json

import pytest

from glassbox.model import load_model
from glassbox.training import PRESETS, lr_at, train

# Text written for this test: three clearly different registers.
REGISTERS = {
    "speeches": "The state of our union is strong, and the Congress will work with the people for a better year. ",
    "plays": "Good night, sweet friend; the moon is low and the king sleeps in his tower. ",
    "scripture": "And the light shone upon the waters, and the people gave thanks at the evening. ",
}


@pytest.fixture(scope="module")
def fixture_corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("train-corpus")
    rows = []
    for domain, sentence in REGISTERS.items():
        for i in range(8):
            rows.append({
                "id": f"{domain}-{i}", "source": "test", "domain": domain, "title": f"{domain} {i}",
                "license": "CC0-1.0", "split": "heldout" if i == 0 else "train", "text": sentence * (20 + i),
            })
    path = folder / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def quick_run(fixture_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("quick-olmoe")
    log = train(fixture_corpus, out, PRESETS["quick"], preset="quick", progress=False)
    return out, log


def test_quick_preset_lowers_loss(quick_run):
    _, log = quick_run
    assert log["train_loss"][0] > 9.0  # about ln(50304) at the start
    assert sum(log["train_loss"][-5:]) / 5 < log["train_loss"][0] - 3.0
    first, last = log["heldout"][0], log["heldout"][-1]
    assert last["loss"] < first["loss"]
    assert set(last["domains"]) == {"speeches", "plays", "scripture", "overall"}


def test_checkpoints_open_with_the_core_loader(quick_run):
    out, log = quick_run
    folders = sorted((out / "checkpoints").iterdir()) + [out]
    assert len(folders) >= 4  # very early, early, middle, final
    steps = []
    for folder in folders:
        lm = load_model(folder)
        card = json.loads((folder / "glassbox.json").read_text())
        assert lm.info.trained and card["tokens_seen"] == card["step"] * 8 * 32
        assert card["heldout_loss"] > 0
        assert lm.info.layers >= 4 and lm.info.experts >= 8 and lm.info.experts_per_token >= 2
        assert lm.tokenizer.eos_token_id == 50279
        steps.append(card["step"])
    assert steps == sorted(steps) and steps[-1] == PRESETS["quick"].steps
    assert [c["step"] for c in log["checkpoints"]] == steps


def test_training_is_deterministic(fixture_corpus, quick_run, tmp_path):
    _, log = quick_run
    again = train(fixture_corpus, tmp_path / "again", PRESETS["quick"], preset="quick", progress=False)
    assert again["train_loss"] == log["train_loss"]


def test_learning_rate_schedule():
    recipe = PRESETS["full"]
    assert lr_at(0, recipe) < lr_at(recipe.warmup - 1, recipe) == pytest.approx(recipe.lr)
    assert lr_at(recipe.steps, recipe) == pytest.approx(recipe.lr * recipe.min_lr_ratio)
