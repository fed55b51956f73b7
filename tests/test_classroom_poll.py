"""The live class poll through the real site (AppTest, two sessions on one store): the teacher key
guards the controls, a learner joins with the code from the link, their guess at a prediction is
kept, the teacher's screen counts it, and the teacher's reveal reaches the learner. Bad codes and
wrong keys get a message in the learner's language."""

from __future__ import annotations

import json
import time

import pytest
from site_helpers import LANGS, check, open_page, part_of, show_part, texts, with_second_prediction
from streamlit.testing.v1 import AppTest

from glassbox.i18n import t
from glassbox.lessons import load_lessons
from glassbox.workshop import classroom
from glassbox.workshop.store import MIN_ANSWER_GAP_S, open_store

pytestmark = pytest.mark.usefixtures("site")
LESSON = "next_token"


@pytest.fixture
def key(monkeypatch):
    value = classroom.new_teacher_key()
    monkeypatch.setenv(classroom.ENV_KEY, value)
    return value


def teacher(lang: str, key: str) -> AppTest:
    at = open_page("teachers", lang)
    at.text_input(key="classroom.key").input("wrong-key-123456")
    at.get("form")[0]  # the key form is there
    at.button[[b.label for b in at.button].index(t("classroom.unlock", lang))].click().run()
    assert t("classroom.key_wrong", lang) in [e.value for e in at.error]
    at.text_input(key="classroom.key").input(key)
    at.button[[b.label for b in at.button].index(t("classroom.unlock", lang))].click().run()
    at.button(key="classroom.open").click().run()
    check(at)
    return at


def lesson_with_predict() -> str:
    return next(le.id for le in load_lessons("en") if le.page == LESSON and le.predict is not None)


@pytest.mark.parametrize("lang", LANGS)
def test_a_learners_guess_reaches_the_teachers_screen_and_the_reveal_reaches_the_learner(lang, key):
    boss = teacher(lang, key)
    code = boss.session_state["classroom.teaching"]
    assert t("classroom.code_is", lang, code=code) in texts(boss)

    learner = AppTest.from_file(str(open_page.__globals__["APP"]), default_timeout=90)
    learner.query_params.update({"lang": lang, "class": code.lower()})
    learner.run()
    learner.switch_page(f"pages/{LESSON}.py").run()
    check(learner)
    assert learner.session_state["classroom.code"] == code
    lesson = lesson_with_predict()
    show_part(learner, lesson, part_of(lesson, predict=True))
    assert not [b for b in learner.button if b.key == f"lesson.{lesson}.reveal"]  # the teacher reveals
    assert t("classroom.wait_reveal", lang) in texts(learner)
    learner.radio(key=f"lesson.{lesson}.predict").set_value(1).run()
    check(learner)
    store = open_store()
    assert store.tally(code, classroom.predict_question(lesson)) == {"1": 1}

    boss.switch_page(f"pages/{LESSON}.py").run()
    show_part(boss, lesson, part_of(lesson, predict=True))
    check(boss)
    title = t("chart.class_guesses.title", lang).format(total=1)
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in boss.get("plotly_chart")]
    assert title in titles  # the class's one guess, counted on the teacher's screen
    boss.button(key=f"lesson.{lesson}.reveal").click().run()
    assert store.revealed(code, classroom.predict_question(lesson))

    learner.run()  # the learner's next look for news (every two seconds in a browser)
    check(learner)
    assert learner.session_state[f"lesson.{lesson}.revealed"] is True


def test_a_second_prediction_is_its_own_class_question(key, tmp_path, monkeypatch):
    """A lesson's second prediction is polled under its own question: the learner's two guesses are
    counted apart, the teacher's screen charts each, and revealing the second leaves the first waiting."""
    with_second_prediction(tmp_path, monkeypatch, LESSON, before=4)
    boss = teacher("en", key)
    code = boss.session_state["classroom.teaching"]
    learner = AppTest.from_file(str(open_page.__globals__["APP"]), default_timeout=90)
    learner.query_params.update({"lang": "en", "class": code})
    learner.run()
    learner.switch_page(f"pages/{LESSON}.py").run()
    for n, guess in ((1, 1), (2, 2)):
        time.sleep(MIN_ANSWER_GAP_S)  # (the store takes one answer a second from a learner)
        show_part(learner, LESSON, part_of(LESSON, predict=n))
        learner.radio(key=f"lesson.{LESSON}.predict" + ("2" if n == 2 else "")).set_value(guess).run()
        check(learner)
    store = open_store()
    assert classroom.predict_question(LESSON, 2) == f"predict:{LESSON}:2" != classroom.predict_question(LESSON)
    assert store.tally(code, classroom.predict_question(LESSON)) == {"1": 1}
    assert store.tally(code, classroom.predict_question(LESSON, 2)) == {"2": 1}

    boss.switch_page(f"pages/{LESSON}.py").run()
    boss.toggle(key=f"lesson.{LESSON}.whole").set_value(True).run()  # both predictions, each with its chart
    check(boss)
    title = t("chart.class_guesses.title", "en").format(total=1)
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in boss.get("plotly_chart")]
    assert titles.count(title) == 2
    boss.button(key=f"lesson.{LESSON}.reveal2").click().run()
    check(boss)
    assert store.revealed(code, classroom.predict_question(LESSON, 2))
    assert not store.revealed(code, classroom.predict_question(LESSON))

    learner.run()
    check(learner)
    assert learner.session_state[f"lesson.{LESSON}.revealed2"] is True
    show_part(learner, LESSON, part_of(LESSON, predict=1))  # the first still waits for its own reveal
    check(learner)
    assert f"lesson.{LESSON}.revealed" not in learner.session_state
    assert t("classroom.wait_reveal", "en") in texts(learner)


@pytest.mark.parametrize("lang", LANGS)
def test_a_bad_class_code_says_so_and_keeps_the_page(lang):
    at = open_page("home", lang)
    at.text_input(key="classroom.code_input").input("ZZ-ZZZ")
    at.button[[b.label for b in at.button].index(t("classroom.join", lang))].click().run()
    assert not at.exception
    assert t("classroom.no_class", lang, code="ZZZZZ") in [e.value for e in at.error]
    assert "classroom.code" not in at.session_state


def test_without_a_teacher_key_no_class_can_be_opened(monkeypatch):
    monkeypatch.delenv(classroom.ENV_KEY, raising=False)
    at = open_page("teachers", "en")
    assert t("classroom.no_key", "en") in texts(at)
    assert not [b for b in at.button if b.key == "classroom.open"]
