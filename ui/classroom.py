"""A live class poll: the teacher (with the server's teacher key) opens a class with a short code
and QR code; learners join with the code; at a predict-then-reveal moment each learner's guess is
kept in the workshop store, and the projector shows the class's guesses beside the model's, updated
every two seconds (`st.fragment(run_every=...)`). The teacher can also ask the class what comes
next after the Next token page's text. Answers are shown as text only (`ui.text`, escaped labels).
The same teacher key opens the answer key (For teachers page). Under generated text, a small note
says where the classroom word list (`glassbox.model.classroom_safe`) kept a word out.
"""

from __future__ import annotations

import time

import streamlit as st

import ui
from glassbox.model import classroom_safe
from glassbox.model.sampling import Sampler
from glassbox.workshop import classroom
from glassbox.workshop import store as workshop_store
from ui import progress as ui_progress
from ui import share as ui_share
from ui import text as ui_text

POLL_S = 2.0  # how often the projector and a waiting learner look for news
KEY_TEACHER = "classroom.teacher"  # True once this session gave the teacher key
KEY_TEACHING = "classroom.teaching"  # code of the class this teacher opened
KEY_TRIES = "classroom.key_tries"  # (wrong tries, time of the last)
KEY_SENT = "classroom.sent"  # {question id: the answer this learner last sent}
MAX_KEY_TRIES, KEY_PAUSE_S = 5, 60.0


def _store():
    return ui_progress.store()


def _room(code: str | None):
    kept = _store()
    if not code or kept is None:
        return None
    try:
        return kept.get_class(code)
    except workshop_store.StoreError:
        return None


def teaching():
    """The open class this session teaches, or None."""
    return _room(st.session_state.get(KEY_TEACHING)) if st.session_state.get(KEY_TEACHER) else None


def joined():
    """The open class this learner joined, or None."""
    return _room(st.session_state.get(ui_progress.KEY_CLASS))


# --- the teacher ---------------------------------------------------------------------------------


def unlocked(where: str = "", no_key: str = "classroom.no_key", unlock: str = "classroom.unlock") -> bool:
    """Whether this session gave the server's teacher key. If not, says why (`no_key`: the server
    has none) or asks for it with a form of its own (`where` tells apart the forms of one page,
    `unlock` labels its button); one right key unlocks every teacher control of the session."""
    if classroom.teacher_key() is None:
        st.info(ui.tr(no_key))
        return False
    if not st.session_state.get(KEY_TEACHER):
        _key_form(where, unlock)
        return False
    return True


def teacher_panel() -> None:
    """The teacher's class controls (For teachers page): the key, then open / show / close a class."""
    if not unlocked():
        return
    room = teaching()
    if room is None:
        st.caption(ui.tr("classroom.open_text"))
        if st.button(ui.tr("classroom.open"), key="classroom.open", type="primary", icon="🏫"):
            kept = _store()
            if kept is None:
                return
            st.session_state[KEY_TEACHING] = kept.open_class().code
            st.rerun()
        return
    link = join_link(room.code)
    st.markdown(ui.tr("classroom.code_is", code=room.code))
    st.code(link, language=None)
    st.image(ui_share.qr_png(link), caption=ui.tr("classroom.qr"), width=220)
    st.caption(ui.tr("classroom.expires", minutes=max(0, int((room.expires - time.time()) / 60))))
    if st.button(ui.tr("classroom.close"), key="classroom.close", icon="🔒"):
        _store().close_class(room.code)
        st.session_state.pop(KEY_TEACHING, None)
        st.rerun()


def _key_form(where: str = "", unlock: str = "classroom.unlock") -> None:
    tries, last = st.session_state.get(KEY_TRIES, (0, 0.0))
    waiting = tries >= MAX_KEY_TRIES and time.time() - last < KEY_PAUSE_S
    suffix = f".{where}" if where else ""
    with st.form(f"classroom.key_form{suffix}"):
        typed = st.text_input(ui.tr("classroom.key"), type="password", key=f"classroom.key{suffix}", max_chars=64,
                              help=ui.tr("classroom.key_help"))  # fmt: skip
        sent = st.form_submit_button(ui.tr(unlock), disabled=waiting)
    if waiting:
        st.warning(ui.tr("classroom.key_wait", seconds=int(KEY_PAUSE_S)))
    elif sent and classroom.is_teacher(typed):
        st.session_state[KEY_TEACHER] = True
        st.session_state.pop(KEY_TRIES, None)
        st.rerun()
    elif sent:
        st.session_state[KEY_TRIES] = (tries + 1 if tries < MAX_KEY_TRIES else 1, time.time())
        st.error(ui.tr("classroom.key_wrong"))


def join_link(code: str) -> str:
    """The site's address (as the teacher's browser sees it) with `?class=CODE`."""
    base = (st.context.url or "").split("?")[0]
    root = base.split("/", 3)
    return ("/".join(root[:3]) + "/" if len(root) >= 3 else base) + f"?class={code}"


