"""Presenter mode, for a projector: large type, no sidebar (pages are listed along the top),
the lesson one step at a time in a column that stays in view beside the tool (its Next button
always on screen), and the controls a teacher locked shown read-only. Charts keep their own sizes
(their fonts are set for a projector already); narrower windows than 1400x900 are not laid out
for here.

Presenter mode and the locks are kept in the URL (`present=1`, `lock=prompt,temperature`), so
the same link opens the same projected view; learners opening a link with locks get them too.
Presenter mode starts clean: the lesson's prediction and quiz show unanswered to the room, whatever
the teacher answered while rehearsing (`start_clean`).
"""

from __future__ import annotations

import streamlit as st

import ui
from glassbox.site import LOCKABLE
from ui import share as ui_share
from ui import text as ui_text

KEY_PRESENT = "frame.present"
KEY_PRESENT_KEPT = "frame.present_kept"  # a plain copy: widget state can be dropped on a page change
KEY_LOCKS_WIDGET = "frame.locks_widget"

# Our own style for the projector, at 1400x900 and up. Type is larger through the root font size
# (Streamlit sizes text, spacing and widgets in rem), not CSS zoom: a zoomed page measures its charts
# and the window in unzoomed pixels, so plotly drew past the column's edge and the bottom of the
# page could not be scrolled to. The lesson's title, "Share this view" (opening over the page) and
# the exit button sit in the top bar. The lesson and its tool (the row keyed `lesson_row`) fill the
# window below it, each scrolling on its own, so the step stays beside whatever part of the tool is
# shown; a long part scrolls inside its box, whose Previous/Next row stays pinned at the box's
# bottom. On a page that is nothing more than that row (every lesson page but Tokens), the page is
# one screen and the row takes what notices above it leave. A page with more below the row (Tokens)
# scrolls on to it: there the row is one window tall, less room for one or two notices above it (a
# notice of more than two lines pushes its bottom off the first screen). A lesson box with no tool
# beside it (Home, below the page's own introduction) is at most the window less 21rem tall. Headings in the tool
# are a size smaller, so the tool's first chart starts on the first screen beside the step.
SCALE = 1.3  # root font size, times the browser's 16 px
MAIN = 'div[data-testid="stMainBlockContainer"]'
BLOCK = f'{MAIN} > [data-testid="stVerticalBlock"]'
ROW = '[data-testid="stLayoutWrapper"]:has(> .st-key-lesson_row)'
NOTICE = '[data-testid="stElementContainer"]:not(.st-key-frame-present_exit)'
MORE_BELOW = '> [data-testid="stVerticalBlock"] > [data-testid="stLayoutWrapper"] ~ [data-testid="stElementContainer"]'
ROW_AFTER = '[data-testid="stLayoutWrapper"] > .st-key-lesson_row'
STYLE = """<style>
section[data-testid="stSidebar"], div[data-testid="stSidebarCollapsedControl"],
button[data-testid="stExpandSidebarButton"], [data-testid="stMainMenu"],
[data-testid="stToolbarActions"], [data-testid="stAppDeployButton"] { display: none !important; }
html { font-size: calc(16px * SCALE); }
MAIN { max-width: 100%; padding: 4rem 2.5rem 1rem 2.5rem; }
.st-key-frame-present_exit { position: fixed; top: 8px; right: 1.5rem; width: auto; z-index: 999991; }
[data-testid="stLayoutWrapper"]:has(> [data-testid="stExpander"] .st-key-share-make) {
  position: fixed; top: 8px; right: 12.5rem; width: 12rem; z-index: 999991; background: #ffffff; }
.st-key-lesson_head { position: fixed; top: 0; left: 13rem; right: 25.5rem; width: auto !important; height: 60px;
  z-index: 999991; justify-content: center; overflow: hidden; }
.st-key-lesson_head [data-testid="stColumn"]:nth-child(2) { display: none; }
.st-key-lesson_head [data-testid="stColumn"] > [data-testid="stVerticalBlock"] {
  flex-direction: row; align-items: baseline; justify-content: flex-start; gap: 1rem; flex-wrap: nowrap; }
.st-key-lesson_head h2 { font-size: 1.15rem; padding: 0; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.st-key-lesson_head [data-testid="stElementContainer"] { width: auto !important; min-width: 0; }
.st-key-lesson_head [data-testid="stElementContainer"]:has([data-testid="stCaptionContainer"]) { display: none; }
MAIN:has(.st-key-lesson_row):not(:has(MORE_BELOW)) {
  height: 100vh; display: flex; flex-direction: column; padding-bottom: 0.75rem; }
MAIN:has(.st-key-lesson_row):not(:has(MORE_BELOW)) > [data-testid="stVerticalBlock"] { flex: 1 1 0; min-height: 0; }
MAIN:not(:has(MORE_BELOW)) ROW { flex: 1 1 0; min-height: 0; }
MAIN:has(MORE_BELOW) ROW { flex: 0 0 auto; height: calc(100vh - 4.75rem); }
MAIN:has(MORE_BELOW):has(> [data-testid="stVerticalBlock"] > NOTICE ~ ROW_AFTER) ROW {
  height: calc(100vh - 11rem); }
MAIN:has(MORE_BELOW):has(> [data-testid="stVerticalBlock"] > NOTICE ~ NOTICE ~ ROW_AFTER) ROW {
  height: calc(100vh - 17rem); }
.st-key-lesson_row, .st-key-lesson_row > div, .st-key-lesson_row [data-testid="stHorizontalBlock"] { height: 100%; }
.st-key-lesson_row [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {
  height: 100%; overflow-y: auto; overscroll-behavior: contain; }
.st-key-lesson_row [data-testid="stColumn"]:has(.st-key-step) { overflow: hidden; }
.st-key-lesson_row [data-testid="stColumn"] > [data-testid="stVerticalBlock"]:has(> div > .st-key-step) {
  height: 100%; }
[data-testid="stLayoutWrapper"]:has(> .st-key-step) { display: flex; flex-direction: column; min-height: 0;
  max-height: 100%; }
.st-key-step { max-height: calc(100vh - 21rem); overflow-y: auto; overscroll-behavior: contain; min-height: 0;
  padding-bottom: 0; }
.st-key-lesson_row .st-key-step { max-height: 100%; }
.st-key-step > div:has(> .st-key-step_nav) { position: sticky; bottom: 0; z-index: 2; background: #ffffff;
  padding: 0.5rem 0 1rem 0; box-shadow: 0 -0.6rem 0.6rem -0.6rem rgba(0, 0, 0, 0.25); }
.st-key-tool h2 { font-size: 1.6rem; padding-top: 0; }
.st-key-tool h3 { font-size: 1.3rem; padding-top: 0.25rem; }
</style>"""
for name, value in (("MORE_BELOW", MORE_BELOW), ("ROW_AFTER", ROW_AFTER), ("NOTICE", NOTICE), ("ROW", ROW),
                    ("MAIN", MAIN), ("SCALE", f"{SCALE}")):
    STYLE = STYLE.replace(name, value)


