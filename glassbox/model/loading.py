"""One loader for any OLMoE in Hugging Face format: a local folder or a hub id.

safetensors only, no remote code; CPU by default, CUDA when present. A big model in a folder, on
the CPU, is mapped from the machine's one copy of its weights (`glassbox.model.mapped`). Failures become
`GlassboxError`s with a message a learner can act on. The returned `LoadedModel` is shared
read-only by every session; inspection and generation never mutate it.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from glassbox.errors import GlassboxError
from glassbox.model import big as big_model
from glassbox.model import olmoe
from glassbox.model.allowed import HUB_ID
from glassbox.model.folder import training_card, write_training_card
from glassbox.model.info import ModelInfo
from glassbox.tokens import TokenBytes

__all__ = ["LoadedModel", "ModelInfo", "load_model", "save_model"]


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A model, its tokenizer and what is known about it. Shared: never mutated."""

    model: torch.nn.Module
    tokenizer: object
    token_bytes: TokenBytes
    info: ModelInfo
    # token ids read before a learner's text, as training read a document start (see document_start)
    document_start: tuple[int, ...] = ()

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device


def pick_device(prefer: str | None = None) -> torch.device:
    if prefer:
        return torch.device(prefer)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_model(source: str | Path, device: str | None = None, share: bool | None = None) -> LoadedModel:
    """Open an OLMoE from a folder or hub id. Raises GlassboxError with a clear message.

    `share`: map the weights from one file every process on the machine shares
    (`glassbox.model.mapped`); by default for a big model (`glassbox.model.big`) in a folder, on CPU."""
    from transformers import AutoConfig, AutoTokenizer, OlmoeForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    source = str(source)
    try:
        path = Path(source).expanduser()
        is_folder = path.exists()
    except (OSError, RuntimeError):  # a name too long for any folder, "~someone" with no such user
        path, is_folder = Path(source), False
    if not is_folder and not HUB_ID.match(source):
        shown = source if len(source) <= 200 else source[:200] + "…"
        raise GlassboxError("model_folder_missing", path=shown)
    if is_folder:
        if not path.is_dir() or not (path / "config.json").exists():
            raise GlassboxError("model_unreadable", source=source, detail="no config.json in the folder")
        if not list(path.glob("*.safetensors")):
            raise GlassboxError("model_no_safetensors", source=source)
        where = str(path)
    else:
        where = source
    try:
        config = AutoConfig.from_pretrained(where, trust_remote_code=False)
    except Exception as err:  # noqa: BLE001 - unreadable, or fields of the wrong type (a validation error)
        if is_folder:
            raise GlassboxError("model_unreadable", source=source, detail=_short(err)) from err
        raise GlassboxError("model_download_failed", source=source) from err
    if not olmoe.is_olmoe_config(config):
        raise GlassboxError("model_not_olmoe", source=source, model_type=getattr(config, "model_type", "?"))
    dev = pick_device(device)
    # Small models run in float32 on CPU (bf16 matmuls are slow there); big ones keep bf16.
    big = config.hidden_size * config.num_hidden_layers > 8192
    dtype = torch.bfloat16 if (dev.type == "cuda" or big) else torch.float32
    if share is None:
        share = is_folder and big_model.is_big(str(path))
    share = share and is_folder and dev.type == "cpu"

    def read() -> torch.nn.Module:
        if is_folder and dev.type == "cpu":
            _check_it_fits(path, source, dtype)
        return OlmoeForCausalLM.from_pretrained(where, dtype=dtype, use_safetensors=True, trust_remote_code=False)

    try:
        tokenizer = AutoTokenizer.from_pretrained(where, trust_remote_code=False)
        model = _shared(path, config, dtype, read) if share else read()
    except GlassboxError:
        raise
    except Exception as err:  # noqa: BLE001 - any failure to read weights becomes one clear message
        if is_folder:
            raise GlassboxError("model_unreadable", source=source, detail=_short(err)) from err
        raise GlassboxError("model_download_failed", source=source) from err
    model.to(dev)
    model.eval()
    olmoe.install_routing_hooks(model)
    card = training_card(path) if is_folder else {"trained": True}
    info = ModelInfo(
        name=card.get("name") or (path.name if is_folder else source),
        source=source,
        layers=int(config.num_hidden_layers),
        experts=int(config.num_experts),
        experts_per_token=int(config.num_experts_per_tok),
        vocab_size=min(int(config.vocab_size), len(tokenizer)),  # rows past the tokenizer are no token
        context=olmoe.context_length(config),
        hidden_size=int(config.hidden_size),
        parameters=sum(p.numel() for p in model.parameters()),
        norm_topk_prob=bool(config.norm_topk_prob),
        trained=bool(card.get("trained", True)),
        device=str(dev),
    )
    return LoadedModel(model=model, tokenizer=tokenizer, token_bytes=TokenBytes(tokenizer), info=info,
                       document_start=document_start(tokenizer, card))


