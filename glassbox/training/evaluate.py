"""`glassbox eval`: how well a model predicts held-out text, how it uses its experts, and
whether it reproduces famous passages of its training corpus (a memorisation probe), plus
memorisation per anthology passage by copies in training (`glassbox.training.memorisation`), over the
model folder's checkpoints too, and with and without the document start before the prompt.

Expert load is the share of top-k routing slots each expert receives on held-out tokens
(8 experts, top-2: an even split is 12.5% each). Leaves out benchmarks beyond the corpus.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from glassbox.model import olmoe
from glassbox.model.loading import LoadedModel

# Famous openings, typed as a learner would: the ten best-known lines of the Bible, Shakespeare,
# Austen and Melville first; the probe uses the first ten found in the training documents.
OPENINGS: tuple[tuple[str, str], ...] = (
    ("Genesis", "In the beginning God created"),
    ("Psalm 23", "The LORD is my shepherd"),
    ("John 3:16", "For God so loved the world"),
    ("Lord's Prayer", "Our Father which art in heaven"),
    ("Hamlet", "To be, or not to be"),
    ("Romeo and Juliet", "But, soft! what light through yonder window breaks"),
    ("Julius Caesar", "Friends, Romans, countrymen, lend me your ears"),
    ("Richard III", "Now is the winter of our discontent"),
    ("Pride and Prejudice", "It is a truth universally acknowledged"),
    ("Moby-Dick", "Call me Ishmael."),
    ("Gospel of John", "In the beginning was the Word"),
    ("Lincoln 1862", "The dogmas of the quiet past"),
    ("FDR 1941", "In the future days, which we seek to make secure"),
    ("Ecclesiastes", "To every thing there is a season"),
    ("Emma", "Emma Woodhouse, handsome, clever, and rich"),
)
PROBE_TOKENS = 8


@dataclass(frozen=True)
class ProbeResult:
    name: str
    prompt: str
    expected: str
    produced: str
    matched_tokens: int
    reproduced: bool
    doc_id: str


@dataclass(frozen=True)
class Evaluation:
    heldout_loss: dict[str, float]  # domain -> nats/token, plus "overall" (mean over domains)
    expert_load: list[list[float]]  # [layer][expert] share of routing slots, all held-out tokens
    expert_usage_by_domain: dict[str, list[list[float]]]  # domain -> [layer][expert]
    memorisation: list[ProbeResult]
    memorised: int
    tokens_evaluated: int
    memorisation_passages: list[dict]  # glassbox.training.memorisation.MemorisationEntry, one per ladder passage found
    memorisation_by_rung: list[dict]  # {copies, passages, recited, share}, fewest copies first
    memorisation_by_checkpoint: list[dict] | None  # {name, label, step, rungs}; None without checkpoints
    # {"with", "without": passages recited, "passages": how many, "example": a salutation's next word}
    document_start_effect: dict

    def to_json(self) -> dict:
        return asdict(self)


@torch.inference_mode()
def domain_stats(lm: LoadedModel, stream: np.ndarray, seq_len: int, count: int) -> tuple[float, np.ndarray, int]:
    """(mean loss, (layers, experts) slot counts, tokens) over fixed windows of one domain."""
    from glassbox.training.recipe import windows

    batch = windows(stream, seq_len, count).to(lm.device)
    counts = np.zeros((lm.info.layers, lm.info.experts))
    losses = []
    for row in batch:  # one window at a time keeps memory small for big vocabularies
        with olmoe.capture_routing() as cap:
            logits, _ = olmoe.forward(lm.model, row[None, :-1])
        loss = torch.nn.functional.cross_entropy(logits[0].float(), row[1:])
        losses.append(float(loss))
        for layer, experts in enumerate(cap.experts):
            counts[layer] += np.bincount(experts.cpu().numpy().ravel(), minlength=lm.info.experts)
    return float(np.mean(losses)), counts, int(batch.shape[0] * (batch.shape[1] - 1))


def memorisation_probe(lm: LoadedModel, corpus: Path, limit: int = 10) -> list[ProbeResult]:
    """Greedy-decode PROBE_TOKENS tokens after each opening; compare with the corpus's own text."""
    from glassbox.corpus.documents import iter_documents
    from glassbox.model.generation import generate
    from glassbox.model.sampling import Settings
    from glassbox.training.memorisation import matched_tokens

    found: dict[str, tuple[str, str]] = {}
    for doc in iter_documents(corpus, split="train"):
        for name, opening in OPENINGS:
            if name not in found and opening in doc.text:
                found[name] = (doc.id, doc.text[doc.text.index(opening) :][: len(opening) + 400])
    results = []
    for name, opening in OPENINGS:
        if name not in found or len(results) >= limit:
            continue
        doc_id, passage = found[name]
        ids = lm.tokenizer(passage, add_special_tokens=False)["input_ids"]
        prompt_ids = lm.tokenizer(opening, add_special_tokens=False)["input_ids"]
        if ids[: len(prompt_ids)] != prompt_ids:
            continue  # the opening ends mid-token in this passage; skip rather than score unfairly
        expected = ids[len(prompt_ids) : len(prompt_ids) + PROBE_TOKENS]
        gen = generate(lm, opening, max_new_tokens=PROBE_TOKENS, settings=Settings(temperature=0),
                       capture=False, stop_at_eos=False)
        produced = [s.token.id for s in gen.steps]
        matched = matched_tokens(produced, expected)
        results.append(ProbeResult(
            name=name, prompt=opening, expected=lm.tokenizer.decode(expected), produced=gen.completion,
            matched_tokens=matched, reproduced=produced == expected, doc_id=doc_id,
        ))
    return results


