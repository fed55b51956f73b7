"""What the AppTest page tests share (not a test file): the app, its languages, AppTest's page
mode kept as a server keeps it, a site data folder written from documents, and small readers of
a page. The fixture that points the site
at the tiny model and the test corpus is `site` in conftest.py."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "app.py"
LANGS = ("en", "ko")
INJECTION = "<script>alert(1)</script><img src=x onerror=alert(2)> **bold** [link](http://example.com)"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


class SteadyPagesManager(PagesManager):
    """AppTest forgets before every run that `st.navigation` already ran, and so treats our
    `pages/` folder as an old-style multipage app on each run (a real server does that only
    until the first run of app.py). This subclass keeps that reset off the shared flag."""


def write_data_folder(folder: Path, docs: list, source: str) -> Path:
    """A data folder like the site's in `folder`: corpus/corpus.jsonl of these `Document`s, its
    manifest (counts per domain; `source` names the one source) and its index in ngram/."""
    import json

    from glassbox.corpus.documents import CorpusManifest
    from glassbox.index.build import build_index, corpus_sha256

    corpus = folder / "corpus" / "corpus.jsonl"
    corpus.parent.mkdir(parents=True)
    corpus.write_text("".join(json.dumps(d.to_json(), ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    domains: dict[str, dict[str, int]] = {}
    for d in docs:
        entry = domains.setdefault(d.domain, {"documents": 0, "characters": 0})
        entry["documents"] += 1
        entry["characters"] += len(d.text)
    manifest = CorpusManifest(
        sha256=corpus_sha256(corpus),
        documents=len(docs),
        characters=sum(len(d.text) for d in docs),
        bytes=corpus.stat().st_size,
        domains=domains,
        sources=({"name": source, "documents": len(docs)},),
    )
    (corpus.parent / "manifest.json").write_text(json.dumps(manifest.to_json(), ensure_ascii=False), encoding="utf-8")
    build_index(corpus, folder / "ngram", progress=False)
    return folder


def check(at: AppTest) -> None:
    """No traceback and no error message on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [w.value for w in at.warning] + [s.value for s in at.success] + [h.value for h in at.header]
    parts += [s.value for s in at.subheader] + [t.value for t in at.title]
    return "\n".join(parts)


def open_page(page: str, lang: str = "en") -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params["lang"] = lang
    at.run()
    if page != "home":
        at.switch_page(f"pages/{page}.py").run()
    check(at)
    return at


def part_of(lesson_id: str, step: int | None = None, predict: bool | int = False, finish: bool = False) -> int:
    """The part (1-based) of a lesson's one-part-at-a-time view that shows step `step`, a
    prediction (`predict=True` the first, `predict=2` the second) or the quiz: the introduction is
    part 1, and each prediction sits before the step its lesson names."""
    from glassbox.lessons import load_lessons

    lesson = next(le for le in load_lessons("en") if le.id == lesson_id)
    if finish:
        return len(lesson.sections) + 2
    return 2 + lesson.sections.index(("predict", int(predict)) if predict else ("step", step))


SECOND_PREDICTION = {
    "question": "Second guess: which letter is it?",
    "choices": ["Letter A", "Letter B", "Letter C"],
    "answer": 2,
    "reveal": "It was letter C, said the second reveal.",
}


def with_second_prediction(tmp_path: Path, monkeypatch, lesson_id: str, before: int | None) -> tuple:
    """A copy of the lessons in which `lesson_id` (both languages) also has SECOND_PREDICTION, placed
    before step `before`; `glassbox.lessons.load_lessons` (and so the site) reads that copy for the
    rest of the test. Returns the copy's English lessons."""
    import shutil

    import yaml

    from glassbox import lessons as lessons_mod

    root = tmp_path / "lessons"
    shutil.copytree(lessons_mod.LESSONS_DIR, root)
    for lang in LANGS:
        path = root / lang / f"{lesson_id}.md"
        _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
        meta = yaml.safe_load(front)
        meta["predict"] = [meta["predict"], {**SECOND_PREDICTION, "before": before}]
        path.write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body, encoding="utf-8")
    shipped = lessons_mod.load_lessons
    monkeypatch.setattr(lessons_mod, "load_lessons", lambda lang, *_: shipped(lang, root))
    return lessons_mod.load_lessons("en")


def show_part(at: AppTest, lesson_id: str, part: int) -> AppTest:
    """Go to a part of the lesson, as Previous/Next would."""
    at.session_state[f"lesson.{lesson_id}.slide"] = part
    return at.run()


def weights_hash(model) -> str:
    """A digest of every weight of a model, to show that something left it unchanged."""
    import hashlib

    digest = hashlib.sha256()
    for name, value in sorted(model.state_dict().items()):
        digest.update(name.encode() + value.detach().float().numpy().tobytes())
    return digest.hexdigest()


def shared_model():
    """The model every session of the site shares (the default source, from the site's cache)."""
    import ui

    return ui.cached_model(ui.default_source())
