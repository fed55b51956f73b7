"""The teacher pack through the real site (AppTest): the answer key opens only with the teacher
key, presenter mode shows the lesson's prediction and quiz unanswered whatever the teacher answered
while rehearsing (and keeps those answers), and handouts have blanks to fill in and a print view
that shows the handout alone, with print styles that hide the sidebar and the page's chrome."""

from __future__ import annotations

import pytest
from site_helpers import LANGS, check, open_page, part_of, show_part, texts
from streamlit.testing.v1 import AppTest

from glassbox.i18n import t
from glassbox.lessons import handouts, load_lessons
from glassbox.workshop import classroom

pytestmark = pytest.mark.usefixtures("site")
WORDS = ("minutes", "objectives", "steps", "predict", "quiz", "notes", "answer_key", "saw", "guess")


def words(lang: str) -> dict[str, str]:
    return {w: t(f"teachers.h_{w}", lang) for w in WORDS}


def lesson(lesson_id: str, lang: str = "en"):
    return next(le for le in load_lessons(lang) if le.id == lesson_id)


def unlock_answer_key(at: AppTest, key: str, lang: str) -> AppTest:
    at.text_input(key="classroom.key.answer_key").input(key)
    at.button[[b.label for b in at.button].index(t("teachers.key_unlock", lang))].click().run()
    return at


@pytest.mark.parametrize("lang", LANGS)
def test_the_answer_key_opens_only_with_the_teacher_key(lang, monkeypatch):
    reveals = [le.predict.reveal for le in load_lessons(lang)]
    key = classroom.new_teacher_key()
    monkeypatch.setenv(classroom.ENV_KEY, key)
    at = open_page("teachers", lang)
    assert not any(r in texts(at) for r in reveals)  # the key tab is closed: it asks for the key
    assert at.text_input(key="classroom.key.answer_key")
    assert not [b for b in at.get("download_button") if b.proto.id and "answer-key" in str(b.proto)]
    unlock_answer_key(at, "not-the-key-12345", lang)
    assert t("classroom.key_wrong", lang) in [e.value for e in at.error]
    assert not any(r in texts(at) for r in reveals)
    unlock_answer_key(at, key, lang)
    assert not at.exception
    body = texts(at)
    assert all(r in body for r in reveals)  # every lesson's prediction answer
    assert handouts.answer_key(load_lessons(lang), words(lang)).strip() in [m.value.strip() for m in at.markdown]
    assert t("classroom.open", lang) in [b.label for b in at.button]  # the same key opened the class controls


@pytest.mark.parametrize("lang", LANGS)
def test_without_a_teacher_key_the_answer_key_stays_closed(lang, monkeypatch):
    monkeypatch.delenv(classroom.ENV_KEY, raising=False)
    at = open_page("teachers", lang)
    assert t("teachers.key_no_key", lang) in texts(at)
    assert not any(le.predict.reveal in texts(at) for le in load_lessons(lang))


def test_presenter_mode_starts_clean_and_keeps_the_teacher_s_answers():
    lid = "tokens"
    les = lesson(lid)
    at = open_page(lid, "en")
    # rehearsing: the teacher answers the prediction, reveals it, and answers the first quiz question
    show_part(at, lid, part_of(lid, predict=True))
    at.radio(key=f"lesson.{lid}.predict").set_value(les.predict.answer).run()
    at.button(key=f"lesson.{lid}.reveal").click().run()
    assert t("lesson.guess_right", "en") in texts(at)
    show_part(at, lid, part_of(lid, finish=True))
    at.radio(key=f"lesson.{lid}.q0").set_value(les.quiz[0].answer).run()
    saved_score = at.session_state["progress.scores"][lid]
    # presenter mode on: the room sees the prediction unanswered
    at.toggle(key="frame.present").set_value(True).run()
    check(at)
    show_part(at, lid, part_of(lid, predict=True))
    shown = texts(at)
    assert les.predict.question in shown
    assert t("lesson.guess_right", "en") not in shown and les.predict.reveal not in shown
    assert at.radio(key=f"present.lesson.{lid}.predict").value is None
    assert at.button(key=f"lesson.{lid}.reveal")  # the reveal is to come
    show_part(at, lid, part_of(lid, finish=True))
    assert at.radio(key=f"present.lesson.{lid}.q0").value is None
    assert les.quiz[0].choices[les.quiz[0].answer].feedback not in texts(at)
    # the room answers in presenter mode: the teacher's score and answers are not touched
    wrong = (les.quiz[0].answer + 1) % len(les.quiz[0].choices)
    at.radio(key=f"present.lesson.{lid}.q0").set_value(wrong).run()
    assert at.session_state["progress.scores"][lid] == saved_score
    assert at.session_state[f"lesson.{lid}.predict"] == les.predict.answer
    assert at.session_state[f"lesson.{lid}.revealed"] is True
    # leaving and coming back: presenter mode starts clean again
    at.button(key="frame.present_exit").click().run()
    show_part(at, lid, part_of(lid, finish=True))
    assert at.radio(key=f"lesson.{lid}.q0").value == les.quiz[0].answer  # the teacher's own answer is back
    at.toggle(key="frame.present").set_value(True).run()
    show_part(at, lid, part_of(lid, finish=True))
    assert at.radio(key=f"present.lesson.{lid}.q0").value is None


