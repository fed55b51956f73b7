"""Every claim a lesson makes about what its steps show ("expect:" in its front matter) is measured
on the shipped model and a real index of its training corpus, built here from the registry packages
as `glassbox build corpus` builds it, in both languages."""

from __future__ import annotations

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


def test_both_languages_make_the_same_claims():
    en, ko = load_lessons("en"), load_lessons("ko")
    for a, b in zip(en, ko, strict=True):
        assert [s.expect for s in a.steps] == [s.expect for s in b.steps], a.id
        assert a.predict.expect == b.predict.expect, a.id


def test_every_step_that_sets_the_tool_says_what_it_will_show():
    for lang in MANIFEST.languages:
        for lesson in load_lessons(lang):
            for i, step in enumerate(lesson.steps):
                assert not step.example or step.expect, f"{lesson.id} ({lang}) steps[{i}] makes no claim"
            assert not lesson.predict.example or lesson.predict.expect, f"{lesson.id} ({lang}) predict"
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
    assert len(checks) == sum(len(s.expect) for s in lesson.steps) + len(lesson.predict.expect)


@pytest.mark.slow
def test_a_false_claim_is_reported(measurer):
    lesson = next(le for le in load_lessons("en") if le.page == "next_token")
    step = next(s for s in lesson.steps if s.expect)
    top = measurer.measure("next_token", "top_token", step.values)
    wrong = top + "zz"
    forged = replace(lesson, steps=(replace(step, expect=(("top_token", wrong),)),),
                     predict=replace(lesson.predict, expect=()))
    (check,) = check_lesson(forged, measurer)
    assert check == ClaimCheck(lesson.id, "en", "steps[0]", "top_token", wrong, top, False)
    assert "FAILS" in check.describe()
