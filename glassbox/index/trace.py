"""Which training documents hold the phrases of a text: OLMoTrace-style spans and their documents.

`trace` finds, for every position of the text's tokens that starts a word, the longest run of tokens
found verbatim in the corpus (infini-gram's longest-prefix search), shortened so it neither crosses
a sentence end (". ", "! ", "? ") or a newline nor cuts a word. Spans inside an earlier span are
dropped; what is left are the text's maximal matches, all kept in `Trace.matches` with their counts.
The most distinctive of them (lowest product of the tokens' corpus unigram probabilities), ⌈5% of
the tokens⌉ but at least 3, are `Trace.spans`, the ones a reader is shown first; each of those lists
up to `max_docs` documents with the match in context, reranked by BM25 (bm25s) relevance to the
whole text. The other matches get their documents on request (`with_documents`): reading them for
every match would make a trace about three times slower. Relevance is "high" for a score at least 2/3 of the best score
in the trace, "medium" from 1/3, else "low". Offsets are character offsets into the NFC form of the
text (what was tokenized). Counts, ∞-grams and novelty are `glassbox.index.ngrams`.
`traceable` takes the model's end-of-text mark out of a text before it is traced.
Left out: sampling of documents is spread over the suffix-array range, not random, and the number of
documents holding a match is known only when all its occurrences were read (`Span.documents`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace

import numpy as np

from glassbox.errors import GlassboxError
from glassbox.index.engine import CorpusIndex
from glassbox.tokens import char_offsets, normalise

MIN_SPAN_TOKENS = 2
SPAN_SHARE = 0.05
MIN_SPANS = 3
SNIPPET_CHARS = 150
CONTEXT_TOKENS = 48  # tokens fetched each side of a match; about SNIPPET_CHARS of English text
CANDIDATE_FACTOR = 2  # occurrences looked at per span, per document shown, before BM25 picks
MAX_TEXT_TOKENS = 1024  # the engine starts a thread per token position; longer texts are refused
LEVELS = ("low", "medium", "high")
SENTENCE_END = re.compile(r"[.!?](?=\s)")


@dataclass(frozen=True)
class DocMatch:
    """One training document holding a span, with the match shown in a snippet."""

    doc_id: str
    source: str
    domain: str
    title: str
    snippet: str
    match_start: int  # offsets of the match inside the snippet
    match_end: int
    relevance: str  # high | medium | low
    score: float  # BM25 relevance to the whole traced text

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Span:
    """A stretch of the text found verbatim in the corpus."""

    start: int
    end: int
    text: str
    count: int  # occurrences in the training corpus
    length_tokens: int
    distinctiveness: float  # -log10 of the product of its tokens' unigram probabilities
    docs: tuple[DocMatch, ...]
    distinctive: bool = True  # among the trace's most distinctive spans (`Trace.spans`)
    documents: int | None = None  # how many documents hold it, when every occurrence was read
    first_token: int = 0  # its first token's position among the traced text's tokens

    def to_json(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "docs"}
        return {**out, "docs": [d.to_json() for d in self.docs]}


@dataclass(frozen=True)
class Trace:
    """A traced text: its most distinctive spans and the merged ranges to highlight them, each with a
    relevance level, and every maximal match (the spans among them), in text order."""

    text: str
    spans: tuple[Span, ...]
    highlights: tuple[tuple[int, int, str], ...]
    tokens: int
    matches: tuple[Span, ...] = ()
    best_score: float = 0.0  # the best BM25 score among the spans' documents: the scale of relevance

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "tokens": self.tokens,
            "match_count": len(self.matches),
            "spans": [s.to_json() for s in self.spans],
            "matches": [s.to_json() for s in self.matches],
            "highlights": [{"start": a, "end": b, "level": lvl} for a, b, lvl in self.highlights],
        }


@dataclass(frozen=True)
class _Tok:
    id: int
    start: int
    end: int


def text_tokens(index: CorpusIndex, text: str) -> tuple[str, list[_Tok]]:
    """The NFC text and its tokens with character offsets (no readable renderings: not needed here),
    or a GlassboxError for empty text or text longer than tracing takes."""
    text = normalise(text)
    if not text.strip():
        raise GlassboxError("text_empty")
    ids = index.tokenize(text)
    if len(ids) > MAX_TEXT_TOKENS:
        raise GlassboxError("trace_too_long", tokens=len(ids), limit=MAX_TEXT_TOKENS)
    offsets = char_offsets(text, [index.token_bytes(i) for i in ids])
    return text, [_Tok(i, a, b) for i, (a, b) in zip(ids, offsets, strict=True)]


def traceable(text: str, marks: Iterable[str]) -> tuple[str, int]:
    """`text` without the tokenizer's special tokens (`marks`: its end-of-text mark and the like), and
    how many were taken out. They mark where a document ends and are no document's text, so they are
    not traced; one inside the text becomes a line break, which no span crosses."""
    found = 0
    for mark in marks:
        if mark and mark in text:
            found += text.count(mark)
            text = text.replace(mark, "\n")
    return (text.rstrip() if found else text), found


def _word_edges(text: str, toks) -> tuple[list[bool], list[bool]]:
    """starts[i]: a span may begin at token i; ends[j]: a span may end just before token j."""
    n = len(toks)
    starts, ends = [False] * n, [False] * (n + 1)
    for i, t in enumerate(toks):
        body = text[t.start : t.end]
        lead = len(body) - len(body.lstrip())
        p = t.start + lead
        shares_char = i > 0 and toks[i - 1].end > t.start  # a character split between two tokens
        if p < t.end and not shares_char:
            prev = text[p - 1] if p > 0 else " "
            starts[i] = prev.isspace() or (text[p].isalnum() and not prev.isalnum())  # not "," after a word
    for j in range(1, n + 1):
        last = toks[j - 1]
        if not text[last.start : last.end].strip() or (j < n and toks[j].start < last.end):
            continue
        after = text[last.end] if last.end < len(text) else " "
        ends[j] = after.isspace() or not (text[last.end - 1].isalnum() and after.isalnum())
    return starts, ends


def _crossing_counters(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Prefix counts of newlines and of the whitespace that follows a sentence end."""
    newline = np.zeros(len(text) + 1, dtype=np.int64)
    newline[1:] = np.cumsum([c == "\n" for c in text])
    after_end = np.zeros(len(text) + 1, dtype=np.int64)
    marks = np.zeros(len(text), dtype=np.int64)
    for m in SENTENCE_END.finditer(text):
        marks[m.start() + 1] = 1
    after_end[1:] = np.cumsum(marks)
    return newline, after_end


