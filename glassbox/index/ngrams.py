"""Counting in the training corpus: phrase counts, the ∞-gram next-token distribution, novelty.

A phrase that does not begin with a space is counted in its word-start form (" phrase", as it
appears mid-sentence); `phrase_count` also reports the form without the space. Novelty takes texts
as tracing does (`glassbox.index.trace`: NFC, at most its token limit).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from glassbox.errors import GlassboxError
from glassbox.index.engine import CorpusIndex
from glassbox.index.trace import text_tokens
from glassbox.tokens import normalise, readable


@dataclass(frozen=True)
class PhraseCount:
    """How often a phrase occurs: as a word start (" phrase") and exactly as typed."""

    phrase: str
    count: int  # the word-start form's count (the typed form when it already starts with a space)
    word_start: int
    as_typed: int
    tokens: tuple[str, ...]  # readable tokens of the counted form

    def to_json(self) -> dict:
        return {**self.__dict__, "tokens": list(self.tokens)}


def phrase_count(index: CorpusIndex, phrase: str) -> PhraseCount:
    """Counts of both forms of a phrase (see the module notes on leading spaces)."""
    phrase = normalise(phrase)
    if not phrase.strip():
        raise GlassboxError("text_empty")
    typed = index.tokenize(phrase)
    spaced = typed if phrase[0].isspace() else index.tokenize(" " + phrase)
    word_start, as_typed = index.count_ids(spaced), index.count_ids(typed)
    shown = tuple(index.token_bytes.readable(i) for i in spaced)
    return PhraseCount(phrase, word_start, word_start, as_typed, shown)


def count(index: CorpusIndex, phrase: str) -> int:
    """Occurrences of the phrase in the training corpus, in its word-start form."""
    return phrase_count(index, phrase).count


@dataclass(frozen=True)
class NextTokenCount:
    id: int
    text: str  # readable token (␣ for a space); "<|endoftext|>" means the document ended there
    count: int
    prob: float

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class NgramDistribution:
    """The ∞-gram next-token distribution: what followed the longest suffix of the context seen in the corpus."""

    context: str
    suffix_tokens: int  # length of that suffix (0: no token of the context was ever seen: unigram counts)
    suffix_text: str
    suffix_count: int  # how often the suffix occurs
    candidates: tuple[NextTokenCount, ...]
    approx: bool  # counts estimated from a sample (very frequent suffix)

    def to_json(self) -> dict:
        return {**self.__dict__, "candidates": [c.to_json() for c in self.candidates]}


def next_token_distribution(index: CorpusIndex, context: str, top: int = 10) -> NgramDistribution:
    """The corpus's ∞-gram answer to "what comes next?" after `context`."""
    context = normalise(context)
    ids = index.tokenize(context)
    got = index.infgram(ids)
    n = int(got["suffix_len"])
    rows = sorted(got["result_by_token_id"].items(), key=lambda kv: (-kv[1]["cont_cnt"], kv[0]))[: max(0, top)]
    candidates = tuple(
        NextTokenCount(int(t), index.token_bytes.readable(int(t)), int(r["cont_cnt"]), float(r["prob"]))
        for t, r in rows
    )
    suffix = readable(b"".join(index.token_bytes(i) for i in ids[len(ids) - n :])) if n else ""
    return NgramDistribution(context, n, suffix, int(got["prompt_cnt"]), candidates, bool(got["approx"]))


@dataclass(frozen=True)
class Novelty:
    """How much of a text is made of long stretches found verbatim in the corpus."""

    tokens: int
    n: int
    covered_tokens: int  # tokens inside some corpus match of at least n tokens
    share: float  # covered_tokens / tokens
    longest_tokens: int
    longest_start: int
    longest_end: int
    longest_text: str

    def to_json(self) -> dict:
        return asdict(self)


def novelty(index: CorpusIndex, text: str, n: int = 8) -> Novelty:
    """Share of the text's tokens covered by corpus matches of ≥ n tokens, and the longest match."""
    if n < 1:
        raise GlassboxError("bad_setting", name="n", rule="at least 1", value=n)
    text, toks = text_tokens(index, text)
    reach = index.longest_matches([t.id for t in toks])
    covered = np.zeros(len(toks), dtype=bool)
    for i, r in enumerate(reach):
        if r - i >= n:
            covered[i:r] = True
    i = int(np.argmax([r - k for k, r in enumerate(reach)]))
    length = reach[i] - i
    a, b = (toks[i].start, toks[reach[i] - 1].end) if length else (0, 0)
    share = float(covered.mean())
    return Novelty(len(toks), n, int(covered.sum()), round(share, 4), length, a, b, text[a:b])
