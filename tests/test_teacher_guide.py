"""The teacher guides' class plan points at the real lessons: every step, prediction or quiz
question it names is written in a checkable form, and each one is checked against the lesson
files (`glassbox.lessons.load_lessons`) in the guide's own language.

The checkable forms (the quoted words must occur in that step's title or text, in the question or
choices of one of the lesson's predictions, or in that quiz question, of the lesson of the plan's slot):

- English: `step 3 (“Capitals and spaces”)`, `the prediction (“How many tokens”)`,
  `quiz question 2 (“Why do ‘Hello’”)`;
- Korean: `3단계(“대문자와 띄어쓰기”)`, `예측 문제(“토큰을 몇 개”)`, `퀴즈 2번(“번호가 다를까요”)`.

A slot of the plan is a `### H:MM – …` heading; its lesson is the one on the page whose menu
title (`nav.<page>` in locales) the heading names (the longest such title). A step number
anywhere in a guide must be in the checkable form, and so must a prediction named in the plan.
Leaves out: whether the guide's own descriptions (good answers, timings) are right; only the
references are checked.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from glassbox.i18n import t
from glassbox.lessons import Lesson, load_lessons

DOCS = Path(__file__).resolve().parent.parent / "docs"
GUIDES = {"en": DOCS / "teacher-guide.md", "ko": DOCS / "teacher-guide.ko.md"}
PLAN_HEADING = {"en": "## The 50-minute class plan", "ko": "## 50분 수업안"}
QUOTE = r'\([“"](?P<quote>[^”"]+)[”"][^)]*\)'
FORMS = {
    "en": {
        "step": re.compile(r"\bstep\s+(?P<n>\d+)\s+" + QUOTE),
        "predict": re.compile(r"\bthe\s+prediction\s+" + QUOTE),
        "quiz": re.compile(r"\bquiz\s+question\s+(?P<n>\d+)\s+" + QUOTE),
    },
    "ko": {
        "step": re.compile(r"(?P<n>\d+)\s?단계\s?" + QUOTE),
        "predict": re.compile(r"예측\s+문제\s?" + QUOTE),
        "quiz": re.compile(r"퀴즈\s+(?P<n>\d+)\s?번\s?" + QUOTE),
    },
}
EXAMPLES = {
    "en": {"step": "step 3 (“Capitals and spaces”)", "predict": "the prediction (“How many tokens”)",
           "quiz": "quiz question 2 (“Why do”)"},
    "ko": {"step": "3단계(“대문자와 띄어쓰기”)", "predict": "예측 문제(“토큰을 몇 개”)",
           "quiz": "퀴즈 2번(“번호가 다를까요”)"},
}
# Any mention of a step number or (in the plan) of the prediction or a quiz question: each must be one of the forms.
MENTIONS = {
    "en": {"step": re.compile(r"\bsteps?\s+\d+", re.I), "predict": re.compile(r"\bthe\s+prediction\b", re.I),
           "quiz": re.compile(r"\bquiz\s+question\s+\d+", re.I)},
    "ko": {"step": re.compile(r"\d+\s?단계"), "predict": re.compile(r"예측\s+문제"),
           "quiz": re.compile(r"퀴즈\s+\d+\s?번")},
}  # fmt: skip
SLOT = re.compile(r"^### \d+:\d\d\b.*$", re.M)


@dataclass(frozen=True)
class Reference:
    line: int
    slot: str  # the plan slot's heading ("" outside the plan)
    kind: str  # step, predict or quiz
    n: int | None
    quote: str


def norm(text: str) -> str:
    """Text as a reader compares it: no Markdown emphasis, one kind of quote, one space, any case."""
    text = unicodedata.normalize("NFC", text).replace("**", "").replace("*", "")
    text = re.sub(r"[‘’‚′`]", "'", text)
    text = re.sub(r"[“”„″]", '"', text)
    return re.sub(r"\s+", " ", text).casefold().strip()


def plan_span(text: str, lang: str) -> tuple[int, int]:
    start = text.find(PLAN_HEADING[lang])
    if start < 0:
        return (0, 0)
    end = text.find("\n## ", start + 1)
    return start, (len(text) if end < 0 else end)


def slot_lessons(lang: str, lessons: tuple[Lesson, ...]) -> dict[str, Lesson]:
    """Each menu title of a page with a lesson, and that lesson."""
    return {t(f"nav.{lesson.page}", lang): lesson for lesson in lessons}


def lesson_of(heading: str, by_title: dict[str, Lesson]) -> Lesson | None:
    named = [title for title in by_title if title in heading]
    return by_title[max(named, key=len)] if named else None


def references(text: str, lang: str) -> tuple[list[Reference], list[str]]:
    """The checkable references in a guide, and a problem for every mention that is not one."""
    plan = plan_span(text, lang)
    slots = [(m.start(), m.group(0)) for m in SLOT.finditer(text) if plan[0] <= m.start() < plan[1]]
    refs, problems = [], []
    for kind, mention in MENTIONS[lang].items():
        form = FORMS[lang][kind]
        for m in mention.finditer(text):
            in_plan = plan[0] <= m.start() < plan[1]
            if kind != "step" and not in_plan:
                continue  # the prediction and the quiz are named as such only in the plan
            line = text.count("\n", 0, m.start()) + 1
            found = form.match(text, m.start())
            if found is None:
                problems.append(f"line {line}: '{text[m.start():m.start() + 40]}' is not written as a checkable "
                                f"reference, such as {EXAMPLES[lang][kind]}")  # fmt: skip
                continue
            slot = next((heading for at, heading in reversed(slots) if at < m.start()), "") if in_plan else ""
            n = found.groupdict().get("n")
            refs.append(Reference(line, slot, kind, int(n) if n else None, found.group("quote")))
    return refs, problems


def check(text: str, lang: str, lessons: tuple[Lesson, ...]) -> list[str]:
    """Every problem with a guide's references to its lessons (an empty list: all are right)."""
    refs, problems = references(text, lang)
    by_title = slot_lessons(lang, lessons)
    for ref in refs:
        where = f"line {ref.line} ({ref.kind} {ref.n or ''} “{ref.quote}”)"
        lesson = lesson_of(ref.slot, by_title)
        if lesson is None:
            problems.append(f"{where}: not inside a plan slot whose heading names a lesson's page")
            continue
        if ref.kind == "step":
            if not 1 <= ref.n <= len(lesson.steps):
                problems.append(f"{where}: lesson {lesson.id} has {len(lesson.steps)} steps")
                continue
            step = lesson.steps[ref.n - 1]
            target = step.title + "\n" + step.text
        elif ref.kind == "predict":
            targets = ["\n".join((p.question, *p.choices)) for p in lesson.predictions]  # any of them
            target = next((text for text in targets if norm(ref.quote) in norm(text)), targets[0])
        else:
            if not 1 <= ref.n <= len(lesson.quiz):
                problems.append(f"{where}: lesson {lesson.id} has {len(lesson.quiz)} quiz questions")
                continue
            target = lesson.quiz[ref.n - 1].question
        if norm(ref.quote) not in norm(target):
            problems.append(f"{where}: the words are not in that part of lesson {lesson.id} ({lang})")
    return problems


