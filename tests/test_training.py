"""The training recipe: the quick preset lowers the loss, is deterministic, and its
checkpoints open with the core loader."""

from __future__ import annotations

import json

import pytest
import torch

from glassbox.model.loading import load_model
from glassbox.training import recipe as training
from glassbox.training.recipe import PRESETS, layer_balance_loss, lr_at, train

# Text written for this test: three clearly different registers.
REGISTERS = {
    "speeches": "The state of our union is strong, and the Congress will work with the people for a better year. ",
    "plays": "Good night, sweet friend; the moon is low and the king sleeps in his tower. ",
    "scripture": "In the beginning God created the heaven and the earth, and the people gave thanks. ",
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
    domains = {d: {"documents": 8, "train": 7, "heldout": 1, "characters": 1000} for d in REGISTERS}
    manifest = {"sha256": "0" * 64, "documents": len(rows), "characters": 3000, "bytes": 3000,
                "domains": domains, "sources": [{"package": "test", "version": "1", "license": "CC0-1.0",
                                                 "domain": "all", "method": "written in the test"}]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
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
        assert card["heldout_loss"] > 0 and card["training_data"] == "local"  # traced in the local index
        assert lm.info.layers >= 4 and lm.info.experts >= 8 and lm.info.experts_per_token >= 2
        assert lm.tokenizer.eos_token_id == 50279
        steps.append(card["step"])
    assert steps == sorted(steps) and steps[-1] == PRESETS["quick"].steps
    assert [c["step"] for c in log["checkpoints"]] == steps


def test_training_is_deterministic(fixture_corpus, quick_run, tmp_path):
    _, log = quick_run
    again = train(fixture_corpus, tmp_path / "again", PRESETS["quick"], preset="quick", progress=False)
    assert again["train_loss"] == log["train_loss"]


class Interrupted(Exception):
    pass


def test_an_interrupted_run_resumes_with_the_same_numbers(fixture_corpus, quick_run, tmp_path, monkeypatch):
    _, log = quick_run
    real_save = training._save_state

    def save_then_stop(path, step, *args):
        real_save(path, step, *args)
        if step == 40:
            raise Interrupted

    monkeypatch.setattr(training, "_save_state", save_then_stop)
    out = tmp_path / "resumed"
    with pytest.raises(Interrupted):
        train(fixture_corpus, out, PRESETS["quick"], preset="quick", progress=False)
    assert (out / "resume.pt").exists()
    monkeypatch.setattr(training, "_save_state", real_save)
    resumed = train(fixture_corpus, out, PRESETS["quick"], preset="quick", progress=False, resume=True)
    assert resumed["train_loss"] == log["train_loss"]
    assert [c["step"] for c in resumed["checkpoints"]] == [c["step"] for c in log["checkpoints"]]
    assert not (out / "resume.pt").exists()


def test_a_saved_state_from_another_recipe_is_refused(fixture_corpus, tmp_path):
    from dataclasses import replace

    out = tmp_path / "other"
    other = replace(PRESETS["quick"], steps=20, eval_every=10)
    training._save_state(out / "resume.pt", 10, other, training.build_model(other),
                         torch.optim.AdamW(training.build_model(other).parameters()),
                         __import__("numpy").random.default_rng(0), {})
    with pytest.raises(ValueError, match="another recipe"):
        train(fixture_corpus, out, PRESETS["quick"], preset="quick", progress=False, resume=True)


def test_balance_loss_is_one_when_balanced_and_grows_per_layer():
    experts = 8
    # Balanced: each token's top-2 cycles through all experts evenly, equal mean probabilities.
    even = torch.zeros(16, experts)
    for t in range(16):
        even[t, (2 * t) % experts] = even[t, (2 * t + 1) % experts] = 1.0
    assert abs(layer_balance_loss((even,), 2).item() - 1.0) < 1e-5
    # One layer balanced, one layer collapsed onto two experts: the loss grows even though the two
    # layers together would use all experts.
    collapsed = torch.zeros(16, experts)
    collapsed[:, :2] = 5.0
    assert layer_balance_loss((even, collapsed), 2).item() > 1.5


def test_learning_rate_schedule():
    recipe = PRESETS["full"]
    assert lr_at(0, recipe) < lr_at(recipe.warmup - 1, recipe) == pytest.approx(recipe.lr)
    assert lr_at(recipe.steps, recipe) == pytest.approx(recipe.lr * recipe.min_lr_ratio)


def test_evaluation_and_cards(quick_run, fixture_corpus):
    from glassbox.training.cards import write_cards
    from glassbox.training.evaluate import evaluate

    out, log = quick_run
    lm = load_model(out)
    ev = evaluate(lm, fixture_corpus, seq_len=32, windows_per_domain=4)
    assert set(ev.heldout_loss) == {"speeches", "plays", "scripture", "overall"}
    assert ev.heldout_loss["overall"] == pytest.approx(sum(ev.heldout_loss[d] for d in REGISTERS) / 3, abs=1e-3)
    assert len(ev.expert_load) == lm.info.layers
    for row in ev.expert_load:
        assert len(row) == lm.info.experts and sum(row) == pytest.approx(1.0, abs=1e-3)
    assert set(ev.expert_usage_by_domain) == set(REGISTERS)
    genesis = [p for p in ev.memorisation if p.name == "Genesis"]
    assert genesis and genesis[0].doc_id.startswith("scripture") and genesis[0].expected
    assert ev.memorised == sum(p.reproduced for p in ev.memorisation)
    (out / "eval.json").write_text(json.dumps(ev.to_json()))
    model_md, data_md = write_cards(out, fixture_corpus.with_name("manifest.json"))
    card = model_md.read_text()
    assert f"{ev.heldout_loss['overall']:.3f}" in card and "Memorisation probe" in card
    assert str(log["checkpoints"][0]["step"]) in card
    assert "scripture" in data_md.read_text() and "CC0-1.0" in data_md.read_text()


def test_the_cli_names_every_preset():
    from glassbox.cli.training import PRESET_NAMES

    assert set(PRESET_NAMES) == set(PRESETS)


def test_the_full_recipe_is_one_run_with_log_spaced_checkpoints():
    recipe = PRESETS["full"]
    assert recipe.steps * recipe.batch_size * recipe.seq_len >= 20_000_000
    steps = [round(share * recipe.steps) for _, share in recipe.checkpoints]
    assert len(steps) + 1 >= 6 and steps == sorted(steps)
    ratios = [b / a for a, b in zip([*steps, recipe.steps], [*steps, recipe.steps][1:], strict=False)]
    assert all(r >= 2 for r in ratios) and steps[0] <= recipe.steps / 100  # spread over decades


def test_a_saved_model_records_the_run_and_its_document_start(quick_run):
    out, _ = quick_run
    config = json.loads((out / "config.json").read_text())
    assert config["router_aux_loss_coef"] == PRESETS["quick"].router_aux_loss_coef
    assert json.loads((out / "glassbox.json").read_text())["document_start"] == "<|endoftext|>"
