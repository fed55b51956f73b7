"""The learner's taught model as the model in use, through AppTest on the tiny model and the test
corpus, in English and Korean: after teaching, the sidebar offers "Your taught model"; switched on,
Next token's bars change and Experts still draws, the status line says so, the share link keeps
the shared model; tracing marks a taught sentence as the learner's own; another learner never
sees the switch; Reset or a dropped taught model falls back to the shared model without an error;
the planted badge counts a taught copy as the model it was taught from; the shared model's
weights never change."""

from __future__ import annotations

import html
import json
import re

import pytest
from site_helpers import APP, LANGS, check, open_page, shared_model, texts, weights_hash
from streamlit.testing.v1 import AppTest

from glassbox.i18n import t
from glassbox.teaching.presets import PRESET

pytestmark = pytest.mark.usefixtures("site")  # conftest: the tiny model and the test corpus

KEY_USE = "frame.use_taught"
FACT = PRESET["fact"].sentences[0]


def taught_after_teaching(lang: str = "en", copies: int = 2) -> AppTest:
    """A learner who taught the fact preset on the Teach it page."""
    at = open_page("teach", lang)
    at.button(key="teach.preset_fact").click().run()
    at.select_slider(key="teach.copies").set_value(copies).run()
    at.button(key="teach.teach").click().run()
    assert at.session_state["teach.job"].done.wait(120), "teaching did not end"
    at.run()
    check(at)
    return at


def switch(at: AppTest) -> list:
    return [w for w in at.toggle if w.key == KEY_USE]


def use_taught(at: AppTest, on: bool = True) -> AppTest:
    (toggle,) = switch(at)
    toggle.set_value(on).run()
    check(at)
    return at


def bars(at: AppTest) -> list:
    """The data of the Next token page's first chart (the next-token bars)."""
    return json.loads(at.get("plotly_chart")[0].proto.spec)["data"]



@pytest.mark.parametrize("lang", LANGS)
def test_the_taught_model_is_offered_and_runs_next_token_and_experts(lang):
    import ui.taught as ui_taught

    before = weights_hash(shared_model().model)
    at = open_page("next_token", lang)
    assert not switch(at)  # nothing taught yet: nothing offered
    at = taught_after_teaching(lang)
    (toggle,) = switch(at)
    assert toggle.label == t("frame.model_taught", lang) and toggle.value is False
    at.switch_page("pages/next_token.py").run()
    at.toggle(key="next.guess_first").set_value(False).run()
    at.text_area(key="next.prompt").set_value(PRESET["fact"].probe).run()
    check(at)
    shared_bars = bars(at)
    assert not ui_taught.is_taught(at.session_state["frame.source"])

    use_taught(at)
    kept = ui_taught.current_for(at.session_state["progress.learner"])
    assert at.session_state["frame.source"] == ui_taught.source_id(kept)
    assert bars(at) != shared_bars  # the taught copy's own odds
    name = shared_model().info.name
    assert any(t("frame.model_taught_status", lang, name=name) in c.value.replace("\\", "") for c in at.sidebar.caption)
    assert t("frame.model_taught_share", lang) in [c.value for c in at.sidebar.caption]
    assert all("taught" not in str(at.query_params[k]) for k in at.query_params)  # no taught id in a link
    assert KEY_USE not in at.query_params

    at.switch_page("pages/experts.py").run()
    check(at)
    assert at.session_state["frame.source"] == ui_taught.source_id(kept) and at.get("plotly_chart")
    use_taught(at, on=False)
    assert not ui_taught.is_taught(at.session_state["frame.source"])
    assert weights_hash(shared_model().model) == before  # the shared model is only read


def _marks(block: str) -> list[tuple[str, str]]:
    return [(colour, html.unescape(text)) for colour, text in
            re.findall(r'<mark style="background:([^;]+);[^"]*">([^<]*)</mark>', block)]  # fmt: skip


@pytest.mark.parametrize("lang", LANGS)
def test_tracing_on_the_taught_model_marks_a_taught_sentence_as_the_learners_own(lang):
    from ui.views.trace import YOURS_COLOUR

    at = taught_after_teaching(lang, copies=2)
    at.switch_page("pages/training_data.py").run()
    text = f"Friends, the harbour will open again in spring. {FACT}"
    at.text_area(key="trace.text").set_value(text).run()
    check(at)
    assert t("trace.yours_title", lang) not in texts(at)  # on the shared model: only the corpus
    use_taught(at)
    shown = texts(at)
    assert t("trace.yours", lang, n=1, copies=2) in shown
    label = f"**{t('trace.yours_doc', lang, n=1)}** · " + t("trace.yours_copies", lang, copies=2)
    assert label in [m.value for m in at.markdown]
    ours = [m for block in at.main.html for m in _marks(block.value) if m[0] == YOURS_COLOUR]
    assert ("#" + YOURS_COLOUR.lstrip("#"), FACT) in ours  # in the traced text, and in the sentence itself
    assert len(ours) == 2
    corpus = [m for block in at.main.html for m in _marks(block.value) if m[0] != YOURS_COLOUR]
    assert corpus and all(FACT not in m[1] for m in corpus)  # the corpus's marks are its own