@pytest.mark.parametrize("lang", sorted(GUIDES))
def test_every_lesson_reference_in_the_guide_is_right(lang):
    text = GUIDES[lang].read_text(encoding="utf-8")
    refs, _ = references(text, lang)
    assert len(refs) >= 10  # the plan names steps and predictions in every lesson slot
    assert {ref.kind for ref in refs} >= {"step", "predict"}
    assert check(text, lang, load_lessons(lang)) == []


@pytest.mark.parametrize("lang", sorted(GUIDES))
def test_every_lesson_slot_of_the_plan_names_its_lesson(lang):
    text = GUIDES[lang].read_text(encoding="utf-8")
    lessons = load_lessons(lang)
    refs, _ = references(text, lang)
    named = {lesson_of(ref.slot, slot_lessons(lang, lessons)).id for ref in refs if ref.slot}
    assert named == {lesson.id for lesson in lessons}  # every lesson's slot points into it


def test_the_two_guides_point_at_the_same_parts():
    """The Korean plan names the same steps, predictions and quiz questions as the English one."""
    def parts(lang):
        refs, _ = references(GUIDES[lang].read_text(encoding="utf-8"), lang)
        by_title = slot_lessons(lang, load_lessons(lang))
        return sorted((lesson_of(r.slot, by_title).id, r.kind, r.n or 0) for r in refs if r.slot)

    assert parts("en") == parts("ko")


FORGED_EN = """# Guide

## The 50-minute class plan

### 0:10 – Tokens (7 min)

- **Project:** step 3 (“Capitals and spaces change the token”), then the prediction (“How many tokens”).

### 0:34 – Training data (8 min)

- **Project:** step 1 (“Trace a text”), then the prediction (“Four score and seven years ago”).
- **Learners:** step 9 (“Trace a text”), then step 2 (the phrase counter).
- **Ask:** quiz question 1 (“A phrase the model wrote”).

## Presenter mode

Open step 4 to see it.
"""


def test_a_wrong_reference_fails():
    lessons = load_lessons("en")
    problems = check(FORGED_EN, "en", lessons)
    assert len(problems) == 4, problems
    assert any("“Four score and seven years ago”" in p and "not in that part" in p for p in problems)
    assert any("step 9" in p and "steps" in p for p in problems)  # no such step
    assert any("'step 2 (the phrase" in p and "checkable" in p for p in problems)  # not quoted: cannot be checked
    assert any("'step 4 to see it" in p for p in problems)  # a step number outside the plan
    # the good ones pass: the same text without its wrong lines has no problem
    good = "\n".join(line for line in FORGED_EN.splitlines()
                     if "Four score" not in line and "step 9" not in line and "step 4" not in line)
    assert check(good, "en", lessons) == []


def test_a_wrong_korean_reference_fails():
    lessons = load_lessons("ko")
    forged = ("## 50분 수업안\n\n### 0:10 – 토큰 (7분)\n\n- 3단계(“대문자와 띄어쓰기”), 예측 문제(“토큰을 몇 개”)\n\n"
              "### 0:17 – 다음 토큰 (9분)\n\n- 3단계(“대문자와 띄어쓰기”), 2단계(낮은 온도)\n")  # fmt: skip
    problems = check(forged, "ko", lessons)
    assert len(problems) == 2, problems  # the Next token slot's step 3 is not about capitals; 2단계 is not quoted
    assert any("next_token" in p for p in problems) and any("2단계(낮은" in p for p in problems)


def test_a_prediction_reference_may_name_any_of_the_lessons_predictions():
    from dataclasses import replace

    lessons = load_lessons("en")
    tokens = next(le for le in lessons if le.id == "tokens")
    second = replace(tokens.predict, question="Which piece comes first in ‘unbelievable’?", before=1)
    two = tuple(replace(le, predictions=(le.predict, second)) if le is tokens else le for le in lessons)
    plan = ("## The 50-minute class plan\n\n### 0:10 – Tokens (7 min)\n\n"
            "- **Project:** the prediction (“Which piece comes first”), later the prediction (“How many tokens”).\n")
    assert check(plan, "en", two) == []
    (problem,) = check(plan, "en", lessons)  # the shipped lesson has no such question
    assert "Which piece comes first" in problem and "not in that part" in problem
