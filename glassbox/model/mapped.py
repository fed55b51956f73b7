"""One copy of a big model's weights per machine: every server process maps the same file.

transformers reads a checkpoint into memory that belongs to the process (anonymous memory), and
the full-size OLMoE's checkpoint keeps each expert apart while the model holds them fused
(`gate_up_proj`), so a read is always a copy. Two replicas then hold two copies (2 × 13 GB).
Here the weights are written once, in the model's own layout and dtype, to
`<data>/mapped/<key>.safetensors`, straight from the checkpoint a tensor at a time
(`convert_copy`; a checkpoint it cannot read is loaded through transformers once and written out,
`write_copy`); every process then maps that file
copy-on-write (MAP_PRIVATE) and hands the model views into it (`load_state_dict(assign=True)`).
The weights then sit in the page cache once, shared by all the processes that map it, counted
as file-backed memory the kernel can drop and read back, not as each process's own. Nothing
writes to them (the shared model is never changed; teaching works on a copy), and a page that
were written would become that process's own, never the file's.

The key hashes what the weights depend on: the folder, its config.json, each safetensors file's
name, size and modification time (hashing 14 GB of content would take minutes), the dtype and
the transformers version. A changed checkpoint gets a new copy; older copies of the same folder
are removed when a new one is written. Making a copy needs the free disk space of the weights;
without it the model is loaded as before, privately. A lock file lets one process make the copy
while the others wait for it, so two replicas starting together never read the weights privately
side by side. `glassbox map FOLDER` makes the copy ahead of a workshop.

Why the file format is written and read here: safetensors' torch functions (`load_file`,
`safe_open.get_tensor`) copy every tensor into the process; views of a mapping need the offsets,
so the documented layout (8-byte header length, JSON header, raw little-endian data) is read
directly. The files are ordinary safetensors, which `safetensors.safe_open` reads too.

Leaves out: GPUs (their weights live in device memory, one copy per process), hub ids (only
local folders are mapped), and non-Linux systems' page sharing (mapping works, sharing is the
kernel's).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import math
import mmap
import os
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors import safe_open

from glassbox import memory, paths

log = logging.getLogger(__name__)

__all__ = ["convert_copy", "copy_path", "map_model", "write_copy"]

_DTYPES = {"BF16": torch.bfloat16, "F16": torch.float16, "F32": torch.float32, "F64": torch.float64,
           "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
           "BOOL": torch.bool}
_NAMES = {dtype: name for name, dtype in _DTYPES.items()}
ALIGN = 64  # each tensor starts on a 64-byte boundary (a cache line), so views are aligned for any dtype


def mapped_dir() -> Path:
    return paths.data_dir() / "mapped"


def copy_key(folder: Path, dtype: torch.dtype) -> str:
    """What the copy of `folder` in `dtype` depends on, as a short hash."""
    import transformers

    folder = Path(folder).resolve()
    digest = hashlib.sha256()
    digest.update(f"{folder}\n{dtype}\n{transformers.__version__}\n".encode())
    digest.update((folder / "config.json").read_bytes())
    for file in sorted(folder.glob("*.safetensors")):
        stat = file.stat()
        digest.update(f"{file.name} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def copy_path(folder: Path, dtype: torch.dtype) -> Path:
    return mapped_dir() / f"{copy_key(folder, dtype)}.safetensors"


@contextlib.contextmanager
def copy_lock(folder: Path):
    """Held while one process makes (or checks for) the copy of `folder`: the others wait."""
    mapped_dir().mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(str(Path(folder).resolve()).encode()).hexdigest()[:20]
    with open(mapped_dir() / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_copy(model: torch.nn.Module, folder: Path, dtype: torch.dtype) -> Path | None:
    """Write a loaded model's tensors as the mapped copy of `folder` (None without disk room)."""
    state = {name: tensor.detach() for name, tensor in model.state_dict().items()}
    return _write(folder, dtype, {name: (t.dtype, tuple(t.shape)) for name, t in state.items()}, state.__getitem__)


def convert_copy(folder: Path, config, dtype: torch.dtype) -> Path | None:
    """Write the mapped copy of `folder` straight from its checkpoint, one tensor at a time, without
    loading the model: the experts the checkpoint keeps apart are stacked as the model holds them
    (`gate_up_proj`: each expert's gate and up rows one after the other; `down_proj`), everything
    else is taken as it is, in `dtype`. Raises KeyError or ValueError when the checkpoint does not
    hold what the model needs (then the caller reads it through transformers instead)."""
    shapes = {name: (dtype if t.is_floating_point() else t.dtype, tuple(t.shape))
              for name, t in empty_model(config).state_dict().items()}
    with contextlib.ExitStack() as opened:
        stored = {}
        for file in sorted(Path(folder).glob("*.safetensors")):
            handle = opened.enter_context(safe_open(str(file), "pt"))
            stored.update((key, handle) for key in handle.keys())

        def tensor_of(name: str) -> torch.Tensor:
            want_dtype, shape = shapes[name]
            parts = [stored[key].get_tensor(key) for key in _parts(name, shape, stored, config)]
            if name.endswith("experts.gate_up_proj"):  # each expert's gate rows, then its up rows
                got = torch.stack([torch.cat(parts[e : e + 2]) for e in range(0, len(parts), 2)])
            elif len(parts) > 1:  # down_proj, expert by expert
                got = torch.stack(parts)
            else:
                got = parts[0]
            if tuple(got.shape) != shape:
                raise ValueError(f"{name}: the checkpoint holds {tuple(got.shape)}, the model needs {shape}")
            return got.to(want_dtype)

        missing = [name for name, (_, shape) in shapes.items()
                   if not all(key in stored for key in _parts(name, shape, stored, config))]
        if missing:
            raise KeyError(f"the checkpoint lacks {missing[:3]}")
        return _write(folder, dtype, shapes, tensor_of)


