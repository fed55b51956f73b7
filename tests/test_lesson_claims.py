"""Every claim a lesson makes about what its steps show ("expect:" in its front matter) is measured
on the shipped model and a real index of its training corpus, built here from the registry packages
as `glassbox build corpus` builds it, in both languages."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from glassbox.lessons import load_lessons, load_manifest
from glassbox.lessons.claims import CLAIMS, ClaimCheck, Measurer, check_lesson

MANIFEST = load_manifest()


@pytest.fixture(scope="module")
def measurer(shipped_index, shipped_corpus):
    from glassbox.model.checkpoints import list_checkpoints
    from glassbox.model.loading import load_model
    from glassbox.paths import EMBEDDED_MODEL_DIR

    return Measurer(load_model(EMBEDDED_MODEL_DIR, device="cpu"), shipped_index, list_checkpoints(),
                    corpus=shipped_corpus)


def no_prediction_claims(lesson):
    """The lesson with its predictions' claims left out (to measure its steps' claims alone)."""
    return replace(lesson, predictions=tuple(replace(p, expect=()) for p in lesson.predictions))


def test_both_languages_make_the_same_claims():
    en, ko = load_lessons("en"), load_lessons("ko")
    for a, b in zip(en, ko, strict=True):
        assert [s.expect for s in a.steps] == [s.expect for s in b.steps], a.id
        assert [p.expect for p in a.predictions] == [p.expect for p in b.predictions], a.id


def test_every_step_that_sets_the_tool_says_what_it_will_show():
    for lang in MANIFEST.languages:
        for lesson in load_lessons(lang):
            for i, step in enumerate(lesson.steps):
                assert not step.example or step.expect, f"{lesson.id} ({lang}) steps[{i}] makes no claim"
            for n, p in enumerate(lesson.predictions, 1):
                assert not p.example or p.expect, f"{lesson.id} ({lang}) prediction {n} makes no claim"
    pages = {lesson.page for lesson in load_lessons("en") if any(s.expect for s in lesson.steps)}
    assert pages == {page for page, kinds in CLAIMS.items() if kinds}


@pytest.mark.slow
@pytest.mark.parametrize("lang", MANIFEST.languages)
@pytest.mark.parametrize("lesson_id", MANIFEST.lessons)
def test_every_claim_holds_on_the_shipped_model(measurer, lang, lesson_id):
    lesson = next(le for le in load_lessons(lang) if le.id == lesson_id)
    checks = check_lesson(lesson, measurer)
    failed = [c.describe() for c in checks if not c.holds]
    assert not failed, "\n".join(failed)
    assert len(checks) == sum(len(s.expect) for s in (*lesson.steps, *lesson.predictions))


def test_the_bias_quiz_quotes_what_the_shipped_model_gives():
    """The Next token quiz quotes the shipped model's ' he' and ' she' after 'The engineer said that'
    ("about 26%", "less than 1%"); quiz items carry no claims, so the numbers are read from the
    question in each language and measured here (the model alone, no index)."""
    from glassbox.model.loading import load_model
    from glassbox.paths import EMBEDDED_MODEL_DIR

    prompt = "The engineer said that"
    measurer = Measurer(load_model(EMBEDDED_MODEL_DIR, device="cpu"), index=None)
    measured = measurer.measure("next_token", "probability_of", {"prompt": prompt}, ((" he", None), (" she", None)))
    for lang in MANIFEST.languages:
        lesson = next(le for le in load_lessons(lang) if le.page == "next_token")
        question = next(q.question for q in lesson.quiz if prompt in q.question)
        about_he, below_she = (int(n) for n in re.findall(r"(\d+)\s*%", question))
        assert round(measured[" he"] * 100) == about_he, (lang, measured)
        assert measured[" she"] * 100 < below_she, (lang, measured)


def test_temperature_change_and_rank_claims_measure_what_the_page_shows():
    """`top_probability_change` and `rank_of` (Next token) agree with the page's own functions (the
    bars at two temperatures, the guess box's rank), hold for the lesson's steps, and a wrong range
    is reported. Needs only the shipped model, so it runs with the fast tests."""
    from glassbox.model.inspection import next_token_logits
    from glassbox.model.loading import load_model
    from glassbox.model.next_token import guess_rank, next_token_choice
    from glassbox.model.sampling import Settings
    from glassbox.paths import EMBEDDED_MODEL_DIR

    lm = load_model(EMBEDDED_MODEL_DIR, device="cpu")
    measurer = Measurer(lm, index=None)
    for lang in MANIFEST.languages:
        lesson = next(le for le in load_lessons(lang) if le.page == "next_token")
        places = [s for s in lesson.steps if {c for c, _ in s.expect} & {"top_probability_change", "rank_of"}]
        kinds = {c for s in (*places, *lesson.predictions) for c, _ in s.expect}
        assert {"top_probability_change", "rank_of"} <= kinds  # the temperature and bias steps say so
        checks = check_lesson(replace(lesson, steps=tuple(places)), measurer)
        assert all(c.holds for c in checks), [c.describe() for c in checks if not c.holds]
    for step in places:
        values, expect = step.values, dict(step.expect)
        logits = next_token_logits(lm, values["prompt"])
        if "top_probability_change" in expect:
            at = next_token_choice(lm, logits, Settings(values["temperature"], 0, 1.0)).candidates[0].prob
            at_one = next_token_choice(lm, logits, Settings(1.0, 0, 1.0)).candidates[0].prob
            assert measurer.measure("next_token", "top_probability_change", values) == round(at - at_one, 4)
            wrong = (("top_probability_change", (at - at_one + 0.1, None)),)
            (check,) = check_lesson(
                replace(no_prediction_claims(lesson), steps=(replace(step, expect=wrong),)), measurer
            )
            assert not check.holds
        if "rank_of" in expect:
            probs = next_token_choice(lm, logits, Settings(1.0, 0, 1.0)).probs
            ranks = measurer.measure("next_token", "rank_of", values, tuple(expect["rank_of"]))
            for text, rank in ranks.items():
                assert guess_rank(lm, probs, text.strip()).rank == rank


def test_every_prediction_of_a_lesson_is_measured():
    """A second prediction's claims are measured too, under its own place ("predict[2]"). The
    Tokens page's claims need only the shipped model's tokenizer."""
    from glassbox.model.loading import load_model
    from glassbox.paths import EMBEDDED_MODEL_DIR

    lesson = next(le for le in load_lessons("en") if le.page == "tokens")
    first = lesson.predict
    ((claim, right),) = first.expect
    second = replace(first, before=1, expect=((claim, (right[0] + 1, right[1] + 1)),))  # one token too many
    two = replace(lesson, steps=(), predictions=(first, second))
    checks = check_lesson(two, Measurer(load_model(EMBEDDED_MODEL_DIR, device="cpu"), index=None))
    assert [(c.where, c.holds) for c in checks] == [("predict", True), ("predict[2]", False)]
    assert checks[0].measured == checks[1].measured == right[0]


@pytest.mark.slow
def test_a_false_claim_is_reported(measurer):
    lesson = next(le for le in load_lessons("en") if le.page == "next_token")
    step = next(s for s in lesson.steps if s.expect)
    top = measurer.measure("next_token", "top_token", step.values)
    wrong = top + "zz"
    forged = replace(no_prediction_claims(lesson), steps=(replace(step, expect=(("top_token", wrong),)),))
    (check,) = check_lesson(forged, measurer)
    assert check == ClaimCheck(lesson.id, "en", "steps[0]", "top_token", wrong, top, False)
    assert "FAILS" in check.describe()
