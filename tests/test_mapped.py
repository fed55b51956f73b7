"""One copy of a model's weights per machine (glassbox.model.mapped), on the Tiny OLMoE: a mapped
model computes what a privately read one does, its weights are views of one file that a second
process shares, the copy is made once and made again only for a changed checkpoint."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from glassbox.model import mapped
from glassbox.model.loading import load_model

IDS = torch.tensor([[50279, 510, 2440, 273, 253, 1533, 310, 3542]])


@pytest.fixture
def model_copy(tiny_model_dir, tmp_path, monkeypatch):
    """The Tiny OLMoE's folder copied (its mtime is the test's own), and a data folder of the test's."""
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path / "data"))
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder, ignore=shutil.ignore_patterns("checkpoints"))
    return folder


def logits(lm) -> torch.Tensor:
    with torch.no_grad():
        return lm.model(IDS).logits


def mapped_files(pid: int | str = "self") -> set[str]:
    return {line.split()[-1] for line in Path(f"/proc/{pid}/maps").read_text().splitlines()
            if line.endswith(".safetensors") and "/mapped/" in line}


def test_a_mapped_model_computes_what_a_private_one_does(model_copy):
    private = load_model(model_copy, share=False)
    first = load_model(model_copy, share=True)  # reads privately once, writes the copy, maps it
    copy = mapped.copy_path(model_copy, torch.float32)
    written = copy.stat().st_mtime_ns
    second = load_model(model_copy, share=True)  # maps the copy
    assert torch.equal(logits(private), logits(first))
    assert torch.equal(logits(private), logits(second))
    assert copy.stat().st_mtime_ns == written  # not written again
    # every weight is a view of the one file, which safetensors itself reads back as the model's tensors
    assert str(copy) in mapped_files()
    state = private.model.state_dict()
    with safe_open(str(copy), "pt") as stored:
        assert set(stored.keys()) == set(state)
        for name in ("model.layers.0.mlp.experts.gate_up_proj", "lm_head.weight"):
            assert torch.equal(stored.get_tensor(name), state[name])
    for name, param in second.model.named_parameters():
        assert not param.is_meta and param.untyped_storage().nbytes() == param.numel() * param.element_size(), name
    assert second.model.model.rotary_emb.inv_freq.device.type == "cpu"


def test_a_second_process_shares_the_pages(model_copy):
    lm = load_model(model_copy, share=True)
    logits(lm)  # every page of the copy read by this process
    copy = str(mapped.copy_path(model_copy, torch.float32))
    child = (
        "import sys, torch; from glassbox.model.loading import load_model\n"
        "lm = load_model(sys.argv[1], share=True)\n"
        "with torch.no_grad(): lm.model(torch.tensor([[1, 2, 3]]))\n"
        "shared = private = 0; inside = False\n"
        "for line in open('/proc/self/smaps'):\n"
        "    if line[0] in '0123456789abcdef' and ' ' in line and '-' in line.split()[0]:\n"
        "        inside = line.rstrip().endswith(sys.argv[2])\n"
        "    elif inside and line.startswith('Shared_Clean:'): shared += int(line.split()[1])\n"
        "    elif inside and line.startswith('Private_Dirty:'): private += int(line.split()[1])\n"
        "print(shared, private)\n"
    )
    out = subprocess.run([sys.executable, "-c", child, str(model_copy), copy], capture_output=True, text=True,
                         env=os.environ, timeout=120)
    assert out.returncode == 0, out.stderr
    shared_kb, private_kb = map(int, out.stdout.split())
    size_kb = Path(copy).stat().st_size // 1024
    assert shared_kb > 0.5 * size_kb  # the weights' pages are the ones this process holds too
    assert private_kb < 0.01 * size_kb  # and the child made no copy of its own


def test_a_changed_checkpoint_gets_a_new_copy_and_the_old_one_goes(model_copy):
    load_model(model_copy, share=True)
    old = mapped.copy_path(model_copy, torch.float32)
    weights = model_copy / "model.safetensors"
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))
    load_model(model_copy, share=True)
    new = mapped.copy_path(model_copy, torch.float32)
    assert new != old and new.is_file() and not old.exists()


def test_without_disk_room_each_process_reads_privately(model_copy, monkeypatch):
    full = shutil._ntuple_diskusage(total=10**12, used=10**12, free=1000)
    monkeypatch.setattr(mapped.shutil, "disk_usage", lambda path: full)
    private = load_model(model_copy, share=False)
    lm = load_model(model_copy, share=True)
    assert torch.equal(logits(private), logits(lm))
    assert not list(mapped.mapped_dir().glob("*.safetensors"))


def test_a_checkpoint_stored_in_bf16_converts_as_transformers_reads_it(model_copy):
    from glassbox.model.loading import save_model

    fresh = load_model(model_copy, share=False)  # saved in the published layout, experts apart
    bf16 = save_model(fresh.model.to(torch.bfloat16), fresh.tokenizer, model_copy.parent / "bf16")
    assert torch.equal(logits(load_model(bf16, share=False)), logits(load_model(bf16, share=True)))


def test_a_checkpoint_it_cannot_convert_is_read_once_and_still_shared(model_copy, monkeypatch):
    def cannot(*args):
        raise KeyError("a layout this module does not know")

    monkeypatch.setattr(mapped, "convert_copy", cannot)
    private = load_model(model_copy, share=False)
    lm = load_model(model_copy, share=True)
    assert torch.equal(logits(private), logits(lm))
    assert str(mapped.copy_path(model_copy, torch.float32)) in mapped_files()


def test_glassbox_map_writes_the_copy_ahead(model_copy, capsys):

    from glassbox.cli import main

    capsys.readouterr()
    assert main(["map", "--model", str(model_copy), "--json"]) == 0
    said = json.loads(capsys.readouterr().out)
    assert said["shared"] and Path(said["copy"]).is_file()
    assert main(["map", "--model", "allenai/OLMoE-1B-7B-0125"]) == 2  # only a folder is mapped
    assert "only a model folder" in capsys.readouterr().err


def test_a_workshop_maps_the_big_models_it_may_load(model_copy, tmp_path):
    from glassbox.workshop.serve import big_folders

    big = tmp_path / "full"
    big.mkdir()
    shape = {"hidden_size": 2048, "num_hidden_layers": 16, "vocab_size": 50304, "num_attention_heads": 16,
             "num_experts": 64, "intermediate_size": 1024}
    (big / "config.json").write_text(json.dumps(shape))
    env = {"GLASSBOX_MODEL": str(model_copy), "GLASSBOX_MODELS": f"Full={big}\nHub=allenai/OLMoE-1B-7B-0125"}
    assert big_folders(env) == [str(big)]  # the small default and a hub id are not mapped
