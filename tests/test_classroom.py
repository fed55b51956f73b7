"""Classroom and workshop use, through AppTest with the real tiny model: views kept in the URL
(and bad URL values refused with a message), presenter mode, locked controls, the lab notebook,
the per-learner request limit, and the teacher guide page."""

from __future__ import annotations

import json

import pytest
from site_helpers import (
    APP,
    LANGS,
    SECOND_PREDICTION,
    check,
    open_page,
    part_of,
    show_part,
    texts,
    with_second_prediction,
)
from streamlit.testing.v1 import AppTest

from glassbox import notebook
from glassbox.i18n import t
from glassbox.limits import RequestWindow
from ui.text import md_escape

pytestmark = pytest.mark.usefixtures("site")  # conftest: the tiny model and the test corpus


FRAME = ("lang", "present", "lock")


def link_warnings(at: AppTest) -> list[str]:
    """The messages about a link's values refused."""
    return [w.value for w in at.warning if w.icon == "🔗"]


def open_link(page: str, ns: str = "", **params: str) -> AppTest:
    """A session opening a shared link onto `page` (AppTest always starts on the main page, so
    the link is opened from there, as a learner following a link in an open tab would). A widget's
    parameter is named by its key: `ns="next", top_k="5"` is `next.top_k=5`."""
    at = AppTest.from_file(str(APP), default_timeout=90)
    frame = {name: value for name, value in params.items() if name in FRAME}
    at.query_params.update(frame)
    at.run()
    at.query_params.update({name if name in FRAME else f"{ns}.{name}": value for name, value in params.items()})
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_link_opens_the_same_view():
    at = open_link("next_token", "next", lang="en", prompt="The ship sailed", temperature="0.4", top_k="5", seed="7")
    check(at)
    assert at.text_area(key="next.prompt").value == "The ship sailed"
    assert at.slider(key="next.temperature").value == pytest.approx(0.4)
    assert at.slider(key="next.top_k").value == 5
    assert not link_warnings(at)  # nothing refused
    # the learner moves a slider: the old link value is not applied again (the browser test
    # test_browser_links checks that the URL follows)
    at.slider(key="next.temperature").set_value(1.5).run()
    at.run()
    assert at.slider(key="next.temperature").value == pytest.approx(1.5)


def test_a_link_keeps_a_setting_at_the_low_end_of_its_range():
    """Greedy (temperature 0) is the slider's lowest value, not the page's default (1): a link
    to it must open at 0, not be taken for the default and dropped."""
    at = open_link("next_token", "next", lang="en", temperature="0", top_p="0.05")
    check(at)
    assert at.slider(key="next.temperature").value == 0.0
    assert at.slider(key="next.top_p").value == pytest.approx(0.05)
    assert not link_warnings(at)


def test_experts_link_keeps_layer_token_and_switched_off_expert():
    prompt = "The king spoke to the people"
    token = open_link("experts", "experts", lang="en", prompt=prompt).selectbox(key="experts.token").options[2]
    expert = t("experts.expert", "en", e=3)  # a choice is written as the learner reads it
    at = open_link("experts", "experts", lang="en", prompt=prompt, layer="1", token=token, expert_off=expert)
    check(at)
    assert at.select_slider(key="experts.layer").value == 1
    assert at.selectbox(key="experts.token").value == 2
    assert at.selectbox(key="experts.expert_off").value == 3
    assert not link_warnings(at)


