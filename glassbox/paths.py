"""Where things live: the shipped assets, the data folder (corpus, index), the default model.

The data folder holds what is built on the user's machine and never committed. It is
`$GLASSBOX_DATA` when set, else `data/` beside the package in a source checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = PROJECT_ROOT / "assets"
TOKENIZER_DIR = ASSETS_DIR / "tokenizer"
EMBEDDED_MODEL_DIR = ASSETS_DIR / "tiny-olmoe"
CHECKPOINTS_DIR = EMBEDDED_MODEL_DIR / "checkpoints"


def data_dir() -> Path:
    """The folder for built data (corpus, index, fallback model); created on demand."""
    return Path(os.environ.get("GLASSBOX_DATA") or PROJECT_ROOT / "data").expanduser()


def corpus_path() -> Path:
    """The corpus JSONL the embedded model was trained on."""
    return data_dir() / "corpus" / "corpus.jsonl"


def index_dir() -> Path:
    """The infini-gram index folder (its name avoids the words the engine looks for)."""
    return data_dir() / "ngram"


def fallback_model_dir() -> Path:
    """Where an untrained stand-in model is built when no trained model ships."""
    return data_dir() / "untrained-olmoe"


def default_model_source() -> str:
    """The model the site and CLI open when none is named."""
    env = os.environ.get("GLASSBOX_MODEL")
    if env:
        return env
    if (EMBEDDED_MODEL_DIR / "config.json").exists():
        return str(EMBEDDED_MODEL_DIR)
    return str(fallback_model_dir())
