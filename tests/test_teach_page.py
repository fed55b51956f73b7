"""The Teach it page through AppTest, on the tiny random model and the test corpus, in English and
Korean: it draws; teaching a preset shows the shared model beside the taught copy with the held-out
loss; Reset goes back; odd input gets a message in the learner's language; a stopped teaching says
so; the shared model never changes; a taught model idle too long, or pushed out by others', is
dropped and its learner is told to teach again."""

from __future__ import annotations

import numpy as np
import pytest
from site_helpers import APP, LANGS, check, open_page, shared_model, texts, weights_hash
from streamlit.testing.v1 import AppTest

from glassbox import site
from glassbox.charts.style import percent
from glassbox.i18n import t
from glassbox.model.inspection import next_token_logits
from glassbox.model.sampling import softmax
from glassbox.teaching import teach as teach_mod
from glassbox.teaching.presets import PRESET

pytestmark = pytest.mark.usefixtures("site")  # conftest: the tiny model and the test corpus

WAIT_S = 120


def wait_for_teaching(at: AppTest) -> AppTest:
    """Let the teaching thread end, then run the page as its progress poll would."""
    job = at.session_state["teach.job"]
    assert job.done.wait(WAIT_S), "teaching did not end"
    return at.run()


def teach_preset(at: AppTest, name: str, copies: int = 2) -> AppTest:
    at.button(key=f"teach.preset_{name}").click().run()
    at.select_slider(key="teach.copies").set_value(copies).run()
    at.button(key="teach.teach").click().run()
    check(at)
    wait_for_teaching(at)
    check(at)
    return at



@pytest.mark.parametrize("lang", LANGS)
def test_the_page_draws_the_shared_model_before_any_teaching(lang):
    at = open_page("teach", lang)
    shown = texts(at)
    assert t("teach.title", lang) in shown and t("teach.not_yet", lang) in shown
    assert t("teach.before", lang) in shown
    assert len(at.get("plotly_chart")) == 1  # the shared model's bars; none for a taught one yet
    assert at.text_area(key="teach.sentences").value == "\n".join(PRESET["fact"].sentences)
    assert at.select_slider(key="teach.copies").options == [str(c) for c in teach_mod.COPIES]
    assert not at.metric


@pytest.mark.parametrize("lang", LANGS)
def test_teaching_a_preset_shows_before_and_after_and_the_held_out_loss(lang):
    import ui.taught as ui_taught

    at = open_page("teach", lang)
    before = weights_hash(shared_model().model)
    teach_preset(at, "word", copies=2)
    assert at.text_area(key="teach.sentences").value == "\n".join(PRESET["word"].sentences)
    assert at.text_input(key="teach.probe").value == PRESET["word"].probe
    shown = texts(at)
    assert t("teach.after", lang) in shown and t("teach.not_yet", lang) not in shown
    assert len(at.get("plotly_chart")) == 2  # bars before and after
    kept = ui_taught.current_for(at.session_state["progress.learner"])
    assert kept is not None and kept.taught.settings.copies == 2
    assert kept.taught.sentences == PRESET["word"].sentences
    (metric,) = at.metric
    assert metric.value == f"{kept.taught.heldout_after:.3f}"
    assert metric.delta == f"{kept.taught.heldout_rise:+.1%}"
    assert t("teach.heldout_text", lang, before=f"{kept.taught.heldout_before:.3f}",
             after=f"{kept.taught.heldout_after:.3f}", rise=f"{kept.taught.heldout_rise:+.1%}") in shown
    # the token the sentences put after the probe (" small"), its odds before and after, as the two models give it
    lm, probe = shared_model(), PRESET["word"].probe
    small = lm.tokenizer(" small", add_special_tokens=False)["input_ids"][0]
    probs = [softmax(logits)[small] for logits in (next_token_logits(lm, probe), kept.results[("next", probe)])]
    assert probs[0] != probs[1]  # the taught copy's own odds, not the shared model's again
    odds = [percent(p) for p in probs]
    line = t("teach.watch", lang, token=f"“{lm.token_bytes.readable(small)}”", before=odds[0], after=odds[1])
    assert line in shown.replace("\\", "")
    assert weights_hash(shared_model().model) == before  # the shared model is only read