@pytest.mark.parametrize("lang", LANGS)
def test_bad_link_values_are_refused_with_a_message(lang):
    at = open_link("next_token", "next", lang=lang, temperature="hot", top_k="999", seed="-1", prompt="Hello there")
    check(at)
    warnings = " ".join(w.value for w in at.warning)
    assert all(f"**{md_escape(name)}**" in warnings for name in ("next.temperature", "next.top_k", "next.seed"))
    assert t("share.bad_number", lang, low=0.0, high=2.0) in warnings
    assert at.slider(key="next.temperature").value == pytest.approx(1.0)  # the default stays
    assert at.slider(key="next.top_k").value == 0
    assert at.text_area(key="next.prompt").value == "Hello there"  # the good values are used
    assert len(link_warnings(at)) == 3
    at.run()  # said once: the next run does not say it again
    assert not link_warnings(at)

    at = open_link("experts", "experts", lang=lang, prompt="The sea", layer="99", expert_off="<b>x</b>")
    check(at)
    warnings = " ".join(w.value for w in at.warning)
    assert md_escape("experts.layer") in warnings and md_escape("experts.expert_off") in warnings
    assert at.select_slider(key="experts.layer").value == 0 and at.selectbox(key="experts.expert_off").value is None
    assert "<b>" not in warnings  # the bad value is shown as text, escaped


def test_presenter_mode_shows_one_step_at_a_time():
    from glassbox.lessons import lesson_for_page

    lesson = lesson_for_page("tokens", "en")
    at = open_link("tokens", lang="en", present="1")
    check(at)
    assert at.button(key="frame.present_exit")
    total = len(lesson.steps) + 2 + len(lesson.predictions)
    assert t("present.step", "en", n=1, total=total) in texts(at)
    assert lesson.steps[0].title not in texts(at)  # only the introduction for now
    at.button(key=f"lesson.{lesson.id}.next").click().run()
    assert lesson.steps[0].title in texts(at) and lesson.steps[1].title not in texts(at)
    assert at.query_params["step"] == "2" and at.query_params["present"] == "1"
    at.button(key="frame.present_exit").click().run()
    check(at)
    assert "present" not in at.query_params and "step" not in at.query_params
    assert lesson.steps[0].title in texts(at) and lesson.steps[1].title not in texts(at)  # the same part
    at.toggle(key=f"lesson.{lesson.id}.whole").set_value(True).run()
    assert lesson.steps[0].title in texts(at) and lesson.steps[1].title in texts(at)  # the whole lesson


@pytest.mark.parametrize("lesson_page", ["experts", "next_token"])
def test_a_prediction_comes_before_the_step_that_would_answer_it(lesson_page):
    from glassbox.lessons import lesson_for_page

    lesson = lesson_for_page(lesson_page, "en")
    before = lesson.predict.before
    at = open_link(lesson_page, lang="en", present="1")
    for _ in range(before):  # the introduction, then the steps before the prediction
        assert lesson.predict.question not in texts(at)
        at.button(key=f"lesson.{lesson.id}.next").click().run()
    assert lesson.predict.question in texts(at) and lesson.steps[before - 1].title not in texts(at)
    at.button(key="frame.present_exit").click().run()
    at.toggle(key=f"lesson.{lesson.id}.whole").set_value(True).run()
    shown = texts(at)  # the whole lesson: the question sits between the step before it and its step
    if before > 1:
        assert shown.index(lesson.steps[before - 2].title) < shown.index(lesson.predict.question)
    assert shown.index(lesson.predict.question) < shown.index(lesson.steps[before - 1].title)


