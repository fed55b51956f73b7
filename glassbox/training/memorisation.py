"""Memorisation per anthology passage: does the model recite a span it saw `copies` times?

Each passage of the ladder (`glassbox.corpus.anthology`) is a span of PASSAGE_TOKENS tokens of
one training document. The model reads the span's first PROMPT_TOKENS tokens (after its
document start, as in training) and greedy-decodes EXPECTED_TOKENS more; it *recites* the
passage when every one of those equals the span's own next tokens. `copies` is counted in the
corpus as built (the original plus the anthology's copies), so a corpus without the anthology
gives 1 for every passage; the corpus index, when one is open, adds its count of the whole
span. Results are grouped by rung (copies) and, for a model folder with checkpoints, over
training. It leaves out sampling (greedy only), partial credit beyond `matched_tokens`, and
any passage outside the ladder.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from glassbox.corpus.anthology import DOMAIN, Passage, read_ladder, span_digest, span_text
from glassbox.model import olmoe
from glassbox.model.loading import LoadedModel

PROMPT_TOKENS = 12
EXPECTED_TOKENS = 8


@dataclass(frozen=True)
class Probe:
    """One ladder passage as found in a corpus: its span text and its copies in training as built."""

    id: str
    source: str  # the id of the document the span is taken from
    title: str
    copies: int
    text: str


@dataclass(frozen=True)
class Recital:
    prompt: str  # the span's first PROMPT_TOKENS tokens, as text
    expected: str  # its next EXPECTED_TOKENS tokens, as text
    generated: str  # what greedy decoding produced after the prompt
    matched_tokens: int  # leading generated tokens equal to the expected ones
    recited: bool  # all EXPECTED_TOKENS equal


@dataclass(frozen=True)
class MemorisationEntry:
    id: str
    source: str
    title: str
    copies: int
    count_in_index: int | None  # the index's count of the span's tokens; None without an index
    prompt: str
    expected: str
    generated: str
    recited: bool
    matched_tokens: int


def passage_probes(corpus: Path, passages: Sequence[Passage] | None = None) -> list[Probe]:
    """The ladder's passages found in `corpus`, in ladder order; one read of the corpus.

    A passage whose document is missing, or whose span's SHA-256 differs, is left out.
    """
    from glassbox.corpus.documents import iter_documents

    passages = list(read_ladder() if passages is None else passages)
    wanted = {p.document for p in passages}
    docs = {}
    copies: Counter[str] = Counter()  # anthology training texts -> how many documents hold exactly that
    for doc in iter_documents(corpus):
        if doc.id in wanted:
            docs[doc.id] = doc
        if doc.domain == DOMAIN and doc.split == "train":
            copies[doc.text] += 1
    probes = []
    for p in passages:
        doc = docs.get(p.document)
        if doc is None:
            continue
        text = span_text(doc, p)
        if span_digest(text) != p.sha256:
            continue
        original = int(doc.split == "train" and doc.domain != DOMAIN)  # an anthology document is counted below
        probes.append(Probe(id=p.id, source=p.document, title=p.title, copies=original + copies[text], text=text))
    return probes


def _split(lm: LoadedModel, text: str) -> tuple[list[int], list[int], str, str]:
    """(prompt ids, expected ids, prompt text, expected text) of a span."""
    enc = lm.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = list(enc["input_ids"]), enc["offset_mapping"]
    if len(ids) < PROMPT_TOKENS + EXPECTED_TOKENS:
        raise ValueError(f"a span of {len(ids)} tokens; a recital needs {PROMPT_TOKENS + EXPECTED_TOKENS}")
    cut, end = offsets[PROMPT_TOKENS - 1][1], offsets[PROMPT_TOKENS + EXPECTED_TOKENS - 1][1]
    return ids[:PROMPT_TOKENS], ids[PROMPT_TOKENS : PROMPT_TOKENS + EXPECTED_TOKENS], text[:cut], text[cut:end]


@torch.inference_mode()
def _greedy_ids(lm: LoadedModel, ids: list[int], steps: int) -> list[int]:
    """Greedy decoding on ids (after lm.document_start), for prompts whose text re-tokenizes differently."""
    cache = olmoe.new_cache(lm.model)
    step_input = torch.tensor([[*lm.document_start, *ids]], device=lm.device)
    out: list[int] = []
    for _ in range(steps):
        logits, cache = olmoe.forward(lm.model, step_input, cache=cache, last_only=True)
        out.append(int(torch.argmax(logits[0, -1, : lm.info.vocab_size])))
        step_input = torch.tensor([[out[-1]]], device=lm.device)
    return out


def matched_tokens(produced: Sequence[int], expected: Sequence[int]) -> int:
    """How many leading tokens of `produced` equal `expected`'s."""
    return next((i for i, (a, b) in enumerate(zip(produced, expected, strict=False)) if a != b),
                min(len(produced), len(expected)))


