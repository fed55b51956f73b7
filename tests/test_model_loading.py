"""The one loader: opens OLMoE folders, refuses everything else with a clear message."""

from __future__ import annotations

import json

import pytest

from glassbox.errors import GlassboxError
from glassbox.model.loading import load_model


def test_opens_an_olmoe_folder(tiny_lm, tiny_model_dir):
    info = tiny_lm.info
    assert (info.layers, info.experts, info.experts_per_token) == (2, 8, 2)
    assert info.vocab_size == 50280 and info.trained is False and info.name == "test-olmoe"
    assert tiny_lm.tokenizer.eos_token_id == 50279 and tiny_lm.tokenizer.pad_token_id == 1
    assert str(tiny_lm.device) == "cpu"


def test_missing_folder(tmp_path):
    with pytest.raises(GlassboxError) as err:
        load_model(tmp_path / "nowhere" / "model")
    assert err.value.code == "model_folder_missing"
    assert "nowhere" in err.value.message("en") and "없어요" in err.value.message("ko")


def test_folder_without_config(tmp_path):
    with pytest.raises(GlassboxError) as err:
        load_model(tmp_path)
    assert err.value.code == "model_unreadable"


def test_folder_without_safetensors(tmp_path, tiny_model_dir):
    (tmp_path / "config.json").write_text((tiny_model_dir / "config.json").read_text())
    (tmp_path / "pytorch_model.bin").write_bytes(b"not loaded: pickles are refused")
    with pytest.raises(GlassboxError) as err:
        load_model(tmp_path)
    assert err.value.code == "model_no_safetensors"


def test_not_an_olmoe(tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2)
    LlamaForCausalLM(config).save_pretrained(tmp_path / "llama")
    with pytest.raises(GlassboxError) as err:
        load_model(tmp_path / "llama")
    assert err.value.code == "model_not_olmoe"
    assert "llama" in err.value.message("en")


def test_corrupt_weights(tmp_path, tiny_model_dir):
    folder = tmp_path / "corrupt"
    folder.mkdir()
    for f in tiny_model_dir.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    weights = next(folder.glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(GlassboxError) as err:
        load_model(folder)
    assert err.value.code == "model_unreadable"


def test_hub_id_that_cannot_be_downloaded(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(GlassboxError) as err:
        load_model("allenai/OLMoE-1B-7B-0125-Instruct")
    assert err.value.code == "model_download_failed"


def test_card_marks_trained_models(tmp_path, tiny_model_dir):
    folder = tmp_path / "trained"
    folder.mkdir()
    for f in tiny_model_dir.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "glassbox.json").write_text(json.dumps({"name": "Tiny", "trained": True}))
    assert load_model(folder).info.trained is True


def test_a_model_that_does_not_fit_in_free_memory_is_refused_before_reading(monkeypatch, tiny_model_dir, tiny_lm):
    """The weights' size (float32 for a small model on CPU) against the memory still free: refused
    with both sizes in the learner's language, and the weights never read."""
    from glassbox import memory

    need = tiny_lm.info.parameters * 4
    read = []
    import transformers

    monkeypatch.setattr(transformers.OlmoeForCausalLM, "from_pretrained",
                        classmethod(lambda cls, *a, **k: read.append(a) or pytest.fail("the weights were read")))
    monkeypatch.setattr(memory, "available_bytes", lambda: int(need / 0.9) - 1)  # just too little
    with pytest.raises(GlassboxError) as refused:
        load_model(tiny_model_dir, device="cpu")
    assert refused.value.code == "model_too_big" and not read
    english, korean = refused.value.message("en"), refused.value.message("ko")
    assert f"{need / 1e9:.1f} GB" in english and f"{need / 1e9:.1f}GB" in korean
    monkeypatch.undo()
    monkeypatch.setattr(memory, "available_bytes", lambda: None)  # a system that does not say: nothing refused
    assert load_model(tiny_model_dir, device="cpu").info.parameters == tiny_lm.info.parameters