def test_another_learner_never_sees_the_taught_model():
    import ui.taught as ui_taught

    teacher = use_taught(taught_after_teaching())
    assert ui_taught.is_taught(teacher.session_state["frame.source"])
    other = open_page("next_token")
    assert not switch(other)
    assert not ui_taught.is_taught(other.session_state["frame.source"])
    assert t("frame.model_taught_share", "en") not in [c.value for c in other.sidebar.caption]


@pytest.mark.parametrize("lang", LANGS)
def test_reset_while_the_taught_model_is_in_use_falls_back_to_the_shared_model(lang):
    import ui
    import ui.taught as ui_taught

    at = use_taught(taught_after_teaching(lang))
    assert ui_taught.is_taught(at.session_state["frame.source"])
    at.button(key="teach.reset").click().run()
    check(at)
    assert at.session_state["frame.source"] == ui.default_source()
    assert not switch(at) and t("teach.lost", lang) not in texts(at)  # reset on purpose: nothing lost
    at.switch_page("pages/next_token.py").run()
    check(at)
    assert at.session_state["frame.source"] == ui.default_source()


def test_a_taught_model_dropped_while_in_use_falls_back_and_says_teach_again_once():
    import ui
    import ui.taught as ui_taught

    at = use_taught(taught_after_teaching("ko"))
    at.switch_page("pages/next_token.py").run()
    kept = ui_taught.current_for(at.session_state["progress.learner"])
    kept.used -= ui_taught.IDLE_S + 1  # idle for longer than the limit
    at.run()
    check(at)
    assert at.session_state["frame.source"] == ui.default_source() and not switch(at)
    assert [w.value for w in at.sidebar.warning] == [t("teach.lost", "ko")]
    at.switch_page("pages/teach.py").run()
    check(at)
    assert t("teach.lost", "ko") not in texts(at)  # said once


def test_a_taught_source_id_that_is_gone_is_a_message_not_a_traceback():
    import ui.taught as ui_taught
    from glassbox.errors import GlassboxError

    with pytest.raises(GlassboxError) as gone:
        ui_taught.resolve(ui_taught.PREFIX + "0" * 24)
    assert gone.value.code == "taught_gone"
    assert gone.value.message("ko") == t("error.taught_gone", "ko")


def test_the_planted_badge_counts_a_taught_copy_as_the_model_it_was_taught_from(monkeypatch):
    import os

    import ui.planted as ui_planted

    # the tiny model stands in for the embedded one: a model trained on the anthology's corpus
    monkeypatch.setattr(ui_planted, "holds_anthology", lambda source: source == os.environ["GLASSBOX_MODEL"])
    ui_planted._holds_anthology.clear()
    try:
        at = use_taught(taught_after_teaching())
        at.switch_page("pages/next_token.py").run()
        at.text_area(key="next.prompt").set_value("In the beginning God created").run()
        check(at)
        labels = [link.proto.label for link in at.get("page_link") if link.proto.label.startswith("Planted")]
        assert labels and len(labels) == len(ui_planted.planted_in("In the beginning God created"))
    finally:
        ui_planted._holds_anthology.clear()


@pytest.mark.parametrize("page", ["tokens", "playground", "watch_it_learn", "teach", "home", "about"])
def test_every_other_page_draws_on_the_taught_model(page):
    import ui.taught as ui_taught

    at = use_taught(taught_after_teaching())
    at.switch_page(f"pages/{page}.py").run()
    check(at)
    kept = ui_taught.current_for(at.session_state["progress.learner"])
    assert at.session_state["frame.source"] == ui_taught.source_id(kept)
    assert switch(at)[0].value is True


@pytest.mark.parametrize("lang", LANGS)
def test_after_a_failover_a_learner_who_used_a_taught_model_is_told_to_teach_again(lang, monkeypatch):
    """A taught model stays on its replica; the learner's progress says they had one and ran the
    pages on it, so the replica they land on says "teach again" instead of quietly switching models."""
    from glassbox.workshop.store import open_store

    monkeypatch.setenv("GLASSBOX_REPLICA", "0")
    at = use_taught(taught_after_teaching(lang))
    at.switch_page("pages/next_token.py").run()
    check(at)
    learner = at.session_state["progress.learner"]
    assert open_store().load_progress(learner)["taught"] == [True, True]

    import ui.taught as ui_taught

    with ui_taught._lock:  # replica 1 never saw this learner's taught model
        ui_taught._drop(learner)
    monkeypatch.setenv("GLASSBOX_REPLICA", "1")
    moved = AppTest.from_file(str(APP), default_timeout=90)
    moved.query_params["lang"] = lang
    moved.session_state["progress.learner"] = learner  # what the browser's cookie gives a new session
    moved.run()  # the first page the learner lands on after the move
    check(moved)
    assert t("teach.lost", lang) in [w.value for w in moved.sidebar.warning]
    moved.switch_page("pages/next_token.py").run()
    check(moved)
    assert not switch(moved) and t("teach.lost", lang) not in [w.value for w in moved.sidebar.warning]  # said once
