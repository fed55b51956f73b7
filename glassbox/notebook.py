"""The lab notebook: what one learner explored, written out as Markdown and as JSON.

Entries are plain dicts (`tokens_entry`, `next_token_entry`, `routing_entry`, `trace_entry`: the
tokens of a text, next-token candidates, a routing summary, traced spans with their documents);
`record` keeps the latest entry per view and input, in the order first explored. Quiz results
and finished lessons come from the learner's progress. Nothing here is shared between learners:
each session keeps its own entries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from glassbox.i18n import t

MAX_ENTRIES = 60
KINDS = ("tokens", "next_token", "experts", "trace")


@dataclass(frozen=True)
class QuizResult:
    lesson: str
    title: str
    right: int
    questions: int
    done: bool


@dataclass(frozen=True)
class Notebook:
    entries: tuple[dict, ...]
    quiz: tuple[QuizResult, ...] = ()
    lang: str = "en"
    model: str = ""
    written: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))


def record(entries: Mapping[tuple[str, str], dict], kind: str, subject: str, data: dict) -> dict:
    """`entries` with this view's entry for `subject` (its input text) put in or refreshed.

    The oldest entries go once there are more than MAX_ENTRIES.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notebook entry kind {kind!r}")
    out = dict(entries)
    out[(kind, subject)] = {"kind": kind, "input": subject, **data}
    while len(out) > MAX_ENTRIES:
        out.pop(next(iter(out)))
    return out


# --- what each view records (plain data, the same in both languages) ---------------------------


def tokens_entry(tokens: Sequence) -> dict:
    return {"tokens": [{"id": int(tok.id), "text": tok.text} for tok in tokens]}


def next_token_entry(settings, cands: Sequence) -> dict:
    return {
        "settings": {"temperature": settings.temperature, "top_k": settings.top_k, "top_p": settings.top_p},
        "top": [{"id": c.id, "text": c.text, "prob": round(c.prob, 6), "kept": c.kept} for c in cands],
    }


def routing_entry(load, disabled: int | None = None, busiest: int = 3) -> dict:
    """Per layer, the `busiest` experts with the largest share of routing slots over the text."""
    layers = []
    for layer, shares in enumerate(np.asarray(load, dtype=float)):
        top = np.argsort(-shares, kind="stable")[:busiest]
        layers.append({"layer": layer, "busiest": [[int(e), round(float(shares[e]), 4)] for e in top]})
    return {"layers": layers, "disabled_expert": disabled}


def trace_entry(spans: Sequence) -> dict:
    return {
        "spans": [
            {"text": s.text, "count": int(s.count), "documents": [d.title or d.doc_id for d in s.docs]} for s in spans
        ]
    }


def to_json(book: Notebook) -> str:
    data = {
        "written": book.written,
        "language": book.lang,
        "model": book.model,
        "entries": list(book.entries),
        "quiz": [q.__dict__ for q in book.quiz],
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def _fence(text: str) -> str:
    """`text` as a fenced block that its own content cannot close."""
    longest = max((len(run) for run in text.split("\n") if set(run) == {"~"}), default=0)
    fence = "~" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


def _code(text: str) -> str:
    """A token or span as inline code that stays inside its table cell."""
    text = str(text).replace("|", "\\|").replace("\n", "⏎")
    tick = "``" if "`" in text else "`"
    return f"{tick} {text} {tick}" if tick == "``" else f"`{text}`"


def _pct(p: float) -> str:
    return f"{p:.1%}"


def to_markdown(book: Notebook) -> str:
    lang = book.lang
    lines = [f"# {t('notebook.title', lang)}", "", t("notebook.meta", lang, written=book.written, model=book.model), ""]
    if not book.entries and not book.quiz:
        lines += [t("notebook.empty", lang), ""]
    for entry in book.entries:
        lines += [f"## {t('notebook.kind.' + entry['kind'], lang)}", "", _fence(entry["input"]), ""]
        lines += _ENTRY_WRITERS[entry["kind"]](entry, lang)
        lines.append("")
    if book.quiz:
        lines += [f"## {t('notebook.quiz', lang)}", ""]
        for q in book.quiz:
            mark = "✅" if q.done else "▫️"
            lines.append(f"- {mark} {q.title}: {t('notebook.score', lang, right=q.right, total=q.questions)}")
        lines.append("")
    return "\n".join(lines)


def _tokens(entry: dict, lang: str) -> list[str]:
    toks = entry.get("tokens", [])
    shown = " · ".join(f"{_code(tok['text'])} ({tok['id']})" for tok in toks[:80])
    more = t("notebook.more", lang, n=len(toks) - 80) if len(toks) > 80 else ""
    return [t("notebook.token_count", lang, n=len(toks), chars=len(entry["input"])), "", shown + more]


def _next_token(entry: dict, lang: str) -> list[str]:
    s = entry.get("settings", {})
    out = [
        t("notebook.settings", lang, temperature=s.get("temperature"), top_k=s.get("top_k"), top_p=s.get("top_p")),
        "",
        f"| # | {t('col.token', lang)} | {t('col.probability', lang)} | {t('col.kept', lang)} |",
        "|---|---|---|---|",
    ]
    for i, c in enumerate(entry.get("top", []), 1):
        out.append(f"| {i} | {_code(c['text'])} | {_pct(c['prob'])} | {'✓' if c['kept'] else '—'} |")
    return out


def _experts(entry: dict, lang: str) -> list[str]:
    out = [f"| {t('col.layer', lang)} | {t('notebook.busiest', lang)} |", "|---|---|"]
    for layer in entry.get("layers", []):
        busiest = ", ".join(f"E{e} {_pct(share)}" for e, share in layer["busiest"])
        out.append(f"| {layer['layer']} | {busiest} |")
    if entry.get("disabled_expert") is not None:
        out += ["", t("notebook.switched_off", lang, e=entry["disabled_expert"])]
    return out


def _trace(entry: dict, lang: str) -> list[str]:
    spans = entry.get("spans", [])
    if not spans:
        return [t("notebook.no_spans", lang)]
    out = []
    for span in spans:
        titles = "; ".join(span.get("documents", [])[:5]) or "—"
        out.append(f"- {_code(span['text'])} — {t('notebook.span', lang, count=span['count'], titles=titles)}")
    return out


_ENTRY_WRITERS = {"tokens": _tokens, "next_token": _next_token, "experts": _experts, "trace": _trace}


def quiz_results(lessons: Sequence, scores: Mapping[str, tuple[int, int]], done: set[str]) -> tuple[QuizResult, ...]:
    """Quiz scores and finished lessons, in lesson order (lessons not yet touched are left out)."""
    out = []
    for lesson in lessons:
        if lesson.id in scores or lesson.id in done:
            right, total = scores.get(lesson.id, (0, len(lesson.quiz)))
            out.append(QuizResult(lesson.id, lesson.title, right, total, lesson.id in done))
    return tuple(out)
