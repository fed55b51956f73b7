"""The guided lessons: read `lessons/manifest.json` and `lessons/<lang>/<id>.md`, check them, return them.

The file format and its checks are `glassbox.lessons.files`; what a step claims to show is
measured by `glassbox.lessons.claims`; printable handouts are `glassbox.lessons.handouts`. Loading
does not render anything, and it does not compare the languages with each other
(tests/test_lessons.py does that).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from glassbox.errors import GlassboxError
from glassbox.lessons.files import (
    EXAMPLE_KEYS,
    EXAMPLE_RULES,
    PAGES,
    Choice,
    Lesson,
    LessonError,
    Predict,
    Question,
    Step,
    has_html,
    parse_lesson,
)
from glassbox.paths import PROJECT_ROOT

__all__ = ["EXAMPLE_KEYS", "EXAMPLE_RULES", "LESSONS_DIR", "PAGES", "Choice", "Lesson", "LessonError", "Manifest",
           "Predict", "Question", "Step", "attribution_examples", "has_html", "lesson_for_page", "load_lessons",
           "load_manifest", "parse_lesson"]  # fmt: skip

LESSONS_DIR = PROJECT_ROOT / "lessons"


@dataclass(frozen=True)
class Manifest:
    lessons: tuple[str, ...]
    languages: tuple[str, ...]


def load_manifest(root: Path = LESSONS_DIR) -> Manifest:
    """The lesson path (ids in order) and the languages every lesson is written in."""
    path = Path(root) / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise LessonError(path, "is missing") from None
    except ValueError as err:
        raise LessonError(path, f"is not valid JSON: {err}") from None
    ids, langs = (data.get(k) if isinstance(data, dict) else None for k in ("lessons", "languages"))
    for name, value in (("lessons", ids), ("languages", langs)):
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise LessonError(path, f"'{name}' must be a non-empty list of names")
        if len(set(value)) != len(value):
            raise LessonError(path, f"'{name}' lists a name twice")
    return Manifest(tuple(ids), tuple(langs))


@lru_cache(maxsize=16)
def _load(lang: str, root: Path, stamp: tuple) -> tuple[Lesson, ...]:
    manifest = load_manifest(root)
    if lang not in manifest.languages:
        raise GlassboxError("lesson_language_unknown", lang=lang, languages=", ".join(manifest.languages))
    lessons = tuple(parse_lesson(root / lang / f"{lid}.md", lang, lid) for lid in manifest.lessons)
    seen: dict[str, str] = {}
    for lesson in lessons:
        if lesson.page in seen:
            problem = f"page '{lesson.page}' already has the lesson '{seen[lesson.page]}'"
            raise LessonError(root / lang / f"{lesson.id}.md", problem)
        seen[lesson.page] = lesson.id
    return lessons


def load_lessons(lang: str, root: Path = LESSONS_DIR) -> tuple[Lesson, ...]:
    """Every lesson in one language, in the manifest's order (cached; lessons are immutable)."""
    if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?", lang or ""):
        raise GlassboxError("lesson_language_unknown", lang=lang, languages="en, ko")
    root = Path(root).resolve()
    # Files' modification times are part of the cache key, so an edited lesson shows without a restart.
    files = (*root.glob("*.json"), *root.glob(f"{lang}/*.md"))
    stamp = tuple(sorted((str(p), st.st_mtime_ns, st.st_size) for p in files for st in (p.stat(),)))
    return _load(lang, root, stamp)


def lesson_for_page(page: str, lang: str, root: Path = LESSONS_DIR) -> Lesson | None:
    """The lesson shown at the top of a page, or None when the page has none."""
    return next((lesson for lesson in load_lessons(lang, root) if lesson.page == page), None)


def attribution_examples(lm, root: Path = LESSONS_DIR) -> list[tuple[str, int]]:
    """Every (context, token) a lesson example opens "Which documents pushed this?" for (its
    `explain`-th token from the end of its text), in every language, each once."""
    from glassbox.attribution.prepared import explained

    found = []
    for lang in load_manifest(root).languages:
        for lesson in load_lessons(lang, root):
            for part in (*lesson.steps, *lesson.predictions):
                values = part.values
                if "explain" in values and "text" in values:
                    pair = explained(lm, values["text"], int(values["explain"]))
                    if pair is not None:
                        found.append(pair)
    return list(dict.fromkeys(found))
