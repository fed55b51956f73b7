"""Safe rendering of user and corpus text: literal Markdown, token chips, marked-up text.

User and corpus text reaches HTML only through the functions here, which escape every piece.
Streamlit's Markdown also turns a free-standing "--" into "—" and "->", "<=", "~=" … into arrows
and signs, which would draw two different tokens alike; `md_escape` keeps them as typed. Chip
colours mean one thing: the same colour slot (on the Tokens page, the same token id).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

MD_SPECIAL = re.compile(r"[!-/:-@\[-`{-~]")  # all ASCII punctuation
# Streamlit's Markdown replaces "--", "->", "<-", "<->", ">=", "<=", "~=" standing between spaces with
# "—", "→", "←", "↔", "≥", "≤", "≈"; a word joiner (zero width) between such marks stops that.
TYPOGRAPHIC_PAIR = re.compile(r"(?<=[-<>~=])(?=[-<>~=])")
WORD_JOINER = "\u2060"
CHIP_COLOURS = ("#dbeafe", "#fde68a", "#bbf7d0", "#fbcfe8", "#ddd6fe", "#fed7aa")


def md_escape(text: str) -> str:
    """User or corpus text made literal inside Markdown (labels, messages): every ASCII
    punctuation mark is backslash-escaped, so no link, image, emphasis, colour or LaTeX, and no
    "--" drawn as "—" (nor "->" as an arrow): a zero-width word joiner keeps such marks apart."""
    text = TYPOGRAPHIC_PAIR.sub(WORD_JOINER, str(text))
    return MD_SPECIAL.sub(r"\\\g<0>", text).replace("\n", " ")


@dataclass(frozen=True)
class Chip:
    """One token chip: its readable text, a small caption under it, a tooltip, a colour slot."""

    text: str
    caption: str = ""
    tooltip: str = ""
    slot: int = 0
    muted: bool = False


def chips_html(chips: Sequence[Chip]) -> str:
    """Token chips as HTML; every piece of text is escaped here, so user text stays text."""
    parts = []
    for chip in chips:
        colour = "#e5e7eb" if chip.muted else CHIP_COLOURS[chip.slot % len(CHIP_COLOURS)]
        caption = f'<span style="display:block;font-size:0.7em;color:#374151">{html.escape(chip.caption)}</span>'
        parts.append(
            f'<span class="gb-chip" title="{html.escape(chip.tooltip, quote=True)}" '
            f'style="display:inline-block;margin:2px;padding:2px 6px;border-radius:6px;background:{colour};'
            f'font-family:monospace;color:#111827;text-align:center;white-space:pre">'
            f"{html.escape(chip.text)}{caption if chip.caption else ''}</span>"
        )
    return '<div class="gb-chips" style="line-height:2.2">' + "".join(parts) + "</div>"


def show_chips(chips: Sequence[Chip]) -> None:
    st.html(chips_html(chips))


def highlight_html(text: str, marks: Sequence[tuple[int, int, str]], title: str = "") -> str:
    """`text` with [start, end) ranges marked in the given colours; every piece is escaped."""
    out, pos = [], 0
    for start, end, colour in sorted(marks):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(
            f'<mark style="background:{html.escape(colour, quote=True)};padding:0 2px;border-radius:3px">'
            f"{html.escape(text[start:end])}</mark>"
        )
        pos = end
    out.append(html.escape(text[pos:]))
    tip = f' title="{html.escape(title, quote=True)}"' if title else ""
    return f'<div class="gb-text"{tip} style="white-space:pre-wrap;line-height:1.8">{"".join(out)}</div>'
