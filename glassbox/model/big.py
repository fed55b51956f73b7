"""At most one big model per server process.

A model counts as big from `BIG_PARAMETERS` parameters (50 million: 200 MB in float32, five times
the Tiny OLMoE; the full-size OLMoE has 6.9 billion). Its size is worked out from its config.json
(`config_parameters`), without loading it: a folder's own, or a hub id's copy in the local hub
cache. A hub id whose config is not on this machine counts as big (its size is unknown until it is
downloaded); a folder without a readable config counts as small, since the loader refuses it before
it reads any weights.

The choice: small models stay in the site's ordinary cache (several at once: the checkpoints, the
default model), while big ones share one slot (`OneBig`). A big model asked for while another is
held replaces it: the held one is let go, and memory handed back, before the new one is read, so
two are never loaded side by side (a page run still using the old one keeps it until that run ends).
The slot is not shared with the default model when the default is itself big (`GLASSBOX_MODEL` on a
GPU host): everyone uses that one, so it stays, and another big model is refused with a message
(`model_one_big`) instead of pushing it out. Two learners on two different big models take turns:
each load pushes the other out, so a host lists at most one big model besides the default.

A big model in a folder is loaded with its weights mapped from one copy every process on the
machine shares (`glassbox.model.mapped`). Leaves out: a model server shared by several processes
on a GPU (docs/workshop-at-scale.md), and memory limits measured in bytes rather than a parameter
count.
"""

from __future__ import annotations

import functools
import gc
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from glassbox import memory
from glassbox.errors import GlassboxError
from glassbox.model.allowed import HUB_ID

BIG_PARAMETERS = 50_000_000


def config_parameters(config: dict) -> int:
    """An OLMoE's parameter count from its config (embeddings, attention with its q/k norms, the
    router, the experts, the norms and an untied output layer)."""
    hidden, layers, vocab = int(config["hidden_size"]), int(config["num_hidden_layers"]), int(config["vocab_size"])
    heads = int(config["num_attention_heads"])
    kv_heads = int(config.get("num_key_value_heads") or heads)
    head_dim = int(config.get("head_dim") or hidden // heads)
    experts, inner = int(config["num_experts"]), int(config["intermediate_size"])
    attention = 2 * hidden * heads * head_dim + 2 * hidden * kv_heads * head_dim + hidden + kv_heads * head_dim
    if config.get("attention_bias"):
        attention += heads * head_dim + 2 * kv_heads * head_dim + hidden
    per_layer = attention + hidden * experts + experts * 3 * hidden * inner + 2 * hidden
    embeddings = vocab * hidden * (1 if config.get("tie_word_embeddings") else 2)
    return embeddings + layers * per_layer + hidden


@functools.lru_cache(maxsize=256)
def source_parameters(source: str) -> int | None:
    """Parameters of the model at `source`, from its config.json alone: 0 for a folder the loader
    will refuse (no readable config), None for a hub id whose config is not cached here."""
    try:
        folder = Path(source).expanduser()
        config_file = folder / "config.json" if folder.is_dir() else None
    except (OSError, RuntimeError):
        config_file = None
    if config_file is None and HUB_ID.match(source) and not Path(source).exists():
        config_file = _cached_hub_config(source)
        if config_file is None:
            return None
    try:
        return config_parameters(json.loads(Path(config_file).read_text(encoding="utf-8")))
    except (OSError, TypeError, ValueError, KeyError, AttributeError, ZeroDivisionError):
        return 0


def _cached_hub_config(hub_id: str) -> Path | None:
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(hub_id, "config.json")
    except Exception:  # noqa: BLE001 - no hub client, or a malformed id: nothing is known
        return None
    return Path(found) if isinstance(found, str) else None


def is_big(source: str, limit: int | None = None) -> bool:
    """Whether `source` counts as big (its size unknown counts as big)."""
    count = source_parameters(str(source))
    return count is None or count >= (BIG_PARAMETERS if limit is None else limit)


class OneBig:
    """The one slot for a big model in this process. Thread-safe: one load at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._source: str | None = None
        self._model: Any = None
        self._kept = False  # the held model is the default: it is never pushed out

    @property
    def held(self) -> str | None:
        return self._source

    def get(self, source: str, load: Callable[[], Any], keep: bool = False) -> Any:
        """The model for `source`: the held one, or `load()` after letting the held one go. `keep`
        marks the default model, which stays; while it is held, another big model is refused."""
        with self._lock:
            if self._source == source:
                self._kept = self._kept or keep
                return self._model
            if self._kept and not keep:
                raise GlassboxError("model_one_big")
            self.drop()
            model = load()
            self._source, self._model, self._kept = source, model, keep
            return model

    def drop(self) -> None:
        """Let the held model go and hand its memory back (the caller holds the lock, or no one runs)."""
        if self._source is None:
            return
        self._source, self._model, self._kept = None, None, False
        gc.collect()  # a model's modules refer to each other: free it now, not at some later collection
        memory.release()
        torch = sys.modules.get("torch")  # loaded with any model; a GPU's cache is its own
        if torch is not None and torch.cuda.is_available():
            torch.cuda.empty_cache()
