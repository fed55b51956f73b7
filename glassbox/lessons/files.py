"""One lesson file: YAML front matter (between `---` lines) and a Markdown body, read and checked.

`parse_lesson` checks the shape a page relies on (counts, exactly one right quiz answer, example
keys the page's tool knows, claims of the kinds its page can show, no raw HTML) and raises
`LessonError` naming the file and the problem. The lesson path and languages are `glassbox.lessons`.

`predict:` is one predict-then-reveal moment (a mapping), or a list of 1 to 2 of them, each placed
before the step its `before` names (or after the last step); two may not come before the same step.
`Lesson.predictions` holds them in file order, `Lesson.predict` is the first, and `Lesson.sections`
is the order the site shows the steps and predictions in. `about_corpus: true` marks a lesson whose
text describes the Tiny OLMoE's own training data (`glassbox.lessons.measured`).
"""


from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from glassbox.errors import GlassboxError
from glassbox.lessons.claims import CLAIMS, shape_problem
from glassbox.site import LESSON_PAGES, PAGE_CONTROLS, TOOL_SECTIONS, BadValue, Control

PAGES = LESSON_PAGES
# The controls of each page's live tool that a lesson's example may set (glassbox.site).
EXAMPLE_RULES: dict[str, dict[str, Control]] = {page: PAGE_CONTROLS[page] for page in PAGES}
EXAMPLE_KEYS: dict[str, frozenset[str]] = {page: frozenset(rules) for page, rules in EXAMPLE_RULES.items()}
HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?\s*>|<!--")
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n?(.*)\Z", re.DOTALL)
STEPS_RANGE = (3, 8)
QUIZ_RANGE = (3, 5)
PREDICTIONS_MAX = 2
OBJECTIVES_RANGE = (2, 4)


class LessonError(GlassboxError):
    """A lesson file (or the manifest) is missing or malformed; names the file and the problem."""

    def __init__(self, file: Path | str, problem: str) -> None:
        super().__init__("lesson_malformed", file=str(file), problem=problem)


def _frozen(example: dict) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(example.items()))


def _frozen_value(value: Any) -> Any:
    """Lists and mappings of a claim as tuples, so that a Step stays hashable."""
    if isinstance(value, list):
        return tuple(_frozen_value(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen_value(v)) for k, v in value.items()))
    return value


@dataclass(frozen=True)
class Step:
    title: str
    text: str
    example: tuple[tuple[str, Any], ...]  # (key, value) pairs; empty when the step sets nothing
    expect: tuple[tuple[str, Any], ...] = ()  # (claim, value) pairs: what its text says will be seen
    focus: str | None = None  # the part of the tool drawn at the top while it is shown (site.TOOL_SECTIONS)

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.example)


@dataclass(frozen=True)
class Predict:
    question: str
    example: tuple[tuple[str, Any], ...]
    choices: tuple[str, ...]
    answer: int
    reveal: str
    expect: tuple[tuple[str, Any], ...] = ()  # claims the reveal makes (glassbox.lessons.claims)
    before: int | None = None  # the step (1-based) the prediction comes before; None: after the last
    focus: str | None = None  # as a step's

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.example)


@dataclass(frozen=True)
class Choice:
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class Question:
    question: str
    choices: tuple[Choice, ...]

    @property
    def answer(self) -> int:
        """Index of the right choice."""
        return next(i for i, c in enumerate(self.choices) if c.correct)


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    page: str
    minutes: int
    objectives: tuple[str, ...]
    steps: tuple[Step, ...]
    predictions: tuple[Predict, ...]  # in file order; at least one
    quiz: tuple[Question, ...]
    not_mean: str
    body: str
    lang: str
    # `about_corpus: true`: the text describes the Tiny OLMoE's own training data (framed as such
    # while another model is in use, `glassbox.lessons.measured`)
    about_corpus: bool = False

    @property
    def predict(self) -> Predict:
        """The first prediction (the one a lesson with a single `predict:` mapping has)."""
        return self.predictions[0]

    @property
    def sections(self) -> tuple[tuple[str, int], ...]:
        """The steps and predictions in the order they are shown: ("step", i) for step i and
        ("predict", n) for the n-th prediction (both 1-based), each prediction before its step."""
        out = [("step", i) for i in range(1, len(self.steps) + 1)]
        last = len(self.steps) + 1
        for n, p in sorted(enumerate(self.predictions, 1), key=lambda pair: pair[1].before or last, reverse=True):
            out.insert((p.before or last) - 1, ("predict", n))
        return tuple(out)


def has_html(text: str) -> bool:
    """Whether text holds something a browser would read as an HTML tag or comment."""
    return HTML_TAG.search(text) is not None


