"""Next token page: guess first, then see every candidate's probability; reshape the
distribution with temperature, top-k and top-p; build a continuation one token at a time."""

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
from ui.views import next_token as view_next

NS = "next"
KEY_PROMPT, KEY_SEED, KEY_GUESS = f"{NS}.prompt", f"{NS}.seed", f"{NS}.guess"
KEY_GUESS_FIRST, KEY_REVEALED = f"{NS}.guess_first", f"{NS}.revealed"
KEY_PICKED, KEY_PICKED_FOR = f"{NS}.picked", f"{NS}.picked_for"

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

    # The continuation built so far belongs to this prompt; a new prompt starts it afresh.
    if st.session_state.get(KEY_PICKED_FOR) != prompt:
        st.session_state[KEY_PICKED_FOR] = prompt
        st.session_state[KEY_PICKED] = []
    picked: list[int] = st.session_state[KEY_PICKED]

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

    # Predict, then reveal: the bars stay hidden until the learner has guessed.
    guess_first = st.toggle(ui.tr("next.guess_first"), key=KEY_GUESS_FIRST, persist_state="session")
    revealed = not guess_first or st.session_state.get(KEY_REVEALED) == text
    guess = st.text_input(ui.tr("next.guess"), key=KEY_GUESS, max_chars=40, disabled=revealed and guess_first)
    if not revealed:
        st.caption(ui.tr("next.guess_hint"))
        if st.button(ui.tr("next.reveal"), key=f"{NS}.reveal_button", type="primary"):
            st.session_state[KEY_REVEALED] = text
            st.rerun()
        return

    choice = next_token_choice(lm, logits, settings)  # temperature applied once, for the bars and the guess
    found = guess_rank(lm, choice.probs, guess or "")
    highlight = view_next.show_guess(found, guess or "")
    cands = choice.candidates
    with ui_classroom.beside_bars(text):  # a teacher with a class: the class's guesses beside the bars
        view_next.show_bars(NS, cands, highlight, kept=(choice.kept, len(choice.probs)))
    ui_notebook.note_next(text, settings, cands)

    view_next.continuation_builder(NS, cands, logits, settings, picked, KEY_SEED)

with tool_area:
    tool()
