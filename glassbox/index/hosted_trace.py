"""OLMoTrace's procedure over the hosted infini-gram service, for models whose training data is
indexed there (the full-size OLMoE): which stretches of a text occur word for word in it, and where.

The steps follow OLMoTrace (Liu et al., 2025), with the service's queries in place of its engine:
1. Maximal spans. For every word end j of the text, one `infgram_ntd` query over the text from its
   sentence's start to j answers the longest stretch ending at j that the corpus holds
   (`longest_suffix`). Moved forward to a word's start, that is the same set of maximal spans as
   OLMoTrace's longest match per start position (a stretch that occurs cannot be lengthened at
   either end), in one request per word where a start-position search takes a binary search of
   `count`s each. Spans are whole words (`\\S+`), at least `MIN_WORDS`, inside one sentence (a
   sentence end, ". " "! " "? ", or a newline may close a span, never lie inside it); spans inside
   longer ones are dropped.
2. The rarest kept: each span's unigram probability is the product of its words' (`count` of the
   word over the corpus's token total, the count of the empty query); the ⌈5 %⌉ of the text's
   words, at least 3 (`glassbox.index.trace`'s SPAN_SHARE and MIN_SPANS), with the lowest are kept.
3. Documents: `find` each kept span, then `get_doc_by_rank` for `DOCS_PER_SPAN` occurrences spread
   evenly over all of them (OLMoTrace samples ten at random; a few are shown here).
4. BM25 (the index's own, `engine.bm25_scores_of`) ranks every document fetched against the whole
   text (the prompt and what the model wrote), and gives each the relevance level the local trace
   gives ("high" from 2/3 of the best score, "medium" from 1/3, else "low"); overlapping spans merge
   into one highlight (`trace.merge_highlights`).
Only the first `MAX_WORDS` words are searched, so a trace sends at most `max_requests()` requests
(requests run `WORKERS` at a time) and gives up after `DEADLINE_S` seconds in all; every answer is
cached (`glassbox.index.hosted_cache`), so tracing the same text again asks nothing.
The result reuses the local trace's Span and DocMatch (a document's title and kind of text are not
known: its number in the index is its title, and its metadata's source or path its source).
Counting words instead of Llama-2 tokens is a simplification.
"""

from __future__ import annotations

import math
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from glassbox.errors import GlassboxError
from glassbox.index.engine import bm25_scores_of
from glassbox.index.hosted import HostedDoc, HostedIndex, HostedSpan
from glassbox.index.trace import (
    MIN_SPANS,
    SNIPPET_CHARS,
    SPAN_SHARE,
    DocMatch,
    Span,
    Trace,
    merge_highlights,
    relevance_level,
)
from glassbox.tokens import check_unicode, normalise

MAX_WORDS = 64
MIN_WORDS = 2
DOCS_PER_SPAN = 3
WORKERS = 8
DEADLINE_S = 30.0
DISPLAY_TOKENS = 80  # tokens of each document shown around the match
ASSUMED_TOKENS = 10**12  # a corpus size of the full models' order, for a service that will not count the empty query
WORD = re.compile(r"\S+")
SENTENCE_END = re.compile(r"[.!?]$")


def max_requests(words: int = MAX_WORDS) -> int:
    """The most requests one trace sends: the corpus's size, a span search and a word count per word,
    a `find` and the documents per kept span, and a quarter more for retries."""
    planned = 1 + 2 * words + kept_spans(words) * (1 + DOCS_PER_SPAN)
    return planned + planned // 4


def kept_spans(words: int) -> int:
    return max(MIN_SPANS, math.ceil(SPAN_SHARE * words))


@dataclass(frozen=True)
class HostedTrace:
    """A text traced against a hosted index: the kept spans with their documents (`trace.spans`,
    also `trace.matches`), how many maximal spans were found, and how much of the text was searched."""

    index: str
    trace: Trace
    found: int  # maximal spans found, before the rarest were kept
    words: int  # words in the text
    searched_words: int  # the first words searched (at most MAX_WORDS)
    requests: int  # requests this trace sent (0 when every answer came from the cache)

    def to_json(self) -> dict:
        return {"index": self.index, "found": self.found, "words": self.words, "searched_words": self.searched_words,
                "requests": self.requests, **self.trace.to_json()}  # fmt: skip


def _corpus_tokens(client: HostedIndex) -> int:
    """The corpus's token total (the count of the empty query); `ASSUMED_TOKENS` where the service
    refuses that query (only the ranking of spans of different lengths leans on it)."""
    try:
        return max(client.total_tokens(), 1)
    except GlassboxError as err:
        if err.code != "hosted_failed":
            raise
        return ASSUMED_TOKENS


def _words(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in WORD.finditer(text)]


