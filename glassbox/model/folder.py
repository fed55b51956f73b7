"""The model folder's layout: the one module that knows its file names, as `glassbox.index.build`
knows the index's.

A model folder is a Hugging Face folder (config.json, safetensors, tokenizer) plus what the
training recipe and `glassbox eval --save` write beside it:
- `glassbox.json`: the training card (trained, step, tokens seen, held-out loss, document start,
  and where its training data can be searched: `training_data`, read by `glassbox.index.sources`);
- `training_log.json`: the loss curve and the recipe;
- `eval.json`: what `glassbox eval` measured;
- `MODEL_CARD.md`, `DATA_CARD.md`: the cards written from those two;
- `checkpoints/step-NNNNN/`: earlier model folders of the same run;
- `resume.pt`: the state of an unfinished run (never shipped).
Readers return an empty result for a missing or unreadable file, never an error.
"""

from __future__ import annotations

import json
from pathlib import Path

CARD_FILE = "glassbox.json"
LOG_FILE = "training_log.json"
EVAL_FILE = "eval.json"
MODEL_CARD = "MODEL_CARD.md"
DATA_CARD = "DATA_CARD.md"
CHECKPOINTS_DIR = "checkpoints"
RESUME_FILE = "resume.pt"


def checkpoint_dir(model_dir: Path, step: int) -> Path:
    """Where the run in `model_dir` keeps its checkpoint of `step`."""
    return Path(model_dir) / CHECKPOINTS_DIR / f"step-{step:05d}"


def checkpoint_configs(model_dir: Path) -> list[Path]:
    """The config.json of every checkpoint folder, sorted by name."""
    return sorted((Path(model_dir) / CHECKPOINTS_DIR).glob("*/config.json"))


def _json(path: Path) -> dict | None:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def training_card(folder: Path) -> dict:
    """The training card (`glassbox.json`); {} when there is none (e.g. a model from elsewhere)."""
    return _json(Path(folder) / CARD_FILE) or {}


def write_training_card(folder: Path, card: dict) -> None:
    (Path(folder) / CARD_FILE).write_text(json.dumps(card, indent=2) + "\n")


def training_log(folder: Path) -> dict | None:
    """The training log, or None."""
    return _json(Path(folder) / LOG_FILE)


def write_training_log(folder: Path, log: dict) -> None:
    (Path(folder) / LOG_FILE).write_text(json.dumps(log) + "\n")


def evaluation(folder: Path) -> dict | None:
    """The saved evaluation (`eval.json`), or None."""
    return _json(Path(folder) / EVAL_FILE)


def write_evaluation(folder: Path, data: dict) -> None:
    (Path(folder) / EVAL_FILE).write_text(json.dumps(data, indent=1) + "\n")


def card_markdown(folder: Path, name: str = MODEL_CARD) -> str | None:
    """A card's Markdown (MODEL_CARD.md or DATA_CARD.md), or None when not written yet."""
    try:
        return (Path(folder) / name).read_text(encoding="utf-8")
    except OSError:
        return None