@pytest.mark.parametrize("lang", LANGS)
def test_handouts_have_blanks_for_every_step_and_the_prediction(lang):
    for les in load_lessons(lang):
        page = handouts.handout(les, words(lang))
        saw = [line for line in page.splitlines() if line.strip().startswith(t("teachers.h_saw", lang))]
        assert len(saw) == len(les.steps) and all(handouts.BLANK in line for line in saw)
        check_prediction_blanks(page, les, lang)


def check_prediction_blanks(page: str, les, lang: str) -> None:
    """A blank for the guess at every prediction, after its choices and before the step it comes
    before, and no answers."""
    lines = page.splitlines()
    guess = [i for i, line in enumerate(lines) if t("teachers.h_guess", lang) in line]
    assert len(guess) == len(les.predictions) and all(handouts.BLANK in lines[i] for i in guess)
    order = [n for kind, n in les.sections if kind == "predict"]  # the predictions as the page shows them
    for at, predict in zip(guess, (les.predictions[n - 1] for n in order), strict=True):
        assert predict.question in "\n".join(lines[at - len(predict.choices) - 3:at])
        assert predict.choices[-1] in lines[at - 2]
        if predict.before:
            step = predict.before
            assert at < lines.index(f"{step}. **{les.steps[step - 1].title}**")
        assert predict.reveal not in page
    assert les.quiz[0].choices[0].feedback not in page  # no answers


def test_a_lesson_with_two_predictions_has_a_blank_and_an_answer_for_each():
    from dataclasses import replace

    tokens = lesson("tokens")
    second = replace(tokens.predict, question="Second: how many?", choices=("A one", "B two"), answer=1,
                     reveal="Two, the second reveal says.", before=2)
    two = replace(tokens, predictions=(tokens.predict, second))
    page = handouts.handout(two, words("en"))
    check_prediction_blanks(page, two, "en")
    assert page.index(second.question) < page.index(tokens.predict.question)  # in the order they are shown
    key = handouts.answer_key([two], words("en"))
    assert "- **B. B two** Two, the second reveal says." in key
    assert key.index(tokens.predict.reveal) < key.index(second.reveal)  # in file order


@pytest.mark.parametrize("lang", LANGS)
def test_the_print_view_shows_the_handout_alone_with_print_styles(lang):
    at = open_page("teachers", lang)
    at.selectbox(key="teachers.handout").set_value("experts").run()
    at.button(key="teachers.handout_print").click().run()
    check(at)
    page = handouts.handout(lesson("experts", lang), words(lang))
    assert [m.value.strip() for m in at.markdown] == [page.strip()]  # the handout, and nothing else of the page
    assert not at.tabs and all(box.key != "teachers.handout" for box in at.selectbox)
    assert t("teachers.print_now", lang) in texts(at)
    styles = [h.proto.body for h in at.get("html") if "@media print" in h.proto.body]
    assert len(styles) == 1
    style = styles[0]
    screen, printed = style.split("@media print", 1)
    assert 'section[data-testid="stSidebar"]' in screen and 'header[data-testid="stHeader"]' in screen
    assert "display: none !important" in screen
    assert ".st-key-print_view_bar" in printed and "@page" in printed  # the hint and button are not printed
    at.button(key="print_view.back").click().run()
    check(at)
    assert len(at.tabs) == 4 and at.selectbox(key="teachers.handout").value == "experts"
