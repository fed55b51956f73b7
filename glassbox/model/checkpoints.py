"""The embedded model's training history: its checkpoints, loss curve and evaluation.

The training recipe writes, beside the final model in `assets/tiny-olmoe/`:
- `checkpoints/<name>/` model folders, each with `glassbox.json` (step, tokens seen, held-out loss);
- `training_log.json`: the loss curve (`{"steps": [...], "train_loss": [...], "heldout": [{"step", "loss"}]}`);
- `eval.json`: what `glassbox eval --json` measured (held-out loss per domain, expert load, per-domain usage).
Everything here only reads those files; missing files give empty results, never errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from glassbox.model import folder as layout
from glassbox.paths import EMBEDDED_MODEL_DIR


@dataclass(frozen=True)
class Checkpoint:
    name: str  # e.g. "step-00100"
    label: str  # e.g. "very early"
    step: int
    tokens_seen: int
    heldout_loss: float | None
    path: str


@dataclass(frozen=True)
class LossCurve:
    steps: tuple[int, ...]
    train_loss: tuple[float, ...]
    heldout_steps: tuple[int, ...]
    heldout_loss: tuple[float, ...]
    # what in the curve is not plain learning: (first step, last step, "warmup" | "restart")
    events: tuple[tuple[int, int, str], ...] = ()


def list_checkpoints(model_dir: Path = EMBEDDED_MODEL_DIR) -> tuple[Checkpoint, ...]:
    """Checkpoints in training order, the final model (the model folder itself) last."""
    found = []
    folders = layout.checkpoint_configs(model_dir)
    if "step" in layout.training_card(model_dir) and (model_dir / "config.json").exists():
        folders.append(model_dir / "config.json")
    for config in folders:
        card = layout.training_card(config.parent)
        found.append(
            Checkpoint(
                name=config.parent.name,
                label=str(card.get("label", config.parent.name)),
                step=int(card.get("step", 0)),
                tokens_seen=int(card.get("tokens_seen", 0)),
                heldout_loss=card.get("heldout_loss"),
                path=str(config.parent),
            )
        )
    found.sort(key=lambda c: c.step)
    return tuple(found)


def loss_curve(model_dir: Path = EMBEDDED_MODEL_DIR) -> LossCurve | None:
    log = layout.training_log(model_dir)
    if log is None:
        return None
    held = log.get("heldout", [])
    events = []
    for stage in log.get("stages") or [{"first_step": 1, "recipe": log.get("recipe") or {}}]:
        first, warmup = int(stage.get("first_step", 1)), int((stage.get("recipe") or {}).get("warmup", 0))
        if first > 1:
            events.append((first, first, "restart"))
        if warmup:
            events.append((first, first + warmup - 1, "warmup"))
    return LossCurve(
        steps=tuple(log.get("steps", [])),
        train_loss=tuple(log.get("train_loss", [])),
        heldout_steps=tuple(h["step"] for h in held),
        heldout_loss=tuple(h["loss"] for h in held),
        events=tuple(events),
    )


def read_eval(model_dir: Path = EMBEDDED_MODEL_DIR) -> dict | None:
    """The saved evaluation: keys `heldout_loss` {domain: nats}, `expert_load` [layer][expert] share,
    `expert_usage_by_domain` {domain: [layer][expert] share}, `memorisation` [...]."""
    return layout.evaluation(model_dir)


@dataclass(frozen=True)
class MemorisationLine:
    """One checkpoint's share of anthology passages recited, rung by rung (from eval.json)."""

    label: str
    step: int
    copies: tuple[int, ...]
    shares: tuple[float, ...]


def memorisation_over_training(model_dir: Path = EMBEDDED_MODEL_DIR) -> tuple[MemorisationLine, ...]:
    """What `glassbox eval --save` measured per checkpoint, in training order; empty when it has not."""
    rows = (read_eval(model_dir) or {}).get("memorisation_by_checkpoint") or ()
    return tuple(
        MemorisationLine(str(r["label"]), int(r["step"]), tuple(int(g["copies"]) for g in r["rungs"]),
                         tuple(float(g["share"]) for g in r["rungs"]))
        for r in rows
    )


def card_markdown(model_dir: Path = EMBEDDED_MODEL_DIR, name: str = layout.MODEL_CARD) -> str | None:
    """A card's Markdown (MODEL_CARD.md or DATA_CARD.md), or None when not shipped yet."""
    return layout.card_markdown(model_dir, name)
