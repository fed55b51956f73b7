"""What a learner is told about a model, and how to read it from a model folder without
loading the model (no torch): config.json, the training card and the safetensors headers.

The site uses `describe` to show the model on pages that never run it, so the first page
appears before torch has even been imported.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from safetensors import SafetensorError, safe_open

from glassbox.model.folder import training_card


@dataclass(frozen=True)
class ModelInfo:
    """What a learner is told about a model."""

    name: str
    source: str
    layers: int
    experts: int
    experts_per_token: int
    vocab_size: int  # the tokenizer's tokens (the output layer may have more rows: padding, no token)
    context: int
    hidden_size: int
    parameters: int
    norm_topk_prob: bool
    trained: bool
    device: str

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "layers": self.layers,
            "experts": self.experts,
            "experts_per_token": self.experts_per_token,
            "vocab_size": self.vocab_size,
            "context": self.context,
            "parameters": self.parameters,
            "trained": self.trained,
            "device": self.device,
        }


def count_parameters(folder: Path) -> int:
    """Parameters stored in a folder's .safetensors files, from their headers alone (no torch)."""
    total = 0
    for file in sorted(Path(folder).glob("*.safetensors")):
        with safe_open(file, framework="numpy") as weights:
            total += sum(math.prod(weights.get_slice(name).get_shape()) for name in weights.keys())
    return total


def tokenizer_size(folder: Path, rows: int) -> int:
    """How many tokens the folder's tokenizer has (at most the output layer's `rows`); `rows`
    when it has no readable tokenizer.json."""
    try:
        from tokenizers import Tokenizer

        return min(rows, Tokenizer.from_file(str(folder / "tokenizer.json")).get_vocab_size(with_added_tokens=True))
    except Exception:  # noqa: BLE001 - no tokenizer to read: the rows are all that is known
        return rows


def describe(source: str | Path) -> ModelInfo | None:
    """A folder's ModelInfo without loading it; None when it is not a readable OLMoE folder
    (the loader then says exactly what is wrong)."""
    try:
        folder = Path(source).expanduser()  # RuntimeError for "~someone" with no such user
        config = json.loads((folder / "config.json").read_text())
        if config.get("model_type") != "olmoe":
            return None
        card = training_card(folder)
        return ModelInfo(
            name=card.get("name") or folder.name,
            source=str(source),
            layers=int(config["num_hidden_layers"]),
            experts=int(config["num_experts"]),
            experts_per_token=int(config["num_experts_per_tok"]),
            vocab_size=tokenizer_size(folder, int(config["vocab_size"])),
            context=int(config["max_position_embeddings"]),
            hidden_size=int(config["hidden_size"]),
            parameters=count_parameters(folder),
            norm_topk_prob=bool(config.get("norm_topk_prob", False)),
            trained=bool(card.get("trained", True)),
            device="not loaded",
        )
    except (OSError, RuntimeError, ValueError, KeyError, TypeError, AttributeError, SafetensorError):
        return None  # AttributeError: a config.json that is JSON but not an object