def banner() -> None:
    """On the projector: how to join the class the teacher opened."""
    room = teaching()
    if room is not None:
        st.info(ui.tr("classroom.banner", code=room.code, link=ui_text.md_escape(join_link(room.code))), icon="🏫")


# --- learners --------------------------------------------------------------------------------------


def join_from_link() -> None:
    """Join the class named by `?class=` in the link (app.py, before the page's fields are
    published: the parameter is taken off the address once used)."""
    code = st.query_params.get("class")
    if not code:
        return
    if st.session_state.get(ui_progress.KEY_CLASS) != workshop_store.normal_code(code):
        _join(code, quiet_if_closed=False)
    del st.query_params["class"]


def join_box() -> None:
    """In the sidebar: join a class by its code, or the class joined and its current question."""
    room = joined()
    with st.sidebar.expander(ui.tr("classroom.sidebar"), expanded=room is not None):
        if room is None:
            with st.form("classroom.join_form", border=False):
                typed = st.text_input(ui.tr("classroom.code"), key="classroom.code_input", max_chars=12)
                if st.form_submit_button(ui.tr("classroom.join")):
                    _join(typed, quiet_if_closed=False)
            return
        st.markdown(ui.tr("classroom.in_class", code=room.code,
                          nickname=ui_text.md_escape(st.session_state.get(ui_progress.KEY_NICK) or "")))  # fmt: skip
        question_box()
        if st.button(ui.tr("classroom.leave"), key="classroom.leave"):
            st.session_state.pop(ui_progress.KEY_CLASS, None)
            st.rerun()


def _join(code: str, quiet_if_closed: bool) -> None:
    kept, who = _store(), ui_progress.learner()
    if kept is None:
        return
    nickname = classroom.nickname(who, ui.lang())
    got = kept.join(code, who, nickname)
    if got is None:
        if not quiet_if_closed:
            st.sidebar.error(ui.tr("classroom.no_class", code=ui_text.md_escape(workshop_store.normal_code(code))))
        return
    st.session_state[ui_progress.KEY_CLASS] = workshop_store.normal_code(code)
    st.session_state[ui_progress.KEY_NICK] = got


def send(question: str, answer: str) -> workshop_store.Answered | None:
    """A learner's answer to the class they joined (None: not in an open class, or sent already)."""
    room = joined()
    if room is None or st.session_state.setdefault(KEY_SENT, {}).get(question) == answer:
        return None
    got = _store().answer(room.code, question, ui_progress.learner(), answer)
    if got.ok:
        st.session_state[KEY_SENT][question] = answer
    return got


@st.fragment(run_every=POLL_S)
def question_box() -> None:
    """The teacher's current question to the class, with a box to answer it."""
    room = joined()
    if room is None or not room.question or not room.prompt:
        st.caption(ui.tr("classroom.no_question"))
        return
    st.markdown(ui.tr("classroom.asks", prompt=ui_text.md_escape(room.prompt[-120:])))
    with st.form(f"classroom.answer_form.{room.question}", border=False):
        typed = st.text_input(ui.tr("classroom.your_answer"), max_chars=workshop_store.MAX_ANSWER_CHARS,
                              key=f"classroom.answer.{room.question}")  # fmt: skip
        if st.form_submit_button(ui.tr("classroom.send")):
            _said(send(room.question, typed or ""))


def _said(got: workshop_store.Answered | None) -> None:
    if got is None or got.ok:
        st.success(ui.tr("classroom.sent"))
    else:
        st.warning(ui.tr(f"classroom.refused_{got.reason}", chars=workshop_store.MAX_ANSWER_CHARS))


# --- predict, then reveal ------------------------------------------------------------------------------


def predict_guess(lesson_id: str, choice: int | None, n: int = 1) -> None:
    """Send the learner's guess at a lesson's n-th prediction to their class (when they joined one)."""
    if choice is not None and teaching() is None:
        got = send(classroom.predict_question(lesson_id, n), str(choice))
        if got is not None and not got.ok:
            st.warning(ui.tr(f"classroom.refused_{got.reason}", chars=workshop_store.MAX_ANSWER_CHARS))


def reveal_is_teachers(lesson_id: str) -> bool:
    """Whether this learner's class decides when the answer shows (the teacher reveals)."""
    return joined() is not None and teaching() is None


def revealed_by_teacher(lesson_id: str, n: int = 1) -> bool:
    room = joined()
    return room is not None and _store().revealed(room.code, classroom.predict_question(lesson_id, n))


def teacher_reveals(lesson_id: str, n: int = 1) -> None:
    room = teaching()
    if room is not None:
        _store().reveal(room.code, classroom.predict_question(lesson_id, n))


