"""The passages of an attribution as cards, for the "Which documents pushed this?" view
(`ui.views.attribution`): grouped, ranked and drawn two ways.

- `passages` / `card`: attribution's ranking. Identical texts grouped ("and 7 more copies"); each
  card has its rank, document, kind of text, a badge when it holds the learner's words verbatim,
  its score as a multiple of the noise floor, and "the passage that matters" marked: the tokens
  that carried most of the push (every token with at least half the largest share strongly, a
  fifth lightly). The learner's taught sentences are "your sentence".
- `neighbours` / `neighbour_card`: BM25's ranking of the same pool (the documents sharing the most
  words with the context, `Attribution.by_bm25`), grouped the same way, each compact card with the
  start of its text and where attribution put it (its multiple and rank), so the two can be compared.

Leaves out: the chart and the captions (the view draws them), and BM25's own scores (its order is
what the comparison needs).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import streamlit as st

import ui
from glassbox.tokens import decode_shown
from ui import domains as ui_domains
from ui import text as ui_text

STRONG, LIGHT = 0.5, 0.2  # a token's share of the largest share: marked strongly, lightly
YOURS = "taught"  # the pool's source (and domain) of a taught sentence
SNIPPET = 200  # characters of a BM25 neighbour's text shown (cut at a word)


@dataclass(frozen=True)
class Passage:
    """Identical passages of the pool, grouped: the first of them, its rank, how many, and every
    route that found one of them."""

    rank: int
    first: object  # glassbox.attribution.attribute.Scored
    copies: int
    sources: tuple[str, ...]
    holds_span: bool

    @property
    def yours(self) -> bool:
        return YOURS in self.sources


@dataclass(frozen=True)
class Neighbour:
    """Identical passages among BM25's neighbours, grouped: BM25's rank of the first of them, how
    many, and the same passage in attribution's ranking."""

    rank: int
    first: object  # glassbox.attribution.attribute.Scored
    copies: int
    pushed: Passage


def passages(chunks: Sequence) -> list[Passage]:
    """The scored chunks (highest first) grouped by their text, ranked in that order."""
    from glassbox.attribution.attribute import grouped_by_text

    return [
        Passage(rank, group[0], len(group), tuple(dict.fromkeys(s for c in group for s in c.chunk.sources)),
                any(c.holds_span for c in group))  # fmt: skip
        for rank, group in enumerate(grouped_by_text(chunks), start=1)
    ]


def neighbours(by_bm25: Sequence, found: Sequence[Passage]) -> list[Neighbour]:
    """BM25's chunks (its order: `Attribution.by_bm25()`) grouped by their text, ranked in that order,
    each with its passage among `found` (`passages` of all the chunks)."""
    from glassbox.attribution.attribute import grouped_by_text

    pushed = {p.first.text: p for p in found}
    return [Neighbour(rank, group[0], len(group), pushed[group[0].text])
            for rank, group in enumerate(grouped_by_text(by_bm25), start=1)]  # fmt: skip


def marked_text(pieces: Sequence[bytes], shares: Sequence[float]) -> tuple[str, list[tuple[int, int, str]]]:
    """A passage's text from its tokens' bytes and the marks of "the passage that matters": each
    token's share of the push (`shares[k]` is `pieces[k]`'s) against the largest one. A character
    split between tokens is marked whole, at its most marked token's level; parts of characters cut
    at the window's two ends are left out (never shown as bytes)."""
    from glassbox.charts import LEVEL_COLOURS

    top = max(shares, default=0.0)

    def level(share: float) -> int:
        if top <= 0 or share < LIGHT * top:
            return -1
        return 2 if share >= STRONG * top else 0

    units: list[list] = []  # [bytes, level]: whole characters (a token may hold a part of one)
    for lv, piece in zip(map(level, shares), pieces, strict=True):
        if units and piece[:1] and _continues(piece[0]):
            units[-1] = [units[-1][0] + piece, max(units[-1][1], lv)]
        else:
            units.append([piece, lv])
    if units:  # the parts of characters cut at the window's two ends lie in its first and last unit
        start, end = _whole(b"".join(u[0] for u in units))
        cut = sum(len(u[0]) for u in units) - end
        units[-1][0] = units[-1][0][: len(units[-1][0]) - cut]
        units[0][0] = units[0][0][start:]
    text, marks = "", []
    for lv, run in itertools.groupby(((lv, piece) for piece, lv in units), key=lambda x: x[0]):
        part = decode_shown([piece for _, piece in run])
        if lv >= 0 and part:
            marks.append((len(text), len(text) + len(part), LEVEL_COLOURS[lv]))
        text += part
    return text, marks