def _parts(name: str, shape: tuple[int, ...], stored: dict, config) -> list[str]:
    """The checkpoint's names of what makes the model's tensor `name`: each expert's gate and up
    (`gate_up_proj`) or down projection (`down_proj`, where not stored fused), the embeddings for a
    tied output layer the checkpoint leaves out, else the name itself."""
    stem = name.rpartition(".")[0] + "."
    if name.endswith("experts.gate_up_proj"):
        return [f"{stem}{e}.{half}_proj.weight" for e in range(shape[0]) for half in ("gate", "up")]
    if name.endswith("experts.down_proj") and name not in stored:
        return [f"{stem}{e}.down_proj.weight" for e in range(shape[0])]
    if name == "lm_head.weight" and name not in stored and getattr(config, "tie_word_embeddings", False):
        return ["model.embed_tokens.weight"]
    return [name]


def _write(folder: Path, dtype: torch.dtype, shapes: dict[str, tuple[torch.dtype, tuple[int, ...]]],
           tensor_of: Callable[[str], torch.Tensor]) -> Path | None:
    """Write the copy: the header from `shapes`, then each tensor as `tensor_of` gives it, one at a
    time. None (nothing written) without the disk space. A temporary name is renamed at the end, so
    a reader never sees half a file."""
    target = copy_path(folder, dtype)
    header: dict[str, dict] = {}
    offset = 0
    for name, (kind, shape) in shapes.items():
        size = math.prod(shape) * kind.itemsize
        header[name] = {"dtype": _NAMES[kind], "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += -(-size // ALIGN) * ALIGN
    header["__metadata__"] = {"format": "pt", "folder": str(Path(folder).resolve())}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-(8 + len(raw)) % ALIGN)  # the data starts aligned too
    target.parent.mkdir(parents=True, exist_ok=True)
    if shutil.disk_usage(target.parent).free < offset + len(raw) + (1 << 30):
        log.warning("no room to map %s: it is read privately by each process", folder)
        return None
    partial = target.with_suffix(".partial")
    try:
        with open(partial, "wb") as out:
            out.write(struct.pack("<Q", len(raw)) + raw)
            for name, entry in header.items():
                if name == "__metadata__":
                    continue
                tensor = tensor_of(name)
                if tensor.dtype != _DTYPES[entry["dtype"]] or list(tensor.shape) != entry["shape"]:
                    raise ValueError(f"{name} changed its shape or dtype while it was written")
                if tensor.numel():
                    out.write(tensor.contiguous().reshape(-1).view(torch.uint8).numpy().data)
                start, end = entry["data_offsets"]
                out.write(b"\0" * (-(end - start) % ALIGN))
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    _remove_older(target, folder)
    return target


def _remove_older(kept: Path, folder: Path) -> None:
    """Remove earlier copies of the same folder (a changed checkpoint's), keeping `kept`."""
    wanted = str(Path(folder).resolve())
    for other in kept.parent.glob("*.safetensors"):
        if other != kept and _read_header(other)[0].get("__metadata__", {}).get("folder") == wanted:
            other.unlink(missing_ok=True)


def _read_header(file: Path) -> tuple[dict, int]:
    with open(file, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        return json.loads(handle.read(length)), 8 + length


def open_views(file: Path) -> dict[str, torch.Tensor]:
    """The file's tensors as views of one copy-on-write mapping of it (no tensor is copied)."""
    header, base = _read_header(file)
    with open(file, "rb") as handle:
        mapping = mmap.mmap(handle.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    with contextlib.suppress(AttributeError, OSError):  # read ahead: the first inspection needs every page
        mapping.madvise(mmap.MADV_WILLNEED)
    views = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype, shape = _DTYPES[entry["dtype"]], entry["shape"]
        start, end = entry["data_offsets"]
        count = (end - start) // dtype.itemsize
        if count == 0:
            views[name] = torch.empty(shape, dtype=dtype)
        else:  # frombuffer keeps the mapping alive as long as a view of it lives
            views[name] = torch.frombuffer(mapping, dtype=dtype, count=count, offset=base + start).view(shape)
    return views


def map_model(model: torch.nn.Module, file: Path) -> torch.nn.Module:
    """Make every parameter and persistent buffer of `model` a view of the mapped `file`; what the
    model held before is let go. `model` may be built on the meta device: its non-persistent
    buffers (the rotary embedding's frequencies) are then built again on the CPU."""
    model.load_state_dict(open_views(file), strict=True, assign=True)
    _rebuild_meta_buffers(model)
    if getattr(model.config, "tie_word_embeddings", False):
        model.tie_weights()
    memory.release()
    return model


def _rebuild_meta_buffers(model: torch.nn.Module) -> None:
    for name, module in list(model.named_modules()):
        if any(b.is_meta for b in module.buffers(recurse=False)):
            if not hasattr(module, "inv_freq"):
                raise RuntimeError(f"{name} has buffers the mapped file does not hold")
            parent_name, _, attr = name.rpartition(".")
            parent = model.get_submodule(parent_name) if parent_name else model
            setattr(parent, attr, type(module)(config=model.config))


def empty_model(config) -> torch.nn.Module:
    """An OLMoE of `config`'s shape with no memory behind its parameters (the meta device)."""
    from transformers import OlmoeForCausalLM

    with torch.device("meta"):
        return OlmoeForCausalLM(config)
