"""The site's map, one source for each fact: its pages (file, icon, URL, menu group) and the
controls a page offers (name, kind, range, default).

`app.py` builds the navigation from `PAGES`, Home lists the lesson path from it and the lesson
loader checks a lesson's page against it. A control's name is its URL parameter, the key of a
lesson's example and the name a teacher locks; the widgets take their range and step from its
`Control`, the share links parse with `Control.parse` and lessons are checked with
`Control.check`. No streamlit here: the site layer (`ui/`) reads this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from glassbox.limits import MAX_NEW_TOKENS

MAX_TEXT_CHARS = 2000  # the longest text a page inspects; longer input is cut with a visible note


@dataclass(frozen=True)
class Page:
    key: str  # e.g. "next_token": the lesson's `page`, the string keys `nav.<key>`
    icon: str
    url: str  # the page's URL path, e.g. "next-token"
    group: str  # the menu group: "learn" or "explore"
    runs_model: bool = True  # False: drawn from the model's folder alone, without loading it

    @property
    def file(self) -> str:
        return f"pages/{self.key}.py"


PAGES: tuple[Page, ...] = (
    Page("home", "🏠", "home", "learn", runs_model=False),
    Page("tokens", "🔤", "tokens", "learn"),
    Page("next_token", "🎲", "next-token", "learn"),
    Page("experts", "🧭", "experts", "learn"),
    Page("training_data", "📚", "training-data", "learn"),
    Page("teach", "🪄", "teach", "learn"),
    Page("watch_it_learn", "📈", "watch-it-learn", "learn"),
    Page("playground", "🧪", "playground", "explore"),
    Page("about", "ℹ️", "about", "explore", runs_model=False),
    Page("teachers", "🧑‍🏫", "teachers", "explore", runs_model=False),
)
PAGE = {page.key: page for page in PAGES}


def page_at(url: str) -> Page:
    """The page at a URL path ("" is the default page, Home)."""
    return next((page for page in PAGES if page.url == url), PAGES[0])


LESSON_PAGES: tuple[str, ...] = tuple(page.key for page in PAGES if page.group == "learn")


class BadValue(ValueError):
    """A value a control cannot take; `key` names the message (`share.bad_*`), `params` fill it."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key, self.params = key, params


@dataclass(frozen=True)
class Control:
    """One setting a learner can change: `kind` is "text", "float", "int" or "int_or_none"."""

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    default: Any = None
    max_chars: int = MAX_TEXT_CHARS
    lockable: bool = True

    def parse(self, raw: str) -> Any:
        """A value from its URL text; raises BadValue saying what was expected."""
        if self.kind == "text":
            if len(raw) > self.max_chars:
                raise BadValue("share.bad_long", limit=self.max_chars)
            return raw
        if self.kind == "int_or_none" and raw == "none":
            return None
        try:
            value = float(raw) if self.kind == "float" else int(raw)
        except (TypeError, ValueError, OverflowError):
            raise BadValue("share.bad_number", low=self.low, high=self.high) from None
        return self._in_range(value)

    def check(self, value: Any) -> Any:
        """A value given in Python (a lesson's example); raises BadValue when it does not fit."""
        if self.kind == "text":
            if not isinstance(value, str):
                raise BadValue("share.bad_choice", options="text")
            return self.parse(value)
        if self.kind == "int_or_none" and value is None:
            return None
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or (self.kind != "float" and not isinstance(value, int)):
            raise BadValue("share.bad_number", low=self.low, high=self.high)
        return self._in_range(value)

    def _in_range(self, value: float) -> Any:
        if math.isnan(value) or not (self.low <= value <= self.high):
            raise BadValue("share.bad_number", low=self.low, high=self.high)
        return float(value) if self.kind == "float" else int(value)

    def convert(self, value: Any) -> Any:
        """A checked value as its widget holds it (float, int, str or None)."""
        if value is None or self.kind == "text":
            return value
        return float(value) if self.kind == "float" else int(value)


SEED_MAX = 2**31 - 1
TEXT = Control("text", "text")
PROMPT = Control("prompt", "text")
TEMPERATURE = Control("temperature", "float", 0.0, 2.0, 0.05, 1.0)
TOP_K = Control("top_k", "int", 0, 50, 1, 0)
TOP_P = Control("top_p", "float", 0.05, 1.0, 0.05, 1.0)
SEED = Control("seed", "int", 0, SEED_MAX, 1, 0)
MAX_NEW = Control("max_new_tokens", "int", 1, MAX_NEW_TOKENS, 1, min(30, MAX_NEW_TOKENS), lockable=False)
LAYER = Control("layer", "int", 0, 1000)
TOKEN = Control("token", "int", 0, 10_000)
EXPERT_OFF = Control("expert_off", "int_or_none", 0, 10_000)
PHRASE = Control("phrase", "text", max_chars=200, lockable=False)
PASSAGE = Control("passage", "text", max_chars=80, lockable=False)  # an anthology passage's id (ladder.json)
# Teach it: up to 5 sentences of 200 characters, one a line (glassbox.teaching.teach checks them
# again); copies is a rung of the ladder 1, 2, 4, ... 64 (the widget offers only those)
SENTENCES = Control("sentences", "text", max_chars=5 * 201)
COPIES = Control("copies", "int", 1, 64, 1, 16)
# Training data: open "Which documents pushed this?" at once for the text's n-th token from its end
# (1: the last; the page offers a text's last 8: glassbox.attribution.prepared.LAST_TOKENS)
EXPLAIN = Control("explain", "int", 1, 8, 1, 1, lockable=False)

# The controls of each page's live tool that a lesson's example may set (and a link may carry).
PAGE_CONTROLS: dict[str, dict[str, Control]] = {
    "home": {},
    "tokens": {"text": TEXT},
    "next_token": {c.name: c for c in (PROMPT, TEMPERATURE, TOP_K, TOP_P, SEED)},
    "experts": {c.name: c for c in (PROMPT, LAYER, TOKEN, EXPERT_OFF)},
    "training_data": {c.name: c for c in (TEXT, replace(PROMPT, max_chars=500), MAX_NEW, PHRASE, SEED, PASSAGE,
                                          EXPLAIN)},
    "watch_it_learn": {c.name: c for c in (replace(PROMPT, max_chars=300), SEED)},
    "teach": {c.name: c for c in (SENTENCES, COPIES, Control("probe", "text", max_chars=300), SEED)},
}
# The parts of each page's tool, in the order drawn, that a lesson step may name as its `focus`:
# while the step is shown, that part is drawn at the top of the tool, in view beside the step.
TOOL_SECTIONS: dict[str, tuple[str, ...]] = {
    "training_data": ("write", "trace", "compare", "novelty", "phrases", "recite"),
}
LOCKABLE: tuple[str, ...] = tuple(dict.fromkeys(
    c.name for controls in PAGE_CONTROLS.values() for c in controls.values() if c.lockable
))