def corpus_index_for(corpus: Path):
    """The data folder's corpus index when it was built from this corpus, else None."""
    from glassbox.errors import GlassboxError
    from glassbox.index.build import index_status
    from glassbox.index.engine import open_index

    try:
        return open_index() if index_status(corpus) == "ready" else None
    except GlassboxError:
        return None


# A salutation that opens dozens of training documents, and the word that follows it there.
START_EXAMPLE = ("Fellow-Citizens of the Senate and", " House")


def start_example(lm: LoadedModel) -> dict:
    """The probability of START_EXAMPLE's next word with and without the document start."""
    import dataclasses

    from glassbox.model.inspection import inspect_text

    text, word = START_EXAMPLE
    token = lm.tokenizer(word, add_special_tokens=False)["input_ids"][0]
    out = {"text": text, "next": word}
    for name, model in (("with", lm), ("without", dataclasses.replace(lm, document_start=()))):
        logits = torch.from_numpy(inspect_text(model, text).final_logits).double()
        out[name] = round(float(torch.softmax(logits, dim=0)[token]), 4)
    return out


def passage_memorisation(lm: LoadedModel, corpus: Path, checkpoints: bool = True) -> dict:
    """The Evaluation's memorisation_* fields and document_start_effect for the ladder's passages."""
    from glassbox.model.checkpoints import list_checkpoints
    from glassbox.training.memorisation import by_checkpoint, by_rung, memorisation, passage_probes, recite

    probes = passage_probes(corpus)
    entries = memorisation(lm, corpus, corpus_index_for(corpus), probes=probes)
    texts = {p.id: p.text for p in probes}
    without = sum(recite(lm, texts[e.id], document_start=False).recited for e in entries)
    folder = Path(lm.info.source)
    saved = [c for c in list_checkpoints(folder) if Path(c.path) != folder] if folder.is_dir() else []
    over_training = None
    if checkpoints and saved:
        over_training = by_checkpoint(folder, corpus, probes=probes, device=lm.info.device, final=entries)
    return {
        "memorisation_passages": [asdict(e) for e in entries],
        "memorisation_by_rung": by_rung(entries),
        "memorisation_by_checkpoint": over_training,
        "document_start_effect": {"with": sum(e.recited for e in entries), "without": without,
                                  "example": start_example(lm),
                                  "passages": len(entries)},
    }


def evaluate(
    lm: LoadedModel, corpus: Path, seq_len: int = 128, windows_per_domain: int = 48, checkpoints: bool = True
) -> Evaluation:
    """Held-out loss per domain, expert load and per-domain usage, the memorisation probe, and
    memorisation per anthology passage (over the model folder's checkpoints unless `checkpoints` is False)."""
    from glassbox.model.tokenizer import load_tokenizer
    from glassbox.training.recipe import tokenize_corpus

    data = tokenize_corpus(corpus, load_tokenizer(), heldout_only=True)
    losses: dict[str, float] = {}
    usage: dict[str, list[list[float]]] = {}
    total = np.zeros((lm.info.layers, lm.info.experts))
    tokens = 0
    for domain, stream in data.heldout.items():
        loss, counts, n = domain_stats(lm, stream, seq_len, windows_per_domain)
        losses[domain] = round(loss, 4)
        usage[domain] = (counts / counts.sum(axis=1, keepdims=True)).round(4).tolist()
        total += counts
        tokens += n
    losses["overall"] = round(float(np.mean(list(losses.values()))), 4) if losses else float("nan")
    probes = memorisation_probe(lm, corpus)
    return Evaluation(
        heldout_loss=losses,
        expert_load=(total / np.maximum(1, total.sum(axis=1, keepdims=True))).round(4).tolist(),
        expert_usage_by_domain=usage,
        memorisation=probes,
        memorised=sum(p.reproduced for p in probes),
        tokens_evaluated=tokens,
        **passage_memorisation(lm, corpus, checkpoints),
    )