def _sentence_starts(text: str, words: list[tuple[int, int]]) -> list[int]:
    """For each word, the first word of its sentence (a new one after a sentence end or a newline)."""
    first, out = 0, []
    for k, (a, _) in enumerate(words):
        if k and (SENTENCE_END.search(text[words[k - 1][0] : words[k - 1][1]]) or "\n" in text[words[k - 1][1] : a]):
            first = k
        out.append(first)
    return out


def _longest_ending(client: HostedIndex, text: str, words, first: int, j: int) -> tuple[int, int] | None:
    """The longest span of whole words ending with word j (inside its sentence) that the corpus holds."""
    lead = words[first][0]
    query = text[lead : words[j][1]]
    suffix = client.next_tokens(query, top=1).longest_suffix
    at = next((len(query) - len(s) for s in (suffix, suffix.strip()) if s and query.endswith(s)), None)
    i = None if at is None else next((k for k in range(first, j + 1) if words[k][0] >= lead + at), None)
    return None if i is None or j - i + 1 < MIN_WORDS else (i, j)


def maximal(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans (first word, last word) not inside another one, in text order."""
    out, reach = [], -1
    for i, j in sorted(set(found), key=lambda s: (s[0], -s[1])):
        if j > reach:
            out.append((i, j))
            reach = j
    return out


def _snippet(doc: HostedDoc) -> tuple[str, int, int]:
    """The document's text around the match, cut to SNIPPET_CHARS each side."""
    if doc.match_start < 0:
        return doc.text[: 2 * SNIPPET_CHARS], 0, 0
    a, b = doc.match_start, doc.match_end
    before, match, after = doc.text[:a], doc.text[a:b], doc.text[b:]
    before = "…" + before[-SNIPPET_CHARS:] if len(before) > SNIPPET_CHARS else before
    after = after[:SNIPPET_CHARS] + "…" if len(after) > SNIPPET_CHARS else after
    return before + match + after, len(before), len(before) + len(match)


def trace(client: HostedIndex, text: str, query: str | None = None) -> HostedTrace:
    """OLMoTrace's spans and documents of `text` in `client`'s hosted index (see the module's
    docstring); BM25 ranks the documents against `query` (default: the text itself)."""
    text = normalise(check_unicode(text))
    if not text.strip():
        raise GlassboxError("text_empty")
    words = _words(text)
    searched = words[:MAX_WORDS]
    job = client.bounded(max_requests(len(searched)), DEADLINE_S)
    starts = _sentence_starts(text, searched)
    ends = [j for j in range(len(searched)) if j - starts[j] + 1 >= MIN_WORDS]
    size = _corpus_tokens(job)  # first and alone: an offline service costs one request, not one per worker
    with ThreadPoolExecutor(WORKERS) as pool:
        spans = maximal([s for s in pool.map(lambda j: _longest_ending(job, text, searched, starts[j], j), ends) if s])
        vocab = sorted({text[a:b] for i, j in spans for a, b in searched[i : j + 1]})
        counts = dict(zip(vocab, pool.map(lambda w: job.count(w).count, vocab), strict=True))
        rarity = {s: -sum(math.log10(max(counts[text[a:b]], 1) / size) for a, b in searched[s[0] : s[1] + 1])
                  for s in spans}  # fmt: skip
        kept = sorted(sorted(spans, key=lambda s: -rarity[s])[: kept_spans(len(searched))])
        located = list(pool.map(lambda s: job.locate_one(text[searched[s[0]][0] : searched[s[1]][1]], DOCS_PER_SPAN,
                                                         DISPLAY_TOKENS), kept))  # fmt: skip
    documents = [d for found in located for d in found.docs]
    scores = bm25_scores_of(query or text, [d.text for d in documents]).tolist()
    best = max(scores, default=0.0)
    score_of = {id(d): s for d, s in zip(documents, scores, strict=True)}
    shown = [_span(text, searched, s, found, rarity[s], score_of, best) for s, found in zip(kept, located, strict=True)
             if found.count > 0]  # fmt: skip
    result = Trace(text, tuple(shown), merge_highlights(shown), len(words), tuple(shown), best)
    return HostedTrace(client.index, result, len(spans), len(words), len(searched), job.sent)


def _span(text: str, words, bounds: tuple[int, int], found: HostedSpan, rarity: float, score_of: dict,
          best: float) -> Span:  # fmt: skip
    docs = []
    for doc in sorted(found.docs, key=lambda d: -score_of[id(d)]):
        snippet, ms, me = _snippet(doc)
        score = score_of[id(doc)]
        docs.append(DocMatch(str(doc.doc_ix), doc.source, "", f"#{doc.doc_ix}", snippet, ms, me,
                             relevance_level(score, best), round(score, 4)))  # fmt: skip
    a, b = words[bounds[0]][0], words[bounds[1]][1]
    length = found.tokens or bounds[1] - bounds[0] + 1
    return Span(a, b, text[a:b], found.count, length, round(rarity, 3), tuple(docs), True, None, bounds[0])