def presenting() -> bool:
    """Whether presenter mode is on (first taken from `?present=` in the URL)."""
    if KEY_PRESENT not in st.session_state:
        kept = st.session_state.get(KEY_PRESENT_KEPT)
        if kept is None:
            try:
                kept = ui_share.flag(st.query_params.get("present", "0"))
            except ui_share.BadValue:
                kept = False
        st.session_state[KEY_PRESENT] = kept
    return bool(st.session_state[KEY_PRESENT])


def locks_from_url() -> None:
    """Take the locks from `?lock=` on a session's first run (unknown names are left out)."""
    if ui.KEY_LOCKS in st.session_state:
        return
    raw = st.query_params.get("lock", "")
    names = [n.strip() for n in raw.split(",") if n.strip()]
    st.session_state[ui.KEY_LOCKS] = [n for n in names if n in LOCKABLE]
    unknown = [n for n in names if n not in LOCKABLE]
    if unknown:
        st.warning(
            ui.tr(
                "share.bad_value",
                param="lock",
                value=ui_text.md_escape(",".join(unknown)[:40]),
                reason=ui.tr("share.bad_choice", options=", ".join(LOCKABLE)),
            ),
            icon="🔗",
        )


def start_clean() -> None:
    """Presenter mode starts with every lesson's prediction and quiz unanswered: the answers shown
    to the room (keyed `present.lesson.*`, ui.lesson) are cleared; the teacher's own answers and
    saved progress stay as they were."""
    from ui import answers as ui_answers

    for key in list(st.session_state):
        if str(key).startswith(ui_answers.PRESENT_NS + "lesson.") or key == ui_answers.KEY_PRESENT_FIRST:
            del st.session_state[key]


def frame() -> bool:
    """Presenter controls for this run; returns whether presenter mode is on."""
    locks_from_url()
    was_on = bool(st.session_state.get(KEY_PRESENT_KEPT))
    on = presenting()
    if on and not was_on:
        start_clean()
    if on:
        st.html(STYLE)
        if st.button(ui.tr("present.exit"), key="frame.present_exit", icon="🖥️"):
            st.session_state[KEY_PRESENT] = False
            st.session_state[KEY_PRESENT_KEPT] = False
            st.rerun()
    else:
        with st.sidebar.expander(ui.tr("present.settings")):
            st.toggle(ui.tr("present.toggle"), key=KEY_PRESENT, help=ui.tr("present.toggle_help"))
            if KEY_LOCKS_WIDGET not in st.session_state:
                st.session_state[KEY_LOCKS_WIDGET] = list(st.session_state[ui.KEY_LOCKS])
            locks = st.multiselect(
                ui.tr("present.locks"),
                LOCKABLE,
                key=KEY_LOCKS_WIDGET,
                format_func=lambda n: ui.tr(f"lock.{n}"),
                help=ui.tr("present.locks_help"),
            )
            st.session_state[ui.KEY_LOCKS] = list(locks)
    st.session_state[KEY_PRESENT_KEPT] = bool(st.session_state[KEY_PRESENT])
    return bool(st.session_state[KEY_PRESENT])


def publish() -> None:
    """Presenter mode and locks into the URL (app.py, after the page ran)."""
    if st.session_state.get(KEY_PRESENT):
        if st.query_params.get("present") != "1":
            st.query_params["present"] = "1"
    else:
        for name in ("present", "step"):
            if name in st.query_params:
                del st.query_params[name]
    locks = ",".join(st.session_state.get(ui.KEY_LOCKS) or [])
    if locks and st.query_params.get("lock") != locks:
        st.query_params["lock"] = locks
    elif not locks and "lock" in st.query_params:
        del st.query_params["lock"]