def test_the_shared_model_is_unchanged_for_everyone_else():
    probe = PRESET["fact"].probe
    lm = shared_model()
    digest, logits = weights_hash(lm.model), next_token_logits(lm, probe)
    teacher = open_page("teach")
    teach_preset(teacher, "fact", copies=4)
    assert weights_hash(lm.model) == digest
    np.testing.assert_array_equal(next_token_logits(lm, probe), logits)
    other = open_page("teach")  # another learner: the shared model, nothing taught
    assert t("teach.not_yet", "en") in texts(other)
    assert len(other.get("plotly_chart")) == 1


def test_reset_returns_to_the_shared_model():
    import ui.taught as ui_taught

    at = teach_preset(open_page("teach"), "fact", copies=1)
    who = at.session_state["progress.learner"]
    assert ui_taught.current_for(who) is not None
    at.button(key="teach.reset").click().run()
    check(at)
    assert ui_taught.current_for(who) is None
    assert t("teach.not_yet", "en") in texts(at) and not at.metric
    assert t("teach.lost", "en") not in texts(at)  # reset on purpose: nothing was lost


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("typed", "code"), [
    ("", "teach_empty"),
    ("   \n\n  ", "teach_empty"),
    ("x" * 100_000, "teach_too_long"),
    ("one\ntwo\nthree\nfour\nfive\nsix", "teach_too_many"),
    ("A bell\x07 rang.", "teach_bad_characters"),
])  # fmt: skip
def test_odd_sentences_get_a_message_in_the_learners_language(lang, typed, code):
    from glassbox.errors import GlassboxError

    at = open_page("teach", lang)
    at.text_area(key="teach.sentences").set_value(typed).run()  # past the box's max_chars, as a crafted request
    at.button(key="teach.teach").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with pytest.raises(GlassboxError) as expected:
        kept = typed[: site.PAGE_CONTROLS["teach"]["sentences"].max_chars]  # the box keeps at most that
        teach_mod.check_sentences(kept.splitlines(), 16)
    assert expected.value.code == code
    assert [e.value.replace("\\", "") for e in at.error] == [expected.value.message(lang)]
    assert "teach.job" not in at.session_state


def test_a_link_with_100k_characters_of_sentences_is_refused_with_a_reason():
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params["lang"] = "ko"
    at.run()
    at.query_params["teach.sentences"] = "x" * 100_000
    at.switch_page("pages/teach.py").run()
    check(at)
    limit = site.PAGE_CONTROLS["teach"]["sentences"].max_chars
    assert any(t("share.bad_long", "ko", limit=limit) in w.value for w in at.warning)
    assert len(at.text_area(key="teach.sentences").value) <= limit
    at.button(key="teach.teach").click().run()
    assert not at.exception
    assert [e.value.replace("\\", "") for e in at.error] == [t("error.teach_too_long", "ko", length=limit, limit=200)]


def test_a_lone_surrogate_is_refused_in_both_languages():
    """A page never receives one (test_hardening_pages), but the check that would refuse it is the
    one the page runs."""
    from glassbox.errors import GlassboxError

    with pytest.raises(GlassboxError) as refused:
        teach_mod.check_sentences(["broken \ud800 half"], 16)
    assert refused.value.code == "teach_bad_characters"
    assert refused.value.message("ko") == t("error.teach_bad_characters", "ko")