def _continues(byte: int) -> bool:
    """Whether a UTF-8 byte goes on with a character begun before it."""
    return 0x80 <= byte < 0xC0


def _whole(data: bytes) -> tuple[int, int]:
    """(start, end) of `data` without the parts of characters cut at its two ends: a passage is a
    window of a document's tokens, and a token may hold part of a character."""
    start = 0
    while start < min(len(data), 3) and _continues(data[start]):
        start += 1
    for i in range(len(data) - 1, max(start, len(data) - 4) - 1, -1):
        if not _continues(data[i]):
            length = 1 if data[i] < 0xC0 else 2 if data[i] < 0xE0 else 3 if data[i] < 0xF0 else 4
            return start, (i if i + length > len(data) else len(data))
    return start, len(data)


def snippet(text: str, limit: int = SNIPPET) -> str:
    """The start of a passage's text: up to `limit` characters, cut at a word, "…" when cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(None, 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip() + "…"


def title(p: Passage) -> str:
    if p.yours:
        return ui.tr("pushed.yours_title", n=p.first.chunk.doc_id.rsplit("-", 1)[-1])
    return p.first.chunk.title or p.first.chunk.doc_id


def domain(p: Passage) -> str:
    return ui.tr("pushed.yours") if p.yours else ui_domains.name(p.first.chunk.domain)


def found_by(p: Passage) -> str:
    return ", ".join(ui.tr(f"pushed.found_{s}") for s in p.sources)


def _copies(n: int) -> None:
    if n > 1:
        st.caption(ui.tr("pushed.copy") if n == 2 else ui.tr("pushed.copies", n=n - 1))


def card(p: Passage, pieces: Callable[[int], bytes], special: set[int]) -> None:
    """One passage: rank, document, kind of text, badges, its text with the push marked."""
    chunk = p.first.chunk
    kept = [(t, share) for t, share in zip(chunk.token_ids, (0.0, *p.first.token_scores), strict=True)
            if t not in special]  # fmt: skip
    text, marks = marked_text([pieces(t) for t, _ in kept], [share for _, share in kept])
    head = [f"**{p.rank}\\. {ui_text.md_escape(title(p))}**", f":gray-badge[{ui_text.md_escape(domain(p))}]"]
    if p.holds_span:
        head.append(f":green-badge[{ui_text.md_escape(ui.tr('pushed.verbatim'))}]")
    if p.yours:
        head.append(f":green-badge[{ui_text.md_escape(ui.tr('pushed.yours'))}]")
    head.append(ui.tr("pushed.ratio", ratio=f"{p.first.ratio:.1f}"))
    with st.container(border=True):
        st.markdown(" · ".join(head))
        lead = len(text) - len(text.lstrip("\n"))  # a window that starts at a line break: not an empty line
        st.html(ui_text.highlight_html(text[lead:].rstrip("\n"), [(a - lead, b - lead, c) for a, b, c in marks]))
        _copies(p.copies)


def neighbour_card(n: Neighbour, pieces: Callable[[int], bytes], special: set[int]) -> None:
    """One of BM25's passages, compact: rank, document, kind of text, the start of its text, and
    attribution's multiple and rank for it."""
    chunk = n.first.chunk
    data = b"".join(pieces(t) for t in chunk.token_ids if t not in special)
    text = decode_shown([data[slice(*_whole(data))]])
    with st.container(border=True):
        st.markdown(f"**{n.rank}\\. {ui_text.md_escape(chunk.title or chunk.doc_id)}** · "
                    f":gray-badge[{ui_text.md_escape(ui_domains.name(chunk.domain))}]")  # fmt: skip
        st.html(ui_text.highlight_html(snippet(text), []))
        st.caption(ui.tr("pushed.bm25_ratio", ratio=f"{n.pushed.first.ratio:.1f}", rank=n.pushed.rank))
        _copies(n.copies)
