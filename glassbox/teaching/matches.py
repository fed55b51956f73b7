"""Where a text repeats a learner's taught sentences word for word: tracing on a taught model.

A taught copy of the model was trained on the corpus and on the learner's sentences, so when a
text is traced on it, those sentences count as training documents of their own. `matches_in_sentences`
finds, for every token position of the text, the longest run of tokens that also occurs in one of
the sentences (tokenized with the same tokenizer, both as a document's first words and after a
space, the way they read inside a text), and keeps the maximal runs of at least `MIN_TOKENS`
tokens: a run inside an earlier one is dropped, as the corpus trace drops its spans. It is a plain
longest-common-run search: at most 5 sentences of 200 characters against one traced text.
Offsets are character offsets into the NFC form of the text, as the corpus trace's are.

Leaves out: counts (every sentence occurs `copies` times in the taught data, which the caller
knows) and the sentence-end and whole-word trimming of the corpus trace.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from glassbox.tokens import normalise

MIN_TOKENS = 2  # like the corpus trace's shortest span


@dataclass(frozen=True)
class SentenceMatch:
    """A stretch of the text found word for word in one of the learner's sentences."""

    start: int  # character offsets into the NFC text
    end: int
    text: str
    sentence: int  # which of the learner's sentences holds it (the first one that does)
    tokens: int  # its length in tokens


def _ids(tokenizer, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def _longest_at(ids: Sequence[int], i: int, holders: Sequence[Sequence[int]]) -> tuple[int, int]:
    """(length, holder index) of the longest run of `ids` from position `i` found in one of `holders`."""
    best, which = 0, -1
    for h, held in enumerate(holders):
        for j in range(len(held)):
            n = 0
            while i + n < len(ids) and j + n < len(held) and ids[i + n] == held[j + n]:
                n += 1
            if n > best:
                best, which = n, h
    return best, which


def runs_in(
    ids: Sequence[int], holders: Sequence[Sequence[int]], min_tokens: int = MIN_TOKENS
) -> list[tuple[int, int, int]]:
    """The maximal runs of `ids` that occur in one of `holders`: (first token, tokens, holder index),
    in text order, each at least `min_tokens` long and none inside an earlier one."""
    found, reach = [], 0
    for i in range(len(ids)):
        length, which = _longest_at(ids, i, holders)
        if length >= min_tokens and i + length > reach:
            found.append((i, length, which))
            reach = i + length
    return found


def matches_in_sentences(tokenizer, text: str, sentences: Sequence[str]) -> tuple[SentenceMatch, ...]:
    """The stretches of `text` that occur word for word in the learner's `sentences` (see the
    module's docstring), in text order."""
    text = normalise(text)
    if not text.strip():
        return ()
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = list(encoded["input_ids"]), list(encoded["offset_mapping"])
    holders, owners = [], []
    for n, sentence in enumerate(sentences):
        cleaned = normalise(sentence).strip()
        if not cleaned:
            continue
        for variant in (cleaned, " " + cleaned):  # a document's first words, and the same words inside a text
            holders.append(_ids(tokenizer, variant))
            owners.append(n)
    out = []
    for first, length, which in runs_in(ids, holders):
        start, end = offsets[first][0], offsets[first + length - 1][1]
        while start < end and text[start].isspace():  # a byte-level token carries the space before a word
            start += 1
        out.append(SentenceMatch(start, end, text[start:end], owners[which], length))
    return tuple(out)