def _shared(folder: Path, config, dtype: torch.dtype, read):
    """The model with its weights mapped from the machine's one copy. A missing copy is made first,
    straight from the checkpoint a tensor at a time (`mapped.convert_copy`), or, where that cannot
    read the checkpoint, by `read` (privately, once) and written out. Processes asking together
    wait for the one making it."""
    from transformers import GenerationConfig

    from glassbox.model import mapped

    with mapped.copy_lock(folder):
        file = mapped.copy_path(folder, dtype)
        if not file.is_file():
            try:
                file = mapped.convert_copy(folder, config, dtype)
            except (KeyError, ValueError, OSError) as err:
                logging.getLogger(__name__).warning("%s is read through transformers (%s)", folder, err)
                model = read()
                written = mapped.write_copy(model, folder, dtype)
                return mapped.map_model(model, written) if written else model
            if file is None:  # no room on disk for the copy
                return read()
        model = mapped.map_model(mapped.empty_model(config), file)
        with contextlib.suppress(OSError, ValueError):  # sampling defaults, as from_pretrained reads them
            model.generation_config = GenerationConfig.from_pretrained(str(folder))
        return model


def document_start(tokenizer, card: dict) -> tuple[int, ...]:
    """The ids a document starts with: the tokenizer's own bos_token where it has one (the full-size
    OLMoE's config says), else the token the model card names (the Tiny OLMoE saw `<|endoftext|>`
    before every document but the first), else none."""
    name = getattr(tokenizer, "bos_token", None) or card.get("document_start")
    if not name:
        return ()
    token_id = tokenizer.convert_tokens_to_ids(name)
    return () if token_id is None or token_id == getattr(tokenizer, "unk_token_id", None) else (int(token_id),)


FIT_SHARE = 0.9  # the weights may take at most this share of the memory still free


def _check_it_fits(folder: Path, source: str, dtype) -> None:
    """Refuse, with the sizes, a model whose weights (counted from the safetensors headers, in the
    dtype it is loaded in) would take more than `FIT_SHARE` of the memory still free: better than
    the kernel killing the whole server halfway through reading them."""
    from glassbox import memory
    from glassbox.model.info import count_parameters

    try:
        need = count_parameters(folder) * dtype.itemsize
    except Exception:  # noqa: BLE001 - unreadable headers: reading the weights says what is wrong
        return
    have = memory.available_bytes()
    if have is not None and need > FIT_SHARE * have:
        raise GlassboxError("model_too_big", source=source, need=f"{need / 1e9:.1f}", have=f"{have / 1e9:.1f}")


def _short(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else type(err).__name__


def save_model(model, tokenizer, folder: Path, card: dict | None = None, dtype=None) -> Path:
    """Save a model folder the loader can open: config, safetensors, tokenizer, card."""
    folder.mkdir(parents=True, exist_ok=True)
    if dtype is not None:
        model = model.to(dtype)
    model.save_pretrained(str(folder), safe_serialization=True)
    tokenizer.save_pretrained(str(folder))
    if card is not None:
        write_training_card(folder, card)
    return folder


def prepare_source(source: str | Path) -> str:
    """The source to load, after building the untrained fallback model if that is the one asked for."""
    from glassbox.paths import fallback_model_dir

    if Path(source) == fallback_model_dir():
        ensure_fallback_model(fallback_model_dir())
    return str(source)


def ensure_fallback_model(folder: Path) -> Path:
    """A random, clearly-marked untrained OLMoE with the real tokenizer (until a trained one ships)."""
    if (folder / "config.json").exists():
        return folder
    from glassbox.model.tokenizer import load_tokenizer

    model = olmoe.random_model(hidden_size=128, layers=4, experts=8, intermediate_size=128)
    return save_model(model, load_tokenizer(), folder, card={"name": "untrained-olmoe", "trained": False})