def test_a_lesson_with_two_predictions_shows_each_in_its_place_with_its_own_answer(tmp_path, monkeypatch):
    """A second prediction (before step 2 of Tokens; the first comes before step 5) is drawn before
    its step, and its guess, reveal and keys are its own: revealing one leaves the other unanswered."""
    lessons = with_second_prediction(tmp_path, monkeypatch, "tokens", before=2)
    lesson = next(le for le in lessons if le.id == "tokens")
    first, second = lesson.predictions
    key = "lesson.tokens"
    at = open_page("tokens")
    show_part(at, "tokens", part_of("tokens", step=1))
    assert lesson.steps[0].title in texts(at) and second.question not in texts(at)
    at.button(key=f"{key}.next").click().run()  # Next: the second prediction comes before step 2
    check(at)
    assert second.question in texts(at) and first.question not in texts(at)
    assert lesson.steps[1].title not in texts(at)
    at.radio(key=f"{key}.predict2").set_value(0).run()
    at.button(key=f"{key}.reveal2").click().run()
    check(at)
    assert at.session_state[f"{key}.revealed2"] is True and f"{key}.revealed" not in at.session_state
    assert SECOND_PREDICTION["reveal"] in texts(at) and first.reveal not in texts(at)
    assert t("lesson.guess_wrong", "en", answer=second.choices[second.answer]) in texts(at)
    at.button(key=f"{key}.next").click().run()
    assert lesson.steps[1].title in texts(at)  # then step 2

    show_part(at, "tokens", part_of("tokens", predict=True))  # the first: still unanswered
    check(at)
    assert first.question in texts(at) and first.reveal not in texts(at)
    assert at.radio(key=f"{key}.predict").value is None and not at.radio(key=f"{key}.predict").disabled
    at.radio(key=f"{key}.predict").set_value(first.answer).run()
    at.button(key=f"{key}.reveal").click().run()
    check(at)
    assert first.reveal in texts(at) and t("lesson.guess_right", "en") in texts(at)
    assert at.session_state[f"{key}.predict2"] == 0 and at.session_state[f"{key}.predict"] == first.answer

    at.toggle(key=f"{key}.whole").set_value(True).run()  # the whole lesson: both, each before its step
    check(at)
    shown = texts(at)
    order = [lesson.steps[0].title, second.question, lesson.steps[1].title, lesson.steps[3].title, first.question,
             lesson.steps[4].title]  # fmt: skip
    assert [shown.index(text) for text in order] == sorted(shown.index(text) for text in order)
    assert at.radio(key=f"{key}.predict2").disabled and at.radio(key=f"{key}.predict").disabled  # both revealed


def test_locked_controls_are_read_only():
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params.update({"lang": "en", "lock": "prompt,temperature,nonsense"})
    at.run()
    assert any("nonsense" in w.value for w in at.warning)  # an unknown name is left out, saying so
    at.switch_page("pages/next_token.py").run()
    check(at)
    assert at.text_area(key="next.prompt").disabled
    assert at.slider(key="next.temperature").disabled
    assert not at.slider(key="next.top_k").disabled
    assert at.query_params["lock"] == "prompt,temperature"


def test_notebook_collects_what_was_explored():
    at = open_page("tokens", "en")
    at.text_area(key="tokens.text").input("Glass boxes hold tokens").run()
    at.switch_page("pages/experts.py").run()
    check(at)
    entries = at.session_state["notebook.entries"]
    kinds = {kind for kind, _ in entries}
    assert {"tokens", "experts"} <= kinds
    assert ("tokens", "Glass boxes hold tokens") in entries
    downloads = [b for b in at.get("download_button")]
    assert len(downloads) == 2


def test_notebook_markdown_and_json():
    entries = notebook.record({}, "tokens", "hi | there", {"tokens": [{"id": 5, "text": "hi"}, {"id": 9, "text": "|"}]})
    entries = notebook.record(entries, "next_token", "Once", {
        "settings": {"temperature": 0.7, "top_k": 0, "top_p": 1.0},
        "top": [{"id": 1, "text": " upon", "prob": 0.5, "kept": True}],
    })
    entries = notebook.record(entries, "trace", "In the beginning", {
        "spans": [{"text": "In the beginning", "count": 3, "documents": ["Genesis", "John"]}],
    })
    book = notebook.Notebook(entries=tuple(entries.values()), lang="ko", model="tiny",
                             quiz=(notebook.QuizResult("tokens", "토큰", 2, 3, True),))
    md = notebook.to_markdown(book)
    assert t("notebook.title", "ko") in md and "Genesis; John" in md and "50.0%" in md
    assert "~~~\nhi | there\n~~~" in md and "`\\|`" in md  # a pipe cannot break the table
    assert t("notebook.score", "ko", right=2, total=3) in md
    data = json.loads(notebook.to_json(book))
    assert [e["kind"] for e in data["entries"]] == ["tokens", "next_token", "trace"]
    assert data["quiz"][0]["right"] == 2
    # the same view and input again replaces its entry; the oldest go past the cap
    again = notebook.record(entries, "tokens", "hi | there", {"tokens": []})
    assert len(again) == 3 and again[("tokens", "hi | there")]["tokens"] == []
    many = {}
    for i in range(notebook.MAX_ENTRIES + 5):
        many = notebook.record(many, "tokens", str(i), {"tokens": []})
    assert len(many) == notebook.MAX_ENTRIES and ("tokens", "0") not in many
    with pytest.raises(ValueError):
        notebook.record({}, "secrets", "x", {})


