"""The candidate training chunks an attribution scores, each marked with why it is in the pool.

Scoring every window of 7 M training tokens against one prediction is out of reach on a laptop's
CPU, so attribution scores a pool of about 200 chunks (windows of `CHUNK_TOKENS` tokens of training
documents, read from the corpus index) gathered from where influence is likely, plus a random sample
that measures how large a score is by chance:

- "span": chunks holding the longest stretches of the context that occur verbatim in the data;
- "continuation": chunks where the longest suffix of the context occurs followed by the token;
- "bm25": the best window of each of the context's BM25 neighbours (the index's own BM25), each
  with its place in BM25's ranking (`Chunk.bm25_rank`), so that the page can show it beside attribution's;
- "taught": the learner's taught sentences, each one document of its own;
- "random": a seeded sample of windows of random documents (the noise floor).

A chunk found by several routes keeps every reason. Leaves out: windows that cross a document's
end (training windows did, here each chunk is one document's), and scoring the whole corpus.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from glassbox.index.engine import CorpusIndex
from glassbox.model.tokenizer import EOS_ID

CHUNK_TOKENS = 48  # a few lines of text; scoring time grows with it (bench/bench_attribution.py)
SOURCES = ("span", "continuation", "bm25", "taught", "random")


@dataclass(frozen=True)
class PoolSizes:
    """How many chunks each route may bring (about 200 in all)."""

    span: int = 40
    continuation: int = 40
    bm25: int = 40
    random: int = 60
    bm25_docs: int = 200  # documents whose BM25 scores are compared (the best of the whole index)


@dataclass(frozen=True)
class Chunk:
    """One window of a training document (or a taught sentence), with where it came from."""

    doc_ix: int  # the document's place in the index; -1 for a taught sentence
    doc_id: str
    title: str
    domain: str
    token_ids: tuple[int, ...]
    sources: tuple[str, ...]
    bm25_rank: int | None = None  # its document's place among the context's BM25 neighbours (1: the most
    # similar; places stay those of the index's BM25 order); None when BM25 did not bring it

    @property
    def key(self) -> tuple[int, tuple[int, ...]]:
        return self.doc_ix, self.token_ids


def _chunk(doc: dict, token_ids: Sequence[int], source: str, bm25_rank: int | None = None) -> Chunk:
    meta = doc.get("meta", {})
    return Chunk(int(doc["doc_ix"]), str(meta.get("id", doc["doc_ix"])), str(meta.get("title", "")),
                 str(meta.get("domain", "")), tuple(int(t) for t in token_ids), (source,), bm25_rank)  # fmt: skip


def occurrences(index: CorpusIndex, ids: list[int], limit: int, source: str) -> list[Chunk]:
    """Up to `limit` windows around occurrences of `ids`, spread over all of them."""
    if not ids or limit <= 0:
        return []
    count, segments = index.find(ids)
    if not count:
        return []
    side = max(0, (CHUNK_TOKENS - len(ids)) // 2)
    docs = index.documents_at([(ids, segments)], limit, side)[0]
    return [_chunk(doc, doc["token_ids"][:CHUNK_TOKENS], source) for doc in docs]


def continuation_ids(index: CorpusIndex, context: list[int], token: int, longest: int = 12) -> list[int]:
    """The longest suffix of the context (up to `longest` tokens) that occurs followed by `token`,
    with the token; just the token when no suffix does, [] when the token never occurs."""
    for n in range(min(longest, len(context)), -1, -1):
        ids = [*context[len(context) - n :], token]
        if index.count_ids(ids):
            return ids
    return []


def span_ids(index: CorpusIndex, context: list[int], limit: int = 4, min_tokens: int = 2) -> list[list[int]]:
    """The longest stretches of the context found verbatim in the data (longest first, no repeats)."""
    ends = index.longest_matches(context)
    maximal = {(end - at, at) for at, end in enumerate(ends)
               if end - at >= min_tokens and (at == 0 or ends[at - 1] < end)}  # fmt: skip
    return [context[at : at + n] for n, at in sorted(maximal, reverse=True)[:limit]]


def best_window(token_ids: Sequence[int], wanted: set[int], weights: dict[int, float]) -> list[int]:
    """The window of CHUNK_TOKENS (by half-window steps) holding most of the wanted tokens, weighted."""
    if len(token_ids) <= CHUNK_TOKENS:
        return list(token_ids)
    marks = np.asarray([weights.get(t, 0.0) if t in wanted else 0.0 for t in token_ids])
    sums = np.convolve(marks, np.ones(CHUNK_TOKENS), mode="valid")
    starts = range(0, len(sums), CHUNK_TOKENS // 2)
    start = max(starts, key=lambda s: sums[s])
    return list(token_ids[start : start + CHUNK_TOKENS])


def bm25_chunks(index: CorpusIndex, text: str, context: list[int], sizes: PoolSizes) -> list[Chunk]:
    """The best window of each of the text's BM25 nearest documents, each with its place in that order."""
    docs = index.info.documents
    scores = index.bm25_scores(text, list(range(docs)))
    best = [int(i) for i in np.argsort(-scores, kind="stable")[: sizes.bm25] if scores[i] > 0]
    if not best:
        return []
    weights = {t: -float(index.unigram_logprob[t]) for t in set(context)}  # rare words count for more
    rank = {ix: k for k, ix in enumerate(best, start=1)}
    found = index.documents_by_ix(best, max_tokens=4096)
    return [_chunk(doc, best_window(doc["token_ids"], set(context), weights), "bm25", rank[int(doc["doc_ix"])])
            for doc in found]  # fmt: skip


