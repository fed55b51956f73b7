"""How text breaks into lines on every page, in normal and presenter mode.

Korean is written with spaces between words, but a browser breaks Hangul between any two syllables
by default ("토크/나이저"); `word-break: keep-all` keeps each word whole and breaks only at spaces
and punctuation. In both languages a run of text too long for its line (a long token, a URL) may
still break anywhere, so that nothing runs past its box. Font sizes and layout are left to
`ui.present` and Streamlit's theme; chart text (SVG) is plotly's and is not affected.
"""

from __future__ import annotations

import streamlit as st

# Text in Markdown (lesson text, captions, alerts, labels) breaks a too-long run anywhere.
WRAP_LONG = '[data-testid="stMarkdownContainer"] { overflow-wrap: anywhere; }'
# Korean: lines break between words only. Set on every element, over Streamlit's own
# `p { word-break: break-word }`, which would otherwise break Hangul between any two syllables.
KEEP_WORDS = '[data-testid="stApp"] * { word-break: keep-all !important; }'


def css(lang: str) -> str:
    """The style block for a page in `lang` ("en" or "ko")."""
    rules = [WRAP_LONG] + ([KEEP_WORDS] if lang == "ko" else [])
    return "<style>\n" + "\n".join(rules) + "\n</style>"


def text_style(lang: str) -> None:
    """Put the line-breaking style for `lang` on the page (app.py, once per run, after the language
    is known)."""
    st.html(css(lang))