@st.fragment(run_every=POLL_S)
def wait_for_reveal(lesson_id: str, revealed_key: str, on_reveal, n: int = 1) -> None:
    """A learner in a class waits for the teacher's reveal of the lesson's n-th prediction; when it
    comes the page shows the answer (`on_reveal` sets the tool as the reveal says)."""
    if revealed_by_teacher(lesson_id, n):
        st.session_state[revealed_key] = True
        on_reveal()
        st.rerun(scope="app")
    st.caption(ui.tr("classroom.wait_reveal"))


@st.fragment(run_every=POLL_S)
def predict_chart(lesson_id: str, choices: tuple[str, ...], answer: int | None, n: int = 1) -> None:
    """On the teacher's screen: the class's guesses at the lesson's n-th prediction, kept up to date."""
    room = teaching()
    if room is None:
        return
    tally = _store().tally(room.code, classroom.predict_question(lesson_id, n))
    counts = tuple((choices[int(k)], c) for k, c in tally.items() if k.isdigit() and int(k) < len(choices))
    key = f"classroom.predict_chart.{lesson_id}" + ("" if n == 1 else f".{n}")
    _chart(counts, None if answer is None else choices[answer], key=key)


def _chart(counts: tuple[tuple[str, int], ...], highlight: str | None, key: str) -> None:
    from ui import chart as ui_chart

    if not counts:
        st.caption(ui.tr("classroom.no_answers"))
        return
    ui_chart.chart("class_guesses", counts, ui_chart.chart_labels("class_guesses"), highlight, key=key)


# --- what comes next? (Next token page) -----------------------------------------------------------------------


def beside_bars(text: str):
    """Where the Next token page draws its bars: for a teacher with a class, the left half, with the
    class's guesses about `text` on the right (or a button to ask the class about it)."""
    room = teaching()
    if room is None:
        return st.container()
    question = classroom.next_token_question(text)
    left, right = st.columns(2)
    with right:
        if room.question != question:
            if st.button(ui.tr("classroom.ask"), key="classroom.ask", icon="🙋"):
                _store().ask(room.code, question, text)
                st.rerun()
        else:
            next_chart(question)
    return left


@st.fragment(run_every=POLL_S)
def next_chart(question: str) -> None:
    room = teaching()
    if room is not None:
        _chart(tuple(_store().tally(room.code, question).items()), None, key="classroom.next_chart")


# --- the classroom word list (glassbox.model.classroom_safe) ----------------------------------------

SKIP_CONTEXT = 24  # characters of the text before a skipped word shown in the note


def skipped_note(written) -> None:
    """Under a generation: where a word on the classroom list was skipped, if it was."""
    if written is None or not getattr(written, "skipped", ()):
        return
    places = []
    for i in written.skipped[:3]:
        start = written.steps[i].token.start
        places.append("…" + written.full_text[max(0, start - SKIP_CONTEXT):start].replace("\n", " ") + "▯")
    st.caption(ui.tr("classroom.safe_skipped", n=len(written.skipped),
                     places=", ".join(f"“{ui_text.md_escape(p)}”" for p in places)),
               help=ui.tr("classroom.safe_help"))  # fmt: skip


def remember_skips(ns: str, written) -> None:
    """Keep a generation's note for the text box it was written into (shown by `skips_for`)."""
    if written is not None:
        st.session_state[f"{ns}.safe_note"] = written if written.skipped else None


def skips_for(ns: str, text: str) -> None:
    """The note of the generation kept by `remember_skips`, while the box still holds its text."""
    written = st.session_state.get(f"{ns}.safe_note")
    if written is not None and written.full_text == text:
        skipped_note(written)


def sample_next(ns: str, lm, text: str, picked: list[int], logits, settings, seed: int) -> int:
    """The Next token page's "Sample one": draw n of the seed, as generation draws it; with the
    classroom setting on, a listed word is skipped and the page remembers where (`sample_note`)."""
    blocked: frozenset[int] = frozenset()
    if classroom_safe.enabled():
        context = [*lm.document_start, *lm.tokenizer.encode(text, add_special_tokens=False)]
        blocked = classroom_safe.blocklist(lm).blocked_after(context)
    got = Sampler(seed, len(picked), len(logits)).draw_avoiding(logits, settings, blocked)
    if got.skipped is not None:
        kept = st.session_state.get(f"{ns}.safe_skips") or ()
        st.session_state[f"{ns}.safe_skips"] = (*kept, (len(picked), got.token))
    return got.token


def sample_note(ns: str, picked: list[int]) -> None:
    """Under a continuation built on the Next token page: how many of its tokens were drawn in
    place of a word on the classroom list (only those still in the continuation count)."""
    skips = [(at, token) for at, token in st.session_state.get(f"{ns}.safe_skips") or ()
             if at < len(picked) and picked[at] == token]  # fmt: skip
    st.session_state[f"{ns}.safe_skips"] = tuple(skips)
    if skips:
        st.caption(ui.tr("classroom.safe_sampled", n=len(skips)), help=ui.tr("classroom.safe_help"))
