"""Lessons say which model their claims were measured on (the Tiny OLMoE), and with another model in
use they do not present those claims, nor their description of the Tiny OLMoE's training data, as
holding for it (glassbox/lessons/measured.py, ui/measured.py)."""

from __future__ import annotations

import pytest
from site_helpers import APP, LANGS, check, part_of
from streamlit.testing.v1 import AppTest

from glassbox.i18n import t
from glassbox.lessons import load_lessons, measured
from glassbox.model.checkpoints import list_checkpoints
from glassbox.paths import EMBEDDED_MODEL_DIR

MEASURED, FRAMED = "📏 ", "📚 "  # how the two notes begin (ui/measured.py)


def test_which_model_counts_as_the_one_the_claims_were_measured_on(tmp_path):
    embedded = measured.fit(str(EMBEDDED_MODEL_DIR) + "/", "tokens")  # the folder however it is spelled
    assert (embedded.kind, embedded.claims_hold, embedded.corpus_holds) == (measured.EMBEDDED, True, True)
    earlier = next(c for c in list_checkpoints() if c.label != "final")
    checkpoint = measured.fit(earlier.path, "tokens")
    assert (checkpoint.kind, checkpoint.claims_hold, checkpoint.corpus_holds) == (measured.CHECKPOINT, False, True)
    taught = measured.fit(str(EMBEDDED_MODEL_DIR), "teach", taught=True)
    assert (taught.kind, taught.claims_hold, taught.corpus_holds) == (measured.TAUGHT, False, True)
    for other in (str(tmp_path), "allenai/OLMoE-1B-7B-0125-Instruct"):
        found = measured.fit(other, "training_data")
        assert (found.kind, found.claims_hold, found.corpus_holds) == (measured.OTHER, False, False), other
        assert measured.fit(other, "teach", taught=True).kind == measured.OTHER
        # Watch it learn shows the Tiny OLMoE's checkpoints whatever is picked: its claims hold
        assert measured.fit(other, "watch_it_learn").claims_hold
    assert all(lesson.about_corpus for lesson in load_lessons("en"))  # every lesson describes its data


def tokens_step(lang: str, **state) -> AppTest:
    """The Tokens page with its lesson at step 1 (which makes claims), after `state` is set."""
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params["lang"] = lang
    for key, value in {"lesson.tokens.slide": part_of("tokens", 1), **state}.items():
        at.session_state[key] = value
    at.run()
    at.switch_page("pages/tokens.py").run()
    check(at)
    return at


def notes(at: AppTest) -> dict[str, list[str]]:
    """The notes on the page: what follows each note's mark in a caption (the framing ends the caption
    under the lesson's title)."""
    captions = [c.value.replace("\\", "") for c in at.main.caption]  # (names are Markdown-escaped)
    return {mark: [c.split(mark, 1)[1] for c in captions if mark in c] for mark in (MEASURED, FRAMED)}


@pytest.mark.parametrize("lang", LANGS)
def test_with_another_model_a_claim_is_not_presented_as_its_own(site, lang):
    """The site's default here is the tests' random model ("test-olmoe"), not the Tiny OLMoE."""
    found = notes(tokens_step(lang))
    assert found[MEASURED] == [t("lesson.measured_other", lang, model="test-olmoe")]
    assert found[FRAMED] == [t("lesson.written_for", lang, model="test-olmoe")]


def test_with_the_tiny_olmoe_the_claims_stand_and_a_checkpoint_may_differ(site, monkeypatch, tiny_model_dir):
    monkeypatch.setenv("GLASSBOX_MODEL", str(EMBEDDED_MODEL_DIR))
    monkeypatch.setenv("GLASSBOX_MODELS", f"Class model={tiny_model_dir}")
    at = tokens_step("en")
    assert notes(at) == {MEASURED: [t("lesson.measured", "en")], FRAMED: []}  # as before, plus where it was measured
    earlier = next(c for c in list_checkpoints() if c.label != "final")
    at.sidebar.selectbox(key="frame.model_choice").set_value(f"ckpt:{earlier.name}").run()
    check(at)
    assert notes(at) == {MEASURED: [t("lesson.measured_checkpoint", "en")], FRAMED: []}  # same training data
    at.sidebar.selectbox(key="frame.model_choice").set_value("host:Class model").run()  # one of the host's list
    check(at)
    assert notes(at) == {MEASURED: [t("lesson.measured_other", "en", model="Class model")],
                         FRAMED: [t("lesson.written_for", "en", model="Class model")]}
