"""Progress kept in the workshop store through the real site (AppTest): what one session did
(a lesson done, a quiz answer, a notebook entry) comes back in a new session of the same learner,
"Forget me" deletes it, a learner whose replica died is told they moved (and only then), and a
broken store leaves the site working with a message. The cookie
that carries the learner id in a real browser is checked in tests/test_browser.py."""

from __future__ import annotations

import pytest
from site_helpers import APP, LANGS, check, open_page, part_of, show_part
from streamlit.testing.v1 import AppTest

from glassbox.i18n import t
from glassbox.workshop.store import open_store

pytestmark = pytest.mark.usefixtures("site")
LESSON = "tokens"


def arrives(learner: str, lang: str) -> AppTest:
    """A new session of `learner` after its first run (on the home page)."""
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params["lang"] = lang
    at.session_state["progress.learner"] = learner  # what the browser's cookie gives a new session
    at.run()
    check(at)
    return at


def same_learner(learner: str, page: str, lang: str) -> AppTest:
    at = arrives(learner, lang)
    at.switch_page(f"pages/{page}.py").run()
    check(at)
    return at


@pytest.mark.parametrize("lang", LANGS)
def test_a_new_session_of_the_same_learner_gets_everything_back_and_forget_me_deletes_it(lang):
    at = open_page(LESSON, lang)
    show_part(at, LESSON, part_of(LESSON, finish=True))
    at.radio(key=f"lesson.{LESSON}.q0").set_value(1).run()
    at.button(key=f"lesson.{LESSON}.done").click().run()
    check(at)
    learner = at.session_state["progress.learner"]
    entries = at.session_state["notebook.entries"]
    assert entries, "the Tokens tool noted its default text in the lab notebook"
    kept = open_store().load_progress(learner)
    assert kept["done"] == [LESSON] and kept["answers"][f"lesson.{LESSON}.q0"] == 1

    again = same_learner(learner, LESSON, lang)
    assert again.session_state["progress.done"] == {LESSON}
    assert again.session_state["progress.scores"] == at.session_state["progress.scores"]
    assert again.session_state[f"lesson.{LESSON}.q0"] == 1
    assert list(again.session_state["notebook.entries"]) == list(entries)
    lessons = len([c for c in again.caption if c.value.startswith(("✅", "▫️"))])
    assert t("frame.progress_text", lang, done=1, total=lessons) in [p.proto.text for p in again.get("progress")]

    again.button(key="progress.forget").click().run()
    check(again)
    assert open_store().load_progress(learner) is None
    assert again.session_state["progress.learner"] != learner
    fresh = same_learner(learner, LESSON, lang)
    assert "progress.done" not in fresh.session_state or not fresh.session_state["progress.done"]


def test_a_store_that_cannot_be_opened_leaves_the_site_working(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    monkeypatch.setenv("GLASSBOX_STORE", str(blocker / "store.sqlite3"))
    at = open_page(LESSON, "en")
    show_part(at, LESSON, part_of(LESSON, finish=True))
    at.button(key=f"lesson.{LESSON}.done").click().run()
    check(at)
    assert at.session_state["progress.done"] == {LESSON}  # kept in the tab
    assert t("progress.store_down", "en") in [c.value for c in at.sidebar.caption]


@pytest.mark.parametrize("lang", LANGS)
def test_a_learner_whose_replica_died_is_told_they_moved_and_keeps_their_progress(lang, monkeypatch):
    monkeypatch.setenv("GLASSBOX_REPLICA", "0")
    at = open_page(LESSON, lang)
    show_part(at, LESSON, part_of(LESSON, finish=True))
    at.button(key=f"lesson.{LESSON}.done").click().run()
    check(at)
    learner = at.session_state["progress.learner"]
    assert open_store().load_progress(learner)["replica"] == "0"

    back_on_same = arrives(learner, lang)  # a plain reload: no notice
    assert t("progress.moved", lang) not in [toast.value for toast in back_on_same.toast]

    monkeypatch.setenv("GLASSBOX_REPLICA", "1")  # replica 0 died; nginx sends the next load to replica 1
    moved = arrives(learner, lang)
    assert [toast.value for toast in moved.toast] == [t("progress.moved", lang)]
    assert moved.session_state["progress.done"] == {LESSON}


def test_every_prediction_s_guess_and_reveal_are_kept():
    """The keys kept as answers: a quiz answer, and the guess and reveal of each prediction (the
    second's end in 2), not the reveal button or the lesson's place."""
    from ui.progress import ANSWER_KEY

    keys = ("q0", "predict", "revealed", "predict2", "revealed2", "reveal", "reveal2", "slide", "whole")
    assert [k for k in keys if ANSWER_KEY.fullmatch(f"lesson.next_token.{k}")] == list(keys[:5])