def random_chunks(index: CorpusIndex, n: int, seed: int) -> list[Chunk]:
    """`n` windows at seeded random places: a random document, then a random window of it."""
    rng = np.random.default_rng(seed)
    picked = [int(i) for i in rng.integers(0, index.info.documents, n)]
    found = index.documents_by_ix(picked, max_tokens=4096)
    out = []
    for doc in found:
        ids = doc["token_ids"]
        start = int(rng.integers(0, max(1, len(ids) - CHUNK_TOKENS + 1)))
        out.append(_chunk(doc, ids[start : start + CHUNK_TOKENS], "random"))
    return out


def taught_chunks(tokenizer, sentences: Sequence[str]) -> list[Chunk]:
    """Each taught sentence as the document it was taught as (between two <|endoftext|>)."""
    out = []
    for k, sentence in enumerate(sentences):
        ids = (EOS_ID, *tokenizer(sentence, add_special_tokens=False)["input_ids"], EOS_ID)
        out.append(Chunk(-1, f"taught-{k + 1}", sentence, "taught", ids, ("taught",)))
    return out


def merge(chunks: list[Chunk]) -> tuple[Chunk, ...]:
    """The chunks in first-seen order, one per (document, tokens), each with all its sources (and its
    BM25 place, whichever of its finds had one)."""
    kept: dict[tuple, Chunk] = {}
    for c in chunks:
        if len(c.token_ids) < 2:
            continue
        have = kept.get(c.key)
        kept[c.key] = c if have is None else Chunk(
            have.doc_ix, have.doc_id, have.title, have.domain, have.token_ids,
            tuple(dict.fromkeys((*have.sources, *c.sources))),
            have.bm25_rank if have.bm25_rank is not None else c.bm25_rank,
        )  # fmt: skip
    return tuple(kept.values())


def build_pool(index: CorpusIndex, tokenizer, context: str, token: int, taught: Sequence[str] = (),
               seed: int = 0, sizes: PoolSizes = PoolSizes()) -> tuple[Chunk, ...]:
    """The candidate chunks for the prediction of `token` after `context` (see the module's docstring)."""
    ids = index.tokenize(context)
    chunks: list[Chunk] = []
    spans = span_ids(index, ids)
    for span in spans:
        chunks += occurrences(index, span, max(1, sizes.span // max(1, len(spans))), "span")
    chunks += occurrences(index, continuation_ids(index, ids, token), sizes.continuation, "continuation")
    chunks += bm25_chunks(index, context, ids, sizes)
    chunks += taught_chunks(tokenizer, taught)
    chunks += random_chunks(index, sizes.random, seed)
    return merge(chunks)
