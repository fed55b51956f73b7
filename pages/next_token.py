"""Next token page: guess first (once per prompt), then see every candidate's probability; reshape
the distribution with temperature, top-k and top-p; build a continuation one token at a time."""

from __future__ import annotations

import streamlit as st

import ui
from glassbox import site
from glassbox.model.next_token import guess_rank, next_token_choice
from glassbox.model.sampling import Settings
from glassbox.tokens import decode_bytes
from ui import classroom as ui_classroom
from ui import lesson as ui_lesson
from ui import notebook as ui_notebook
from ui import planted as ui_planted
from ui import share as ui_share
from ui import tool as ui_tool
from ui.views import attribution as view_attr
from ui.views import next_token as view_next

NS = "next"
KEY_PROMPT, KEY_SEED, KEY_GUESS_FIRST = f"{NS}.prompt", f"{NS}.seed", f"{NS}.guess_first"

tool_area = ui_lesson.render("next_token", NS)


@ui_tool.tool
def tool() -> None:
    st.header(ui.tr("next.title"))
    default = ui.state_default(KEY_PROMPT, "Four score and seven years ago")
    ui.state_default(KEY_SEED, site.SEED.default)
    ui.state_default(KEY_GUESS_FIRST, True)
    ui_share.control(site.PROMPT, KEY_PROMPT)
    ui_share.control(site.SEED, KEY_SEED)
    prompt = ui.limit_text(
        st.text_area(
            ui.tr("common.prompt"), default, key=KEY_PROMPT, height=80, persist_state="session", bind=ui_share.BIND,
        disabled=ui.locked("prompt")
        )
        or ""
    )
    settings: Settings = view_next.settings_controls(NS)

    picked = view_next.continuation_for(NS, prompt)  # a new prompt: no tokens added, an empty guess box

    lm = ui.current_model()
    if lm is None or not prompt.strip():
        if lm is not None:
            st.info(ui.tr("next.empty"))
        return

    text = prompt + decode_bytes([lm.token_bytes(i) for i in picked])
    ui_planted.badge(text, NS)
    view_next.show_continuation(NS, lm, prompt, picked)

    logits = ui.guarded(ui.next_logits, text)  # the bars need the last position only
    if logits is None:
        return

    guess = view_next.guess_gate(NS, prompt)  # once per prompt: None while the bars wait for the reveal
    if guess is None:
        return

    choice = next_token_choice(lm, logits, settings)  # temperature applied once, for the bars and the guess
    # the guess was for the word after the prompt, so it is ranked only while nothing has been added
    highlight = None if picked else view_next.show_guess(guess_rank(lm, choice.probs, guess), guess)
    cands = choice.candidates
    with ui_classroom.beside_bars(text):  # a teacher with a class: the class's guesses beside the bars
        view_next.show_bars(NS, cands, highlight, kept=(choice.kept, len(choice.probs)))
    ui_notebook.note_next(text, settings, cands)
    view_attr.pushed(NS, text, [c.id for c in cands])  # which training passages pushed a bar's token

    view_next.continuation_builder(NS, cands, logits, settings, picked, KEY_SEED, lm, text)

with tool_area:
    tool()