def find_spans(index: CorpusIndex, text: str, toks, ids: list[int], min_tokens: int = MIN_SPAN_TOKENS):
    """Maximal word-aligned, sentence-bounded token spans [i, j) found in the corpus."""
    starts, ends = _word_edges(text, toks)
    newline, after_end = _crossing_counters(text)
    reach = index.longest_matches(ids)
    spans: list[tuple[int, int]] = []
    last_end = 0
    for i, r in enumerate(reach):
        if not starts[i]:
            continue
        a = toks[i].start
        for j in range(r, i + min_tokens - 1, -1):
            b = toks[j - 1].end
            crosses = newline[b] > newline[a] or after_end[b] > after_end[a + 1]
            if ends[j] and not crosses:
                if j > last_end:
                    spans.append((i, j))
                    last_end = j
                break
    return spans


def _snippet(index: CorpusIndex, doc: dict, needle_len: int) -> tuple[str, int, int]:
    ids, at = doc["token_ids"], doc["needle_offset"]

    def text_of(part: list[int]) -> str:
        return b"".join(index.token_bytes(i) for i in part).decode("utf-8", errors="ignore")

    before, match, after = text_of(ids[:at]), text_of(ids[at : at + needle_len]), text_of(ids[at + needle_len :])
    stripped = match.lstrip()
    before, match = before + match[: len(match) - len(stripped)], stripped
    if len(before) > SNIPPET_CHARS:
        before = "…" + before[-SNIPPET_CHARS:]
    if len(after) > SNIPPET_CHARS:
        after = after[:SNIPPET_CHARS] + "…"
    return before + match + after, len(before), len(before) + len(match)


def relevance_level(score: float, best: float) -> str:
    if best <= 0:
        return "low"
    return LEVELS[min(2, int(3 * score / best))]


