"""Searching the training documents, for the About page's document browser: BM25 relevance over
the index's own documents (exactly the training data), or every document in index order when
no words are given; a document's text is read back from the index itself.

The catalogue (id, title, domain, source, length of every document) is read from the index once
per opened index and shared read-only.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np

from glassbox.index.engine import CorpusIndex
from glassbox.tokens import decode_bytes


@dataclass(frozen=True)
class CatalogueEntry:
    doc_ix: int  # the document's place in the index
    id: str
    title: str
    domain: str
    source: str
    tokens: int


@dataclass(frozen=True)
class DocumentSearch:
    query: str
    domain: str  # "" for every domain
    hits: tuple[CatalogueEntry, ...]  # most relevant first (index order without a query)


_CATALOGUES: weakref.WeakKeyDictionary[CorpusIndex, tuple[CatalogueEntry, ...]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def catalogue(index: CorpusIndex) -> tuple[CatalogueEntry, ...]:
    """Every document of the index, in index order (read once per opened index)."""
    with _LOCK:
        found = _CATALOGUES.get(index)
        if found is None:
            total = int(index.engine.get_total_doc_cnt())
            entries = []
            for doc in index.documents_by_ix(list(range(total))):
                meta = doc["meta"]
                entries.append(CatalogueEntry(
                    int(doc["doc_ix"]), str(meta.get("id", "")), str(meta.get("title", "")),
                    str(meta.get("domain", "")), str(meta.get("source", "")), int(doc["doc_len"]),
                ))  # fmt: skip
            found = _CATALOGUES[index] = tuple(entries)
    return found


def domains(index: CorpusIndex) -> tuple[str, ...]:
    """The domains the training documents come from, in the order they first appear."""
    return tuple(dict.fromkeys(entry.domain for entry in catalogue(index)))


def search_documents(index: CorpusIndex, query: str, domain: str = "") -> DocumentSearch:
    """Documents relevant to `query` (BM25 over their text, or a title holding it), best first;
    without a query, every document. `domain` keeps one domain only."""
    entries = catalogue(index)
    query = query.strip()
    if domain:
        entries = tuple(e for e in entries if e.domain == domain)
    if not query:
        return DocumentSearch(query, domain, entries)
    scores = index.bm25_scores(query, [e.doc_ix for e in entries]) if entries else np.zeros(0)
    needle = query.casefold()
    titled = np.array([needle in e.title.casefold() for e in entries], dtype=bool)
    ranked = scores + titled * (scores.max(initial=0.0) + 1.0)  # a title match ranks first
    order = [i for i in np.argsort(-ranked, kind="stable") if ranked[i] > 0]
    return DocumentSearch(query, domain, tuple(entries[i] for i in order))


def document_text(index: CorpusIndex, doc_ix: int, max_tokens: int | None = None) -> str:
    """A document's text as the index holds it (its tokens decoded; at most `max_tokens` of them)."""
    length = next(e.tokens for e in catalogue(index) if e.doc_ix == doc_ix)
    doc = index.documents_by_ix([doc_ix], max_tokens if max_tokens is not None else length)[0]
    return decode_bytes([index.token_bytes(int(i)) for i in doc["token_ids"]])