class _Reader:
    """Checks one parsed front matter, raising LessonError with the file's path."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, problem: str) -> LessonError:
        return LessonError(self.path, problem)

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where} must be non-empty text")
        if has_html(value):
            raise self.fail(f"{where} contains raw HTML, which the site never renders")
        return value.strip()

    def texts(self, value: Any, where: str, bounds: tuple[int, int] | None = None) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(f"{where} must be a list")
        if bounds and not bounds[0] <= len(value) <= bounds[1]:
            raise self.fail(f"{where} must have {bounds[0]} to {bounds[1]} entries, has {len(value)}")
        return tuple(self.text(v, f"{where}[{i}]") for i, v in enumerate(value))

    def mapping(self, value: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(f"{where} must be a mapping")
        missing = [k for k in required if k not in value]
        if missing:
            raise self.fail(f"{where} lacks {', '.join(missing)}")
        unknown = sorted(set(value) - set(required) - set(optional))
        if unknown:
            raise self.fail(f"{where} has unknown keys {', '.join(map(str, unknown))}")
        return value

    def example(self, value: Any, page: str, where: str) -> tuple[tuple[str, Any], ...]:
        if value is None:
            return ()
        if not isinstance(value, dict):
            raise self.fail(f"{where} must be a mapping")
        rules = EXAMPLE_RULES[page]
        for key, v in value.items():
            if key not in rules:
                allowed = ", ".join(sorted(rules)) or "none"
                raise self.fail(f"{where} key '{key}' is not a setting of the {page} page (allowed: {allowed})")
            control = rules[key]
            if control.kind == "text":
                self.text(v, f"{where}.{key}")
                continue
            try:
                control.check(v)
            except BadValue:
                kind = {"float": "number", "int": "int", "int_or_none": "int or null"}[control.kind]
                raise self.fail(
                    f"{where}.{key} must be a {kind} from {control.low} to {control.high} (got {v!r})"
                ) from None
        return _frozen(value)

    def expect(self, value: Any, page: str, example: tuple, where: str) -> tuple[tuple[str, Any], ...]:
        """The claims a step makes about its example (shapes in glassbox.lessons.claims.CLAIMS)."""
        if value is None:
            return ()
        if not isinstance(value, dict) or not value:
            raise self.fail(f"{where} must be a mapping of claims")
        if not example:
            raise self.fail(f"{where} needs an example to be checked on")
        kinds = CLAIMS[page]
        for claim, v in value.items():
            if claim not in kinds:
                allowed = ", ".join(sorted(kinds)) or "none"
                raise self.fail(f"{where} claim '{claim}' is not one the {page} page can show (allowed: {allowed})")
            problem = shape_problem(kinds[claim], v)
            if problem:
                raise self.fail(f"{where}.{claim} {problem} (got {v!r})")
        return tuple((claim, _frozen_value(v)) for claim, v in value.items())

    def focus(self, value: Any, page: str, where: str) -> str | None:
        """The part of the page's tool a step brings to the top (one of site.TOOL_SECTIONS)."""
        if value is None:
            return None
        parts = TOOL_SECTIONS.get(page, ())
        if value not in parts:
            allowed = ", ".join(parts) or "none"
            raise self.fail(f"{where} '{value}' is not a part of the {page} page's tool (allowed: {allowed})")
        return value

    def question(self, value: Any, where: str) -> Question:
        q = self.mapping(value, where, ("question", "choices"))
        if not isinstance(q["choices"], list) or not 2 <= len(q["choices"]) <= 5:
            raise self.fail(f"{where}.choices must be a list of 2 to 5 choices")
        choices = []
        for i, raw in enumerate(q["choices"]):
            c = self.mapping(raw, f"{where}.choices[{i}]", ("text", "correct", "feedback"))
            if not isinstance(c["correct"], bool):
                raise self.fail(f"{where}.choices[{i}].correct must be true or false")
            text = self.text(c["text"], f"{where}.choices[{i}].text")
            feedback = self.text(c["feedback"], f"{where}.choices[{i}].feedback")
            choices.append(Choice(text, c["correct"], feedback))
        right = sum(c.correct for c in choices)
        if right != 1:
            raise self.fail(f"{where} must have exactly one correct choice, has {right}")
        return Question(self.text(q["question"], f"{where}.question"), tuple(choices))

    def predictions(self, value: Any, page: str, steps: int) -> tuple[Predict, ...]:
        """`predict:` as one mapping, or a list of 1 to PREDICTIONS_MAX mappings, no two before the same step."""
        if not isinstance(value, list):
            return (self.predict(value, page, steps, "predict"),)
        if not 1 <= len(value) <= PREDICTIONS_MAX:
            raise self.fail(f"predict must be one mapping or a list of 1 to {PREDICTIONS_MAX}, has {len(value)}")
        out = tuple(self.predict(v, page, steps, f"predict[{i}]") for i, v in enumerate(value))
        seen: dict[int | None, int] = {}
        for i, p in enumerate(out):
            if p.before in seen:
                place = "after the last step" if p.before is None else f"before step {p.before}"
                raise self.fail(
                    f"predict[{seen[p.before]}] and predict[{i}] both come {place}; "
                    "give each prediction its own 'before'"
                )
            seen[p.before] = i
        return out

    def predict(self, value: Any, page: str, steps: int, where: str) -> Predict:
        p = self.mapping(
            value, where, ("question", "choices", "answer", "reveal"), ("example", "expect", "before", "focus")
        )
        before = p.get("before")
        if before is not None and (not isinstance(before, int) or isinstance(before, bool) or not 1 <= before <= steps):
            raise self.fail(f"{where}.before must be the number of a step, 1 to {steps} (got {before!r})")
        choices = self.texts(p["choices"], f"{where}.choices", (2, 5))
        answer = p["answer"]
        if not isinstance(answer, int) or isinstance(answer, bool) or not 0 <= answer < len(choices):
            raise self.fail(f"{where}.answer must be an index into its {len(choices)} choices (got {answer!r})")
        return Predict(
            question=self.text(p["question"], f"{where}.question"),
            example=(example := self.example(p.get("example"), page, f"{where}.example")),
            choices=choices,
            answer=answer,
            reveal=self.text(p["reveal"], f"{where}.reveal"),
            expect=self.expect(p.get("expect"), page, example, f"{where}.expect"),
            before=before,
            focus=self.focus(p.get("focus"), page, f"{where}.focus"),
        )