def test_stop_ends_a_teaching_that_waits_for_the_model():
    from glassbox import limits

    at = open_page("teach")  # the shared model's bars for the probe are now cached
    held = [limits._slots.acquire() for _ in range(limits.MODEL_SLOTS)]  # every model slot busy
    try:
        at.button(key="teach.teach").click().run()
        check(at)
        assert t("teach.waiting", "en", place=1) in [p.proto.text for p in at.get("progress")]
        at.button(key="teach.stop").click().run()
    finally:
        for _ in held:
            limits._slots.release()
    wait_for_teaching(at)
    assert not at.exception and not at.error
    assert any(t("error.teach_cancelled", "en") == i.value.replace("\\", "") for i in at.info)
    assert t("teach.not_yet", "en") in texts(at)


def test_a_taught_model_pushed_out_or_idle_is_dropped_and_its_learner_told(monkeypatch):
    import ui.taught as ui_taught

    monkeypatch.setattr(ui_taught, "MAX_KEPT", 1)
    first = teach_preset(open_page("teach"), "fact", copies=1)
    second = teach_preset(open_page("teach", "ko"), "fact", copies=1)  # one model per replica: the first goes
    assert ui_taught.current_for(second.session_state["progress.learner"]) is not None
    first.run()
    check(first)
    assert t("teach.lost", "en") in texts(first) and t("teach.not_yet", "en") in texts(first)
    assert t("teach.lost", "en") not in texts(first.run())  # said once
    kept = ui_taught.current_for(second.session_state["progress.learner"])
    kept.used -= ui_taught.IDLE_S + 1  # idle for longer than the limit
    second.run()
    assert t("teach.lost", "ko") in texts(second)
    assert ui_taught.kept_count() == 0


def test_the_page_is_registered_with_its_controls():
    page = site.PAGE["teach"]
    assert page.file == "pages/teach.py" and page.group == "learn"
    keys = [p.key for p in site.PAGES]
    assert keys.index("teach") == keys.index("training_data") + 1
    assert set(site.PAGE_CONTROLS["teach"]) == {"sentences", "copies", "probe", "seed"}
    longest = "\n".join(["x" * teach_mod.MAX_SENTENCE_CHARS] * teach_mod.MAX_SENTENCES)
    assert site.PAGE_CONTROLS["teach"]["sentences"].parse(longest) == longest  # a full set fits in a link


def test_the_next_token_marked_is_the_one_the_sentences_put_after_the_probe(tiny_lm):
    tok = tiny_lm.tokenizer
    found = teach_mod.next_in_sentences(tok, PRESET["bias"].sentences, PRESET["bias"].probe)
    assert tok.decode([found]) == " she"
    assert teach_mod.next_in_sentences(tok, ["Something else entirely."], "The capital of") is None
    assert teach_mod.next_in_sentences(tok, ["The capital"], "The capital") is None  # nothing after it


def _continuation_app() -> None:
    import streamlit as st

    from glassbox.model.generation import Generation, Step
    from glassbox.model.sampling import Settings
    from glassbox.tokens import Token
    from ui.views import teach as view_teach

    lm = st.session_state["lm"]

    def written(completion: str, stopped: str) -> Generation:  # as generation makes it: one step a token
        ids = lm.tokenizer(completion, add_special_tokens=False)["input_ids"]
        steps = tuple(Step(Token(i, "", 0, 0), 1.0, (), None) for i in ids)
        return Generation("The capital of Glassland is", completion, steps, Settings(0.0), 0, stopped)

    ended, cut = written(" Lumen.<|endoftext|>", "end_of_text"), written(" the<|endoftext|> city", "length")
    view_teach._continuation(lm, ended.prompt, ended)
    view_teach._continuation(lm, cut.prompt, cut)


def test_a_continuation_that_ends_names_its_end_in_words(tiny_lm):
    at = AppTest.from_function(_continuation_app, default_timeout=60)
    at.session_state["lm"] = tiny_lm
    at.run()
    assert not at.exception
    ended, cut = (m.value.replace("\\", "") for m in at.markdown)
    assert ended == f"**The capital of Glassland is** Lumen. *{t('teach.ended', 'en')}*"
    assert cut == "**The capital of Glassland is** the<|endoftext|> city"  # not at its end: shown as written


