"""The Tiny OLMoE training recipe: seeded, deterministic on CPU, with checkpoints.

Data: the corpus's "train" documents, each tokenized and ended with <|endoftext|>, joined into
one token stream; batches are windows at seeded random offsets. Held-out loss is measured per
domain on fixed windows of the "heldout" documents. Loss: next-token cross-entropy plus a
load-balancing loss taken in every layer separately (balance summed over all layers at once lets
an expert die in one layer while another layer makes up for it). The output layer and its loss
run in row chunks with their gradients taken at once (`glassbox.training.output_loss`: bf16 matmuls
where the CPU multiplies bf16 in hardware, float32 elsewhere), with float32 master weights.
A run saves its full state every `eval_every` steps, so an interrupted run resumes with the same
numbers, in this session or a later one. Leaves out: multi-GPU, chained training stages (one
seeded run with one learning-rate schedule makes one loss curve with no bumps to explain).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from glassbox.index.sources import CARD_KEY, LOCAL_INDEX
from glassbox.model import olmoe
from glassbox.model.folder import RESUME_FILE, checkpoint_dir, write_training_log
from glassbox.model.loading import save_model
from glassbox.training.output_loss import fast_step_loss


@dataclass(frozen=True)
class Recipe:
    """Everything that determines a training run (with the corpus and the seed)."""

    hidden_size: int = 128
    layers: int = 4
    experts: int = 8
    experts_per_token: int = 2
    intermediate_size: int = 256
    heads: int = 2
    context: int = 512  # positions the model accepts
    seq_len: int = 128  # training window
    batch_size: int = 16
    steps: int = 10_000  # 20.48M tokens, about 2.8 passes over the training documents
    lr: float = 4e-3
    min_lr_ratio: float = 0.1
    warmup: int = 60
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    router_aux_loss_coef: float = 0.1  # weight of the per-layer balance loss (1.0 = balanced)
    eval_every: int = 200
    eval_windows: int = 24  # held-out windows per domain
    # (label, share of the run): spread on a log scale, so the first shows token frequencies before context
    checkpoints: tuple[tuple[str, float], ...] = (
        ("very early", 0.004), ("early", 0.02), ("middle", 0.1), ("late", 0.2), ("very late", 0.4),
    )
    seed: int = 1234
    threads: int = 2


FUSED_ADAMW = True  # one fused AdamW kernel (CPU and CUDA)

PRESETS: dict[str, Recipe] = {
    "full": Recipe(),
    "quick": Recipe(
        hidden_size=32, intermediate_size=32, heads=2, seq_len=32, batch_size=8, steps=60, warmup=5,
        lr=1e-2, eval_every=20, eval_windows=4, context=256, threads=1,
        checkpoints=(("very early", 0.02), ("early", 0.1), ("middle", 0.5)),
    ),
}


@dataclass(frozen=True)
class TokenData:
    train: np.ndarray  # (n,) uint16 token stream of the training documents
    heldout: dict[str, np.ndarray]  # domain -> token stream of its held-out documents
    documents: int


def tokenize_corpus(corpus: Path, tokenizer, limit_chars: int | None = None, heldout_only: bool = False) -> TokenData:
    """Token streams for training and per-domain held-out evaluation (only the latter if asked)."""
    from glassbox.corpus.documents import iter_documents

    eos = tokenizer.eos_token_id
    train_parts: list[np.ndarray] = []
    held: dict[str, list[np.ndarray]] = {}
    docs = list(iter_documents(corpus, split="heldout" if heldout_only else None))
    if limit_chars is not None:
        docs = _limit(docs, limit_chars)
    batch = 256
    for i in range(0, len(docs), batch):
        chunk = docs[i : i + batch]
        ids = tokenizer([d.text for d in chunk], add_special_tokens=False)["input_ids"]
        for doc, toks in zip(chunk, ids, strict=True):
            arr = np.asarray([*toks, eos], dtype=np.uint16)
            if doc.split == "heldout":
                held.setdefault(doc.domain, []).append(arr)
            else:
                train_parts.append(arr)
    return TokenData(
        train=np.concatenate(train_parts) if train_parts else np.zeros(0, dtype=np.uint16),
        heldout={d: np.concatenate(parts) for d, parts in sorted(held.items())},
        documents=len(docs),
    )


def _limit(docs: list, limit_chars: int) -> list:
    """A small slice with every domain and both splits kept (for the quick preset)."""
    by_key: dict[tuple[str, str], list] = {}
    for d in docs:
        by_key.setdefault((d.domain, d.split), []).append(d)
    per_key = max(1, limit_chars // max(1, len(by_key)))
    out = []
    for key in sorted(by_key):
        used = 0
        for d in by_key[key]:
            if used >= per_key:
                break
            out.append(replace(d, text=d.text[: per_key - used]) if used + len(d.text) > per_key else d)
            used += len(out[-1].text)
    return out


def build_model(recipe: Recipe) -> torch.nn.Module:
    model = olmoe.random_model(
        hidden_size=recipe.hidden_size, layers=recipe.layers, experts=recipe.experts,
        experts_per_token=recipe.experts_per_token, intermediate_size=recipe.intermediate_size,
        heads=recipe.heads, context=recipe.context, seed=recipe.seed,
    )
    model.train()
    return model


def lr_at(step: int, recipe: Recipe) -> float:
    if step < recipe.warmup:
        return recipe.lr * (step + 1) / recipe.warmup
    progress = (step - recipe.warmup) / max(1, recipe.steps - recipe.warmup)
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return recipe.lr * (recipe.min_lr_ratio + (1 - recipe.min_lr_ratio) * cosine)


def windows(stream: np.ndarray, seq_len: int, count: int) -> torch.Tensor:
    """`count` evenly spaced windows of seq_len+1 tokens (fixed: the same every evaluation)."""
    n = max(1, min(count, (len(stream) - 1) // (seq_len + 1)))
    starts = np.linspace(0, len(stream) - seq_len - 1, n).astype(np.int64)
    return torch.from_numpy(np.stack([stream[s : s + seq_len + 1] for s in starts]).astype(np.int64))


@torch.no_grad()
def heldout_loss(model, data: TokenData, recipe: Recipe) -> dict[str, float]:
    """Mean next-token loss (nats/token) per held-out domain, and 'overall' (mean of domains)."""
    was_training = model.training
    model.eval()
    out = {}
    for domain, stream in data.heldout.items():
        batch = windows(stream, recipe.seq_len, recipe.eval_windows)
        logits = model(input_ids=batch[:, :-1]).logits
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
        out[domain] = float(loss)
    out["overall"] = float(np.mean(list(out.values()))) if out else float("nan")
    model.train(was_training)
    return out


def layer_balance_loss(router_logits: tuple[torch.Tensor, ...], top_k: int) -> torch.Tensor:
    """Mean over layers of E * sum_i f_i * P_i (f: share of routing slots, P: mean router probability).

    Equals 1.0 when every expert of a layer gets the same share, and grows as a layer's routing
    piles onto few experts.
    """
    losses = []
    for gate in router_logits:
        probs = torch.softmax(gate.float(), dim=-1)
        experts = probs.shape[-1]
        chosen = torch.topk(probs, top_k, dim=-1).indices.reshape(-1)
        share = torch.bincount(chosen, minlength=experts).float() / chosen.numel()
        losses.append(experts * (share * probs.mean(dim=0)).sum())
    return torch.stack(losses).mean()


def make_optimizer(model: torch.nn.Module, recipe: Recipe, fused: bool | None = FUSED_ADAMW) -> torch.optim.AdamW:
    """AdamW with weight decay on the weight matrices only (not on norms or vectors)."""
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "norm" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "norm" not in n)]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": recipe.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=recipe.lr, betas=(0.9, 0.95), fused=fused,
    )


def plain_step_loss(model, input_ids: torch.Tensor, targets: torch.Tensor) -> tuple:
    """The step's loss the plain way: the full logits, then cross-entropy (the benchmark's baseline)."""
    out = model(input_ids=input_ids, output_router_logits=True)
    ce = torch.nn.functional.cross_entropy(out.logits.reshape(-1, out.logits.shape[-1]), targets.reshape(-1))
    return ce, out.router_logits


def train_step(model, opt, batch: torch.Tensor, recipe: Recipe, step_loss=fast_step_loss) -> tuple:
    """One step on (batch, seq_len + 1) windows: loss and balance loss, backward, clip, AdamW.

    Position t predicts token t+1. Returns (cross-entropy, balance loss), both still tensors.
    """
    ce, router_logits = step_loss(model, batch[:, :-1], batch[:, 1:])
    balance = layer_balance_loss(router_logits, recipe.experts_per_token)
    (ce + recipe.router_aux_loss_coef * balance).backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.grad_clip)
    opt.step()
    opt.zero_grad(set_to_none=True)
    return ce, balance


def train(
    corpus: Path,
    out_dir: Path,
    recipe: Recipe,
    preset: str = "full",
    limit_chars: int | None = None,
    progress: bool = True,
    resume: bool = False,
) -> dict:
    """Train from scratch (or resume a saved run), save checkpoints and the final model to out_dir.

    Checkpoints and the final model are bf16 safetensors; `out_dir/resume.pt` holds the float32
    state of an unfinished run and is removed once the run is done.
    """
    from tqdm import tqdm

    from glassbox.corpus.documents import read_manifest
    from glassbox.model.tokenizer import load_tokenizer

    torch.set_num_threads(recipe.threads)
    torch.manual_seed(recipe.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    tokenizer = load_tokenizer()
    data = tokenize_corpus(corpus, tokenizer, limit_chars)
    model = build_model(recipe)
    opt = make_optimizer(model, recipe)
    rng = np.random.default_rng(recipe.seed)
    log = {"steps": [], "train_loss": [], "aux_loss": [], "heldout": [], "checkpoints": [], "seconds": 0.0}
    state_file = out_dir / RESUME_FILE
    first = 1
    if resume and state_file.exists():
        first, log = _load_state(state_file, recipe, model, opt, rng)
    tokens_per_step = recipe.batch_size * recipe.seq_len
    ckpt_steps = {max(1, round(frac * recipe.steps)): label for label, frac in recipe.checkpoints}
    manifest = read_manifest(corpus.parent / "manifest.json")
    started = time.time() - log["seconds"]
    bar = tqdm(range(first, recipe.steps + 1), desc="training", disable=not progress,
               initial=first - 1, total=recipe.steps)
    for step in bar:
        starts = rng.integers(0, len(data.train) - recipe.seq_len - 1, size=recipe.batch_size)
        batch = torch.from_numpy(np.stack([data.train[s : s + recipe.seq_len + 1] for s in starts]).astype(np.int64))
        for group in opt.param_groups:
            group["lr"] = lr_at(step - 1, recipe)
        ce, balance = train_step(model, opt, batch, recipe)
        log["steps"].append(step)
        log["train_loss"].append(round(ce.item(), 4))
        log["aux_loss"].append(round(balance.item(), 4))
        bar.set_postfix(loss=f"{log['train_loss'][-1]:.3f}", balance=f"{log['aux_loss'][-1]:.3f}")
        if step % recipe.eval_every == 0 or step == recipe.steps or step in ckpt_steps:
            held = heldout_loss(model, data, recipe)
            log["heldout"].append({"step": step, "loss": round(held["overall"], 4), "domains": held})
            bar.write(f"step {step}: held-out loss {held['overall']:.3f}")
        if step in ckpt_steps or step == recipe.steps:
            label = ckpt_steps.get(step, "final")
            card = {
                "name": "Tiny OLMoE" + ("" if label == "final" else f" ({label})"),
                "trained": True, "label": label, "step": step, "tokens_seen": step * tokens_per_step,
                "heldout_loss": round(log["heldout"][-1]["loss"], 4), "preset": preset,
                "corpus_sha256": manifest.sha256 if manifest else None, "document_start": tokenizer.eos_token,
                CARD_KEY: LOCAL_INDEX.card_value(),  # its training data is the corpus the local index is built from
            }
            folder = out_dir if label == "final" else checkpoint_dir(out_dir, step)
            save_model(_copy_bf16(model, recipe), tokenizer, folder, card=card)
            log["checkpoints"].append(card)
        if step % recipe.eval_every == 0 and step < recipe.steps:
            log["seconds"] = round(time.time() - started, 1)
            _save_state(state_file, step, recipe, model, opt, rng, log)
    log["recipe"] = {**asdict(recipe), "checkpoints": [list(c) for c in recipe.checkpoints]}
    log["preset"] = preset
    log["seconds"] = round(time.time() - started, 1)
    log["tokens_seen"] = recipe.steps * tokens_per_step
    log["train_tokens"] = int(len(data.train))
    log["heldout_tokens"] = {d: int(len(s)) for d, s in data.heldout.items()}
    write_training_log(out_dir, log)
    state_file.unlink(missing_ok=True)
    return log


def _save_state(path: Path, step: int, recipe: Recipe, model, opt, rng, log: dict) -> None:
    """Everything needed to go on from `step` with the same numbers (written atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"step": step, "recipe": asdict(recipe), "model": model.state_dict(), "optimizer": opt.state_dict(),
                "rng": rng.bit_generator.state, "log": log}, tmp)
    tmp.replace(path)


def _load_state(path: Path, recipe: Recipe, model, opt, rng) -> tuple[int, dict]:
    state = torch.load(path, weights_only=False)
    saved = state["recipe"]
    if saved != asdict(recipe):
        raise ValueError(f"{path} was saved by a run with another recipe; delete it to start afresh")
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    rng.bit_generator.state = state["rng"]
    return state["step"] + 1, state["log"]


def _copy_bf16(model, recipe: Recipe):
    """A bf16 copy for saving, leaving the float32 training weights alone; its config records the
    balance-loss weight the run really used."""
    import copy

    clone = copy.deepcopy(model).to(torch.bfloat16)
    clone.config.router_aux_loss_coef = recipe.router_aux_loss_coef
    clone.eval()
    return clone
