"""Planted passages are named where they are used: `glassbox.corpus.planted` finds the famous lines
the anthology copies into the training data, every lesson example that uses one is found, and the
pages show the badge with the ladder's copies for the embedded model only (the real lessons, the real
embedded model, AppTest)."""

from __future__ import annotations

import re

import pytest
import streamlit.testing.v1.app_test as app_test_module
from site_helpers import APP, SteadyPagesManager, check
from streamlit.testing.v1 import AppTest

from glassbox.corpus.anthology import FAMOUS, read_ladder
from glassbox.corpus.planted import famous_passages, holds_anthology, planted_in
from glassbox.lessons import load_lessons, load_manifest
from glassbox.paths import EMBEDDED_MODEL_DIR


def words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.casefold())


def longest_shared_run(a: list[str], b: list[str]) -> int:
    """The longest run of words found in both (a plain quadratic scan: the reference)."""
    best = 0
    for i in range(len(a)):
        for j in range(len(b)):
            k = 0
            while i + k < len(a) and j + k < len(b) and a[i + k] == b[j + k]:
                k += 1
            best = max(best, k)
    return best


def test_every_famous_opening_is_found_with_the_ladders_copies():
    ladder = {p.id: p.copies for p in read_ladder()}
    for pid, _, _, opening, _ in FAMOUS:
        found = {p.id: p.copies for p in planted_in(f"He said: {opening.upper()}, and went on.")}
        assert found.get(pid) == ladder[pid], (pid, found)


@pytest.mark.parametrize("text", ["", "   ", "In the", "The nurse said that", "hello world"])
def test_ordinary_text_uses_no_planted_passage(text):
    assert planted_in(text) == ()


def test_the_start_of_an_opening_counts_once_it_is_three_words_long():
    assert [p.id for p in planted_in("And God said, Let there be")] == ["genesis-1-3"]
    assert {p.id for p in planted_in("In the beginning")} == {"genesis-1-1", "john-1-1"}
    assert planted_in("And God") == ()


def test_every_lesson_example_that_uses_a_planted_passage_is_marked():
    """Reference: an example shares at least four words in a row (or the whole opening) with an
    opening; then `planted_in` must name that passage, so the page shows the badge."""
    marked = 0
    for lang in load_manifest().languages:
        for lesson in load_lessons(lang):
            examples = [s.values for s in lesson.steps] + [p.values for p in lesson.predictions]
            for values in examples:
                for field in ("prompt", "text"):
                    text = str((values or {}).get(field) or "")
                    found = {p.id for p in planted_in(text)}
                    for p in famous_passages():
                        need = min(4, len(words(p.opening)))
                        if longest_shared_run(words(text), words(p.opening)) >= need:
                            assert p.id in found, (lesson.id, lang, text, p.id)
                            marked += 1
    assert marked >= 4  # Hamlet, Austen and Genesis are used by the lessons today


def test_only_a_model_of_the_embedded_corpus_holds_the_anthology(tiny_model_dir):
    assert holds_anthology(EMBEDDED_MODEL_DIR)
    assert holds_anthology(EMBEDDED_MODEL_DIR / "checkpoints" / "step-00040")
    assert not holds_anthology(tiny_model_dir)  # a model of other data
    assert not holds_anthology("allenai/OLMoE-1B-7B-0125-Instruct")


def badges(at: AppTest) -> list[str]:
    return [link.proto.label for link in at.get("page_link") if link.proto.label.startswith(("Planted", "일부러"))]


def next_token_page(monkeypatch, model, prompt: str, lang: str = "en") -> AppTest:
    monkeypatch.setenv("GLASSBOX_MODEL", str(model))
    monkeypatch.setattr(app_test_module, "PagesManager", SteadyPagesManager)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["lang"] = lang
    at.query_params["next.prompt"] = prompt
    at.run()
    at.switch_page("pages/next_token.py").run()
    check(at)
    return at


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_next_token_names_the_planted_line_for_the_embedded_model(monkeypatch, site_data_dir, lang):
    monkeypatch.setenv("GLASSBOX_DATA", str(site_data_dir))
    at = next_token_page(monkeypatch, EMBEDDED_MODEL_DIR, "To be, or not to be", lang)
    (label,) = badges(at)
    assert "Hamlet" in label and "64" in label
    at = next_token_page(monkeypatch, EMBEDDED_MODEL_DIR, "The nurse said that", lang)
    assert badges(at) == []


@pytest.mark.slow
def test_no_badge_for_a_model_of_other_data(monkeypatch, site_data_dir, tiny_model_dir):
    monkeypatch.setenv("GLASSBOX_DATA", str(site_data_dir))
    at = next_token_page(monkeypatch, tiny_model_dir, "To be, or not to be")
    assert badges(at) == []


def test_the_model_card_says_which_famous_openings_were_planted():
    """The card is written from eval.json (`glassbox.training.cards`), and the committed one is that text."""
    from glassbox.model.folder import evaluation, training_log
    from glassbox.training.cards import model_card

    card = model_card(training_log(EMBEDDED_MODEL_DIR), evaluation(EMBEDDED_MODEL_DIR), EMBEDDED_MODEL_DIR)
    assert card == (EMBEDDED_MODEL_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    openings = evaluation(EMBEDDED_MODEL_DIR)["memorisation"]
    planted = [p for p in openings if planted_in(p["prompt"])]
    assert f"{len(planted)} of them were planted there on purpose" in card