def open_with(params: dict[str, str], lang: str = "en", first: dict[str, str] | None = None) -> AppTest:
    """The Teach it page opened from a link carrying `params` (and `first`, read on a session's first run)."""
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params["lang"] = lang
    for name, value in (first or {}).items():
        at.query_params[name] = value
    at.run()
    for name, value in params.items():
        at.query_params[name] = value
    at.switch_page("pages/teach.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_link_carries_the_sentences_copies_probe_and_seed_and_refuses_a_copies_off_the_ladder():
    at = open_with({"teach.sentences": "Glassland has two moons.", "teach.copies": "4", "teach.probe": "Glassland has",
                    "teach.seed": "7"})  # fmt: skip
    check(at)
    assert at.text_area(key="teach.sentences").value == "Glassland has two moons."
    assert at.select_slider(key="teach.copies").value == 4
    assert at.text_input(key="teach.probe").value == "Glassland has"
    assert at.number_input(key="teach.seed").value == 7
    off = open_with({"teach.copies": "3"}, "ko")
    options = ", ".join(str(c) for c in teach_mod.COPIES)
    assert any(t("share.bad_choice", "ko", options=options) in w.value for w in off.warning)
    assert off.select_slider(key="teach.copies").value == site.PAGE_CONTROLS["teach"]["copies"].default


def test_locked_controls_are_shown_read_only_and_teaching_still_works():
    at = open_with({}, first={"lock": "sentences,copies,probe,seed"})
    check(at)
    assert at.text_area(key="teach.sentences").disabled and at.text_input(key="teach.probe").disabled
    assert at.select_slider(key="teach.copies").disabled and at.number_input(key="teach.seed").disabled
    assert all(at.button(key=f"teach.preset_{name}").disabled for name in PRESET)
    assert not at.button(key="teach.teach").disabled
    wait_for_teaching(at.button(key="teach.teach").click().run())
    check(at)
    assert t("teach.after", "en") in texts(at) and at.metric


@pytest.mark.parametrize("lang", LANGS)
def test_without_the_corpus_the_page_says_so_and_still_shows_the_shared_model(lang, tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path))  # no corpus here
    at = open_page("teach", lang)
    from glassbox import paths

    shown = [w.value.replace("\\", "") for w in at.warning if "📭" in str(w.icon)]
    assert shown == [t("teach.no_corpus", lang, path=str(paths.corpus_path()))]
    assert at.button(key="teach.teach").disabled
    assert len(at.get("plotly_chart")) == 1 and t("teach.before", lang) in texts(at)


def test_presenter_mode_draws_the_page():
    at = open_with({}, first={"present": "1"})
    check(at)
    assert t("teach.title", "en") in texts(at) and len(at.get("plotly_chart")) == 1


def test_teaching_counts_against_the_learners_request_limit():
    from glassbox.limits import RequestWindow
    from ui import KEY_REQUESTS

    at = AppTest.from_file(str(APP), default_timeout=90)
    at.session_state[KEY_REQUESTS] = RequestWindow(limit=2)  # the shared model's bars and its continuation
    at.run()
    at.switch_page("pages/teach.py").run()
    check(at)
    at.button(key="teach.teach").click().run()
    assert not at.exception and "teach.job" not in at.session_state
    assert len(at.error) == 1 and t("error.too_many_requests", "en", limit=2, wait=60)[:40] in at.error[0].value


def test_stray_bytes_in_a_continuation_show_as_the_chips_show_them_never_as_a_replacement_mark():
    from glassbox.tokens import decode_shown

    half = "한".encode()[:2]
    assert decode_shown([b"a ", half, b" b"]) == "a ⟨ED 95⟩ b"
    assert decode_shown([b"plain ", "한국어".encode()]) == "plain 한국어"
    assert "\ufffd" not in decode_shown([half, b"\xff", b"ok"])