def parse_lesson(path: Path, lang: str, lesson_id: str | None = None) -> Lesson:
    """Read and check one lesson file."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise LessonError(path, f"cannot be read ({err.__class__.__name__})") from None
    match = FRONT_MATTER.match(raw.replace("\r\n", "\n"))
    if not match:
        raise LessonError(path, "must start with YAML front matter between two '---' lines")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as err:
        raise LessonError(path, f"front matter is not valid YAML: {err}") from None
    r = _Reader(path)
    keys = ("id", "title", "page", "minutes", "objectives", "steps", "predict", "quiz", "not_mean")
    meta = r.mapping(meta, "front matter", keys, ("about_corpus",))
    if not isinstance(meta.get("about_corpus", False), bool):
        raise r.fail("about_corpus must be true or false")
    if meta["id"] != (lesson_id or path.stem):
        raise r.fail(f"id '{meta['id']}' does not match the file name '{lesson_id or path.stem}'")
    page = meta["page"]
    if page not in PAGES:
        raise r.fail(f"page '{page}' is not one of {', '.join(PAGES)}")
    minutes = meta["minutes"]
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 60:
        raise r.fail(f"minutes must be a whole number from 1 to 60 (got {minutes!r})")
    steps_raw = meta["steps"]
    if not isinstance(steps_raw, list) or not STEPS_RANGE[0] <= len(steps_raw) <= STEPS_RANGE[1]:
        raise r.fail(f"steps must be a list of {STEPS_RANGE[0]} to {STEPS_RANGE[1]} steps")
    steps = []
    for i, raw_step in enumerate(steps_raw):
        s = r.mapping(raw_step, f"steps[{i}]", ("title", "text"), ("example", "expect", "focus"))
        example = r.example(s.get("example"), page, f"steps[{i}].example")
        steps.append(
            Step(
                title=r.text(s["title"], f"steps[{i}].title"),
                text=r.text(s["text"], f"steps[{i}].text"),
                example=example,
                expect=r.expect(s.get("expect"), page, example, f"steps[{i}].expect"),
                focus=r.focus(s.get("focus"), page, f"steps[{i}].focus"),
            )
        )
    quiz_raw = meta["quiz"]
    if not isinstance(quiz_raw, list) or not QUIZ_RANGE[0] <= len(quiz_raw) <= QUIZ_RANGE[1]:
        raise r.fail(f"quiz must be a list of {QUIZ_RANGE[0]} to {QUIZ_RANGE[1]} questions")
    return Lesson(
        id=meta["id"],
        title=r.text(meta["title"], "title"),
        page=page,
        minutes=minutes,
        objectives=r.texts(meta["objectives"], "objectives", OBJECTIVES_RANGE),
        steps=tuple(steps),
        predictions=r.predictions(meta["predict"], page, len(steps)),
        quiz=tuple(r.question(q, f"quiz[{i}]") for i, q in enumerate(quiz_raw)),
        not_mean=r.text(meta["not_mean"], "not_mean"),
        body=r.text(match.group(2), "the Markdown body"),
        lang=lang,
        about_corpus=meta.get("about_corpus", False),
    )