def _read_documents(index: CorpusIndex, ids: list[int], bounds: list[tuple[int, int]], max_docs: int) -> list:
    """For each [i, j): its count, its documents (first occurrence in each, up to 2·max_docs of them
    read) and the number of documents holding it when every occurrence was read (else None)."""
    limit = CANDIDATE_FACTOR * max_docs
    finds = [index.find(ids[i:j]) for i, j in bounds]
    docs_at = index.documents_at([(ids[i:j], f[1]) for (i, j), f in zip(bounds, finds, strict=True)], limit,
                                 CONTEXT_TOKENS)  # fmt: skip
    out = []
    for (count, _), docs in zip(finds, docs_at, strict=True):
        unique = list({d["doc_ix"]: d for d in reversed(docs)}.values())[::-1]  # first occurrence per document
        out.append((count, unique, len(unique) if count <= limit else None))
    return out


def _doc_matches(index: CorpusIndex, docs: list, needle_len: int, scores: dict, best: float, max_docs: int):
    docs = sorted(docs, key=lambda d: (-scores[d["doc_ix"]], d["doc_ix"]))[:max_docs]
    shown = []
    for d in docs:
        snippet, ms, me = _snippet(index, d, needle_len)
        meta, score = d["meta"], scores[d["doc_ix"]]
        shown.append(
            DocMatch(str(meta.get("id", d["doc_ix"])), meta.get("source", ""), meta.get("domain", ""),
                     meta.get("title", ""), snippet, ms, me, relevance_level(score, best), round(score, 4))  # fmt: skip
        )
    return tuple(shown)


def trace(index: CorpusIndex, text: str, max_docs: int = 10) -> Trace:
    """Every maximal span of `text` found verbatim in the training corpus, with its count; the most
    distinctive of them also with the documents that hold them."""
    text, toks = text_tokens(index, text)
    ids = [t.id for t in toks]
    found = find_spans(index, text, toks, ids)
    logp = index.unigram_logprob
    scored = sorted(found, key=lambda s: float(logp[ids[s[0] : s[1]]].sum()))
    chosen = sorted(scored[: max(math.ceil(SPAN_SHARE * len(ids)), MIN_SPANS)])
    read = dict(zip(chosen, _read_documents(index, ids, chosen, max_docs), strict=True))
    doc_ixs = sorted({d["doc_ix"] for _, docs, _ in read.values() for d in docs})
    scores = dict(zip(doc_ixs, index.bm25_scores(text, doc_ixs).tolist(), strict=True))
    best = max(scores.values(), default=0.0)
    matches = []
    for i, j in found:
        if (i, j) in read:
            count, docs, holding = read[(i, j)]
            shown = _doc_matches(index, docs, j - i, scores, best, max_docs)
        else:
            count, shown, holding = index.count_ids(ids[i:j]), (), None
        a, b = toks[i].start, toks[j - 1].end
        a += len(text[a:b]) - len(text[a:b].lstrip())
        distinct = -float(logp[ids[i:j]].sum()) / math.log(10)
        matches.append(Span(a, b, text[a:b], count, j - i, round(distinct, 3), shown, (i, j) in read, holding, i))
    spans = [s for s in matches if s.distinctive]
    return Trace(text, tuple(spans), merge_highlights(spans), len(ids), tuple(matches), best)


def with_documents(index: CorpusIndex, traced: Trace, span: Span, max_docs: int = 10) -> Span:
    """`span` (one of `traced.matches`) with its documents, their relevance on the trace's scale."""
    if span.docs:
        return span
    ids = [t.id for t in text_tokens(index, traced.text)[1]]
    bounds = (span.first_token, span.first_token + span.length_tokens)
    ((_, docs, holding),) = _read_documents(index, ids, [bounds], max_docs)
    doc_ixs = [d["doc_ix"] for d in docs]
    scores = dict(zip(doc_ixs, index.bm25_scores(traced.text, doc_ixs).tolist(), strict=True))
    best = max(traced.best_score, *scores.values(), 0.0)
    shown = _doc_matches(index, docs, span.length_tokens, scores, best, max_docs)
    return replace(span, docs=shown, documents=holding)


def merge_highlights(spans: list[Span]) -> tuple[tuple[int, int, str], ...]:
    """Overlapping spans merged into ranges; each takes the best relevance among its spans' documents."""
    out: list[list] = []
    for s in sorted(spans, key=lambda s: (s.start, s.end)):
        level = max((LEVELS.index(d.relevance) for d in s.docs), default=0)
        if out and s.start < out[-1][1]:
            out[-1][1] = max(out[-1][1], s.end)
            out[-1][2] = max(out[-1][2], level)
        else:
            out.append([s.start, s.end, level])
    return tuple((a, b, LEVELS[lvl]) for a, b, lvl in out)
