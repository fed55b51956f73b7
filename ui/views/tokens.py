"""The tokens view: a text as token chips with ids, counts, and the special tokens. A chip's colour
follows its token id, so the same token always has the same colour and a repeated token stands out
(the legend says so); different tokens may share one of the few colours.

Shared by the Tokens page and the Playground. Chips go through `ui_text.show_chips` (escaped).
"""

from __future__ import annotations

import streamlit as st

import ui
from glassbox.model.tokenizer import EOS_ID, EOS_TOKEN, PAD_ID, PAD_TOKEN
from glassbox.tokens import normalise, tokenize
from ui import chart as ui_chart
from ui import notebook as ui_notebook
from ui import text as ui_text

# The same sentence in English and Korean (our own sentences) to compare token cost.
PAIRS: tuple[tuple[str, str], ...] = (
    ("The weather is lovely today.", "오늘은 날씨가 참 좋네요."),
    ("Where is the nearest library?", "가장 가까운 도서관이 어디에 있나요?"),
    ("Language models read text as tokens.", "언어 모델은 글을 토큰 단위로 읽습니다."),
    ("I would like a cup of warm tea, please.", "따뜻한 차 한 잔 부탁드려요."),
)


@st.cache_data(show_spinner=False, max_entries=256)
def token_chips(tokens, text: str) -> list[ui_text.Chip]:
    """Chips for `glassbox.tokens.Token`s of `text`: id below, and for byte pieces the character;
    coloured by token id (the same token, the same colour)."""
    out = []
    for tok in tokens:
        whole = text[tok.start : tok.end]
        caption = str(tok.id)
        if "⟨" in tok.text and whole:
            caption = f"{tok.id} · {whole}"
        out.append(ui_text.Chip(tok.text, caption, ui.tr("tokens.chip_tip", id=tok.id, chars=whole), slot=tok.id))
    return out


def _tokens(src: str, text: str):
    lm = ui.cached_model(src)
    return tuple(tokenize(lm.tokenizer, text, lm.token_bytes))


def tokens_of(text: str):
    """Tokens of `text` (NFC) with the model in use's tokenizer (cached)."""
    ui.load_model(ui.source())
    return _tokens(ui.source(), normalise(text))


def counts(text: str, n_tokens: int) -> tuple[int, int, int]:
    return len(text), len(text.split()), n_tokens


def show_tokens(text: str) -> None:
    """Chips, counts and a table of the tokens of `text` (already cut to the limit)."""
    text = normalise(text)
    if not text:
        st.info(ui.tr("tokens.empty"))
        return
    tokens = ui.guarded(tokens_of, text)
    if tokens is None:
        return
    chars, words, n = counts(text, len(tokens))
    cols = st.columns(4)
    cols[0].metric(ui.tr("tokens.chars"), chars)
    cols[1].metric(ui.tr("tokens.words"), words)
    cols[2].metric(ui.tr("tokens.tokens"), n)
    cols[3].metric(ui.tr("tokens.per_word"), f"{n / words:.2f}" if words else "–")
    ui_text.show_chips(token_chips(tokens, text))
    ui_notebook.note_tokens(text, tokens)
    st.caption(ui.tr("tokens.legend"))
    with st.expander(ui.tr("tokens.table")):
        st.dataframe(
            [
                {
                    ui.tr("tokens.col_pos"): i,
                    ui.tr("tokens.col_id"): tok.id,
                    ui.tr("tokens.col_token"): tok.text,
                    ui.tr("tokens.col_chars"): text[tok.start : tok.end],
                }
                for i, tok in enumerate(tokens)
            ],
            hide_index=True,
        )


def show_pairs(ns: str) -> None:
    """English and Korean versions of the same sentences, with their token cost."""
    rows = []
    for en, ko in PAIRS:
        for name, sentence in ((ui.tr("tokens.english"), en), (ui.tr("tokens.korean"), ko)):
            tokens = ui.guarded(tokens_of, sentence)
            if tokens is None:
                return
            rows.append((f"{name}: {sentence}", *counts(sentence, len(tokens))))
    for en, ko in PAIRS:
        for col, sentence in zip(st.columns(2), (en, ko), strict=True):
            tokens = tokens_of(sentence)
            with col:
                st.markdown(f"{sentence} — **{ui.tr('tokens.pair_cost', n=len(tokens))}**")
                ui_text.show_chips(token_chips(tokens, sentence))
    ui_chart.chart("token_counts", rows, ui_chart.chart_labels("count"), key=f"{ns}.pairs_chart")


def show_special() -> None:
    st.markdown(ui.tr("tokens.special_text"))
    st.dataframe(
        [
            {ui.tr("tokens.col_token"): EOS_TOKEN, ui.tr("tokens.col_id"): EOS_ID, "": ui.tr("tokens.eos")},
            {ui.tr("tokens.col_token"): PAD_TOKEN, ui.tr("tokens.col_id"): PAD_ID, "": ui.tr("tokens.pad")},
        ],
        hide_index=True,
    )
    st.caption(ui.tr("tokens.document_start"))
