"""Training in stages: a second recipe that goes on from the finished model of a first one.

A finished run leaves its final model and `training_log.json` in its folder. A continuing
recipe (`Recipe.continues` names the preset it follows) starts from those weights with a fresh
optimizer and its own learning-rate schedule, counts steps and tokens on from where the first
stage ended, and keeps the first stage's final model as a checkpoint. The merged log tells both
stages apart, so the cards can say how the shipped model was made.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from glassbox.checkpoints import CARD_FILE

PREVIOUS_FINAL_LABEL = "late"


def _as_late(card: dict) -> dict:
    """A final model's card, relabelled as the checkpoint it becomes when a next stage starts."""
    return {**card, "label": PREVIOUS_FINAL_LABEL, "name": f"Tiny OLMoE ({PREVIOUS_FINAL_LABEL})"}


def take_over(out_dir: Path, model: torch.nn.Module) -> dict:
    """Load the finished model in out_dir into `model`; keep it as a checkpoint; return its log."""
    from transformers import OlmoeForCausalLM

    log_file = out_dir / "training_log.json"
    if not log_file.exists() or not (out_dir / "model.safetensors").exists():
        raise FileNotFoundError(f"{out_dir} holds no finished run to continue (run the first stage first)")
    prior = json.loads(log_file.read_text())
    finished = OlmoeForCausalLM.from_pretrained(out_dir, dtype=torch.float32, use_safetensors=True)
    try:
        model.load_state_dict(finished.state_dict())
    except RuntimeError as err:
        raise ValueError(f"{out_dir} holds a model of another shape than this recipe's") from err
    card = json.loads((out_dir / CARD_FILE).read_text())
    keep = out_dir / "checkpoints" / f"step-{card['step']:05d}"
    if not keep.exists():
        keep.mkdir(parents=True)
        records = ("training_log.json", "eval.json", "resume.pt")
        for f in out_dir.iterdir():
            if f.is_file() and f.name not in records and not f.name.endswith(".md"):
                shutil.copy2(f, keep / f.name)
        (keep / CARD_FILE).write_text(json.dumps(_as_late(card), indent=2) + "\n")
    return prior


def first_step(prior: dict | None) -> int:
    """Global step count before this stage (0 for a first stage)."""
    return int(prior["steps"][-1]) if prior and prior.get("steps") else 0


def stage_summary(seconds: float, recipe: dict, preset: str, first: int, last: int) -> dict:
    """What one stage was: its preset and recipe, its global steps, time and tokens."""
    return {"preset": preset, "first_step": first, "last_step": last, "seconds": seconds,
            "tokens": (last - first + 1) * recipe["batch_size"] * recipe["seq_len"], "recipe": recipe}


def merge(prior: dict, log: dict) -> dict:
    """One log for both stages: curves and checkpoints joined, times and tokens added up."""
    earlier = prior.get("stages") or [
        stage_summary(prior["seconds"], prior["recipe"], prior.get("preset", "full"), 1, first_step(prior))]
    relabelled = [_as_late(c) if c["label"] == "final" else c for c in prior["checkpoints"]]
    merged = {
        **log,
        "steps": prior["steps"] + log["steps"],
        "train_loss": prior["train_loss"] + log["train_loss"],
        "aux_loss": prior.get("aux_loss", []) + log["aux_loss"],
        "heldout": prior["heldout"] + log["heldout"],
        "checkpoints": relabelled + log["checkpoints"],
        "seconds": round(prior["seconds"] + log["seconds"], 1),
        "tokens_seen": prior["tokens_seen"] + log["tokens_seen"],
    }
    merged["stages"] = earlier + [
        stage_summary(log["seconds"], log["recipe"], log["preset"], first_step(prior) + 1, log["steps"][-1])]
    return merged