def recite(lm: LoadedModel, text: str, document_start: bool = True) -> Recital:
    """Prompt with the span's first PROMPT_TOKENS tokens; greedy-decode EXPECTED_TOKENS; compare.

    `document_start=False` leaves out the model's document start before the prompt.
    Raises ValueError for a span shorter than PROMPT_TOKENS + EXPECTED_TOKENS tokens.
    """
    from glassbox.model.generation import generate
    from glassbox.model.sampling import Settings
    from glassbox.tokens import decode_bytes, normalise

    model = lm if document_start else replace(lm, document_start=())
    prompt_ids, expected_ids, prompt, expected = _split(lm, text)
    same = normalise(prompt) == prompt and prompt.strip() != ""
    if same and lm.tokenizer(prompt, add_special_tokens=False)["input_ids"] == prompt_ids:
        gen = generate(model, prompt, max_new_tokens=EXPECTED_TOKENS, settings=Settings(temperature=0),
                       capture=False, stop_at_eos=False)
        produced, generated = [s.token.id for s in gen.steps], gen.completion
    else:
        produced = _greedy_ids(model, prompt_ids, EXPECTED_TOKENS)
        generated = decode_bytes([lm.token_bytes(i) for i in produced])
    return Recital(prompt=prompt, expected=expected, generated=generated,
                   matched_tokens=matched_tokens(produced, expected_ids), recited=produced == expected_ids)


def memorisation(
    lm: LoadedModel, corpus: Path, index=None, passages: Sequence[Passage] | None = None,
    *, probes: Sequence[Probe] | None = None,
) -> list[MemorisationEntry]:
    """One entry per ladder passage found in `corpus` (or per given probe), in ladder order.

    `index` is an open `glassbox.index.engine.CorpusIndex` of this corpus, or None.
    Spans too short for this model's tokenizer are left out.
    """
    probes = passage_probes(corpus, passages) if probes is None else probes
    entries = []
    for probe in probes:
        try:
            r = recite(lm, probe.text)
        except ValueError:
            continue
        count = index.count_ids(index.tokenize(probe.text)) if index is not None else None
        entries.append(MemorisationEntry(
            id=probe.id, source=probe.source, title=probe.title, copies=probe.copies, count_in_index=count,
            prompt=r.prompt, expected=r.expected, generated=r.generated, recited=r.recited,
            matched_tokens=r.matched_tokens,
        ))
    return entries


def by_rung(entries: Sequence[MemorisationEntry]) -> list[dict]:
    """Per number of copies: passages, how many were recited, and that share; fewest copies first."""
    rungs: dict[int, list[bool]] = {}
    for e in entries:
        rungs.setdefault(e.copies, []).append(e.recited)
    return [{"copies": c, "passages": len(r), "recited": sum(r), "share": round(sum(r) / len(r), 4)}
            for c, r in sorted(rungs.items())]


def by_checkpoint(
    model_dir: Path, corpus: Path, passages: Sequence[Passage] | None = None,
    *, probes: Sequence[Probe] | None = None, device: str | None = None,
    final: Sequence[MemorisationEntry] | None = None,
) -> list[dict]:
    """`by_rung` for every checkpoint of a model folder, in training order, the final model last.

    `final`: the entries already measured for the folder's own (final) model, reused as they are.
    """
    from glassbox.model.checkpoints import list_checkpoints
    from glassbox.model.loading import load_model

    probes = passage_probes(corpus, passages) if probes is None else probes
    out = []
    for ckpt in list_checkpoints(Path(model_dir)):
        if final is not None and Path(ckpt.path) == Path(model_dir):
            entries = final
        else:
            entries = memorisation(load_model(ckpt.path, device=device), corpus, probes=probes)
        out.append({"name": ckpt.name, "label": ckpt.label, "step": ckpt.step, "rungs": by_rung(entries)})
    return out