def test_request_window_counts_new_requests_only():
    from glassbox.errors import GlassboxError

    now = [0.0]
    window = RequestWindow(limit=2, seconds=60, clock=lambda: now[0])
    window.admit("a")
    window.admit("b")
    window.admit("a")  # asked again: free
    with pytest.raises(GlassboxError) as refused:
        window.admit("c")
    assert refused.value.code == "too_many_requests"
    assert "60" in refused.value.message("en")
    now[0] = 61.0
    window.admit("c")  # a minute later there is room again


@pytest.mark.parametrize("lang", LANGS)
def test_request_limit_on_a_page(lang):
    at = open_page("next_token", lang)
    at.session_state["limits.requests"] = RequestWindow(limit=1)
    at.toggle(key="next.guess_first").set_value(False).run()
    at.text_area(key="next.prompt").input("One new prompt").run()
    at.text_area(key="next.prompt").input("Another new prompt").run()
    assert not at.exception
    from glassbox.errors import MESSAGES

    assert any(MESSAGES["too_many_requests"][lang].split("{")[0] in e.value for e in at.error)
    assert at.sidebar.radio(key="frame.lang")  # the rest of the page is still there


@pytest.mark.parametrize("lang", LANGS)
def test_teacher_guide_page(lang):
    at = open_page("teachers", lang)
    body = "\n".join(m.value for m in at.markdown)
    assert "50" in body and "0.0.0.0" in body
    assert ("교사" in body) == (lang == "ko")
    # a handout per lesson, made from the lesson, with no answers; the answer key is behind the
    # teacher key (tests/test_teacher_pack.py opens it)
    from glassbox.lessons import load_lessons

    lessons = load_lessons(lang)
    at.selectbox(key="teachers.handout").set_value("next_token").run()
    body = "\n".join(m.value for m in at.markdown)
    lesson = next(le for le in lessons if le.id == "next_token")
    assert lesson.title in body and lesson.quiz[0].question in body and lesson.predict.question in body
    assert lesson.predict.reveal not in body and lesson.quiz[0].choices[0].feedback not in body


def test_server_settings_are_safe_for_a_workshop():
    import tomllib

    config = tomllib.loads((APP.parent / ".streamlit" / "config.toml").read_text())
    server = config["server"]
    assert server["address"] == "127.0.0.1"  # loopback unless the host says otherwise
    assert server["headless"] is True and server["enableXsrfProtection"] is True
    assert server["maxUploadSize"] <= 5
    assert config["client"]["showErrorDetails"] == "none"  # no tracebacks shown to learners
    assert config["browser"]["gatherUsageStats"] is False


def test_malformed_frame_parameters_do_no_harm():
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params.update({"lang": "xx", "present": "maybe", "lock": "", "step": "-3"})
    at.run()
    check(at)
    assert at.sidebar.radio(key="frame.lang").value == "en"  # an unknown language reads English
    assert not at.session_state["frame.present"]
    at.query_params.update({"frame.model_choice": "../../etc/passwd", "next.prompt": "x" * 5000, "next.top_p": "nan"})
    at.switch_page("pages/next_token.py").run()
    check(at)
    warnings = " ".join(link_warnings(at))
    assert all(f"**{md_escape(name)}**" in warnings for name in ("frame.model_choice", "next.prompt", "next.top_p"))
    assert at.selectbox(key="frame.model_choice").value == "embedded"  # no path taken from a link
    assert at.slider(key="next.top_p").value == pytest.approx(1.0)
    assert t("common.cut", "en", limit=2000, length=5000) in texts(at)  # the page reads no more than its limit


