"""A learner's progress beyond one browser session: lessons done, quiz and prediction answers,
the lab notebook and the class they joined, kept in the workshop store (`glassbox.workshop.store`)
under a random learner id that stays in the browser as a cookie. So a reload, a closed tab
opened again, or a replica that died and was restarted loses nothing; "Forget me" deletes it.

Streamlit reads cookies (`st.context.cookies`) but cannot set them, so a one-line script in the
page sets the cookie (`st.html` with JavaScript on; the id is made here, never taken from input).
When the store cannot be opened the site works as before, with progress kept in the tab only.
"""

from __future__ import annotations

import json
import os
import re
import time

import streamlit as st

import ui
from glassbox.workshop import store as workshop_store
from ui import answers as ui_answers
from ui import notebook as ui_notebook

COOKIE = "glassbox_learner"
COOKIE_DAYS = 180
KEY_LEARNER = "progress.learner"
KEY_LOADED = "progress.loaded"
KEY_SAVED = "progress.saved"  # the JSON last written, so an unchanged run writes nothing
KEY_CLASS = "classroom.code"  # the class this learner joined (ui.classroom)
KEY_NICK = "classroom.nickname"
# a taught model stays on its replica (ui.taught); that the learner had one, and ran the pages on it,
# is kept, so that another replica can say "teach again" instead of quietly showing the shared model
KEY_TAUGHT, KEY_TAUGHT_IN_USE = "teach.had", "frame.used_taught"
KEY_STORE_DOWN = "progress.store_down"
ANSWER_KEY = re.compile(r"lesson\.[\w-]+\.(q\d+|predict\d*|revealed\d*)")  # widget and flag keys kept
MOVED_WITHIN_S = 3600  # a progress saved by another replica this recently: the learner was moved


@st.cache_resource(show_spinner=False)
def _open(path: str) -> workshop_store.Store:
    return workshop_store.open_store(workshop_store.Path(path))


def store() -> workshop_store.Store | None:
    """The shared store, or None (said once per session) when it cannot be opened."""
    try:
        return _open(str(workshop_store.store_path()))
    except workshop_store.StoreError:
        st.session_state[KEY_STORE_DOWN] = True
        return None


def status_text() -> str:
    """Where this learner's progress is kept, for the sidebar."""
    store()
    return ui.tr("progress.store_down" if st.session_state.get(KEY_STORE_DOWN) else "progress.kept")


def learner() -> str:
    """This browser's learner id: from its cookie, or a new one (which the page then sets)."""
    if KEY_LEARNER not in st.session_state:
        cookie = st.context.cookies.get(COOKIE)
        st.session_state[KEY_LEARNER] = cookie if workshop_store.valid_learner(cookie) else workshop_store.new_learner()
    return st.session_state[KEY_LEARNER]


def replica() -> str:
    return os.environ.get("GLASSBOX_REPLICA", "")


def cookie_script(who: str) -> str:
    """The page's only script: it keeps the learner's id (made here, never taken from input)."""
    age = COOKIE_DAYS * 86400
    return f'<script>document.cookie = "{COOKIE}={who}; Max-Age={age}; Path=/; SameSite=Lax";</script>'


def learner_script(body: str) -> bool:
    """Whether `body` is exactly the script `cookie_script` makes, for a well-formed learner id."""
    who = body.partition(f"{COOKIE}=")[2].partition(";")[0]
    return workshop_store.valid_learner(who) and body == cookie_script(who)


def begin_run() -> None:
    """On a session's first run, take back what this learner did before; every full run makes
    sure the browser keeps the learner's cookie."""
    who = learner()
    if st.context.cookies.get(COOKIE) != who:
        st.sidebar.html(cookie_script(who), unsafe_allow_javascript=True)
    if st.session_state.get(KEY_LOADED):
        return
    st.session_state[KEY_LOADED] = True
    kept = _load(who)
    if kept:
        restore(kept)
        st.session_state[KEY_SAVED] = json.dumps(snapshot(), sort_keys=True)
        moved = kept.get("replica") and replica() and kept["replica"] != replica()
        if moved and time.time() - float(kept.get("saved", 0)) < MOVED_WITHIN_S:
            st.toast(ui.tr("progress.moved"), icon="🔁")


def _load(who: str) -> dict | None:
    kept = store()
    if kept is None:
        return None
    try:
        return kept.load_progress(who)
    except workshop_store.StoreError:
        return None


def snapshot() -> dict:
    """What is kept: plain data, the same whatever the language."""
    state = st.session_state
    return {
        "done": sorted(ui_answers.done()),
        "scores": {k: list(v) for k, v in ui_answers.scores().items()},
        "first": {k: {str(q): c for q, c in v.items()} for k, v in state.get(ui_answers.KEY_FIRST, {}).items()},
        "answers": {k: state[k] for k in state if ANSWER_KEY.fullmatch(str(k)) and state[k] is not None},
        "notebook": list((state.get(ui_notebook.KEY_ENTRIES) or {}).values()),
        "class": state.get(KEY_CLASS),
        "nickname": state.get(KEY_NICK),
        "taught": [bool(state.get(KEY_TAUGHT)), bool(state.get(KEY_TAUGHT_IN_USE))],
        "replica": replica(),
    }


def restore(kept: dict) -> None:
    """Put kept progress back into this session (before any widget is drawn)."""
    state = st.session_state
    try:
        state[ui_answers.KEY_DONE] = set(kept.get("done", ()))
        state[ui_answers.KEY_SCORES] = {k: tuple(v) for k, v in kept.get("scores", {}).items()}
        state[ui_answers.KEY_FIRST] = {k: {int(q): c for q, c in v.items()} for k, v in kept.get("first", {}).items()}
        for key, value in kept.get("answers", {}).items():
            if ANSWER_KEY.fullmatch(key):
                state[key] = value
        entries = {(e["kind"], e["input"]): e for e in kept.get("notebook", ()) if isinstance(e, dict)}
        state[ui_notebook.KEY_ENTRIES] = entries
        if kept.get("class"):
            state[KEY_CLASS], state[KEY_NICK] = kept["class"], kept.get("nickname")
        had, in_use = (list(kept.get("taught") or ()) + [False, False])[:2]
        if had:
            state[KEY_TAUGHT], state[KEY_TAUGHT_IN_USE] = True, bool(in_use)
    except (TypeError, ValueError, KeyError, AttributeError):
        pass  # a damaged record: what was taken back stays, the rest starts afresh


def save() -> None:
    """Write this learner's progress when it changed since it was last written."""
    data = snapshot()
    text = json.dumps(data, sort_keys=True, default=str)
    if text == st.session_state.get(KEY_SAVED):
        return
    if KEY_SAVED not in st.session_state and not any(v for k, v in data.items() if k != "replica"):
        return  # a visitor who has done nothing yet: nothing to keep
    kept = store()
    if kept is None:
        return
    try:
        kept.save_progress(learner(), {**data, "saved": time.time()})
    except workshop_store.StoreError:
        return
    st.session_state[KEY_SAVED] = text


def forget() -> None:
    """Delete everything kept for this learner, here and in the store; the browser gets a new id."""
    kept = store()
    if kept is not None:
        try:
            kept.forget(learner())
        except workshop_store.StoreError:
            pass
    for key in list(st.session_state):
        if str(key).startswith(("progress.", "notebook.", "classroom.")) or ANSWER_KEY.fullmatch(str(key)):
            del st.session_state[key]
    st.session_state[KEY_LEARNER] = workshop_store.new_learner()
    st.session_state[KEY_LOADED] = True
