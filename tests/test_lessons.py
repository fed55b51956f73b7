"""The lessons: manifest, files and both languages agree; every lesson has the shape the pages rely on.

The content checks read the YAML themselves (not through the loader) so a loader bug cannot hide a bad file;
the loader is then tested on the real files and on broken copies written to a temporary folder.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from glassbox import lessons as lessons_mod
from glassbox.errors import GlassboxError
from glassbox.lessons import LessonError, lesson_for_page, load_lessons, load_manifest
from glassbox.lessons.files import STEPS_RANGE

ROOT = Path(__file__).resolve().parent.parent / "lessons"
IDS = ["welcome", "tokens", "next_token", "experts", "training_data", "teach", "watch_it_learn"]
LANGS = ["en", "ko"]
PAGES = {
    "welcome": "home",
    "tokens": "tokens",
    "next_token": "next_token",
    "experts": "experts",
    "teach": "teach",
    "training_data": "training_data",
    "watch_it_learn": "watch_it_learn",
}
# The shared contract with the site: which widgets a lesson may set on each page.
ALLOWED = {
    "home": set(),
    "tokens": {"text"},
    "next_token": {"prompt", "temperature", "top_k", "top_p", "seed"},
    "experts": {"prompt", "layer", "token", "expert_off"},
    "training_data": {"text", "prompt", "max_new_tokens", "phrase", "seed", "passage", "explain"},
    "watch_it_learn": {"prompt", "seed"},
    "teach": {"sentences", "copies", "probe", "seed"},
}
TAG = re.compile(r"<\s*/?\s*[A-Za-z][^<>]*>|<!--")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def raw(lang: str, lesson_id: str) -> tuple[dict, str]:
    text = (ROOT / lang / f"{lesson_id}.md").read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{lang}/{lesson_id}: no front matter"
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def predictions(meta: dict) -> list[dict]:
    """A lesson's `predict:` as a list (one mapping, or a list of them)."""
    found = meta["predict"]
    return found if isinstance(found, list) else [found]


def strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in strings(k) + strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return []


def shape(meta: dict) -> dict:
    """Everything that must be identical across languages."""
    return {
        "id": meta["id"],
        "page": meta["page"],
        "minutes": meta["minutes"],
        "about_corpus": meta.get("about_corpus", False),
        "objectives": len(meta["objectives"]),
        "steps": [(step.get("example"), step.get("focus")) for step in meta["steps"]],
        "predict": [
            (p.get("example"), p.get("focus"), p.get("before"), len(p["choices"]), p["answer"])
            for p in predictions(meta)
        ],
        "quiz": [[c["correct"] for c in q["choices"]] for q in meta["quiz"]],
    }


def test_manifest_lists_the_lesson_path_and_languages():
    data = json.loads((ROOT / "manifest.json").read_text())
    assert data == {"lessons": IDS, "languages": LANGS}
    manifest = load_manifest()
    assert manifest.lessons == tuple(IDS) and manifest.languages == tuple(LANGS)


def test_files_match_the_manifest_in_every_language():
    assert sorted(p.name for p in ROOT.iterdir() if p.is_dir()) == sorted(LANGS)
    for lang in LANGS:
        assert sorted(p.stem for p in (ROOT / lang).glob("*")) == sorted(IDS), lang


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("lesson_id", IDS)
def test_lesson_content_has_the_required_shape(lang, lesson_id):
    meta, body = raw(lang, lesson_id)
    where = f"{lang}/{lesson_id}"
    assert meta["id"] == lesson_id and meta["page"] == PAGES[lesson_id], where
    assert isinstance(meta["minutes"], int) and meta["minutes"] > 0, where
    assert 2 <= len(meta["objectives"]) <= 4 and all(o.strip() for o in meta["objectives"]), where
    assert STEPS_RANGE[0] <= len(meta["steps"]) <= STEPS_RANGE[1], where
    assert 3 <= len(meta["quiz"]) <= 5, where
    assert meta["not_mean"].strip() and body.strip(), where
    examples = [s.get("example") or {} for s in (*meta["steps"], *predictions(meta))]
    for example in examples:
        assert set(example) <= ALLOWED[meta["page"]], f"{where}: {sorted(example)}"
    if meta["page"] != "home":
        with_example = sum(bool(s.get("example")) for s in meta["steps"])
        assert with_example * 2 > len(meta["steps"]), f"{where}: most steps should set the live tool"
    assert 1 <= len(predictions(meta)) <= 2, where
    for predict in predictions(meta):
        assert isinstance(predict["answer"], int) and 0 <= predict["answer"] < len(predict["choices"]), where
        assert predict["question"].strip() and predict["reveal"].strip(), where
    for n, q in enumerate(meta["quiz"]):
        assert q["question"].strip(), f"{where} quiz {n}"
        assert len(q["choices"]) >= 2, f"{where} quiz {n}"
        assert sum(c["correct"] is True for c in q["choices"]) == 1, f"{where} quiz {n}: one correct choice"
        for c in q["choices"]:
            assert isinstance(c["correct"], bool), f"{where} quiz {n}"
            assert c["text"].strip() and c["feedback"].strip(), f"{where} quiz {n}: feedback for every choice"
    for s in strings(meta) + [body]:
        assert not TAG.search(s), f"{where}: raw HTML in {s[:60]!r}"
        # Streamlit's Markdown reads $…$ as maths and ~…~ as strikethrough.
        assert "$" not in s and "~" not in s, f"{where}: Markdown-special character in {s[:60]!r}"


@pytest.mark.parametrize("lesson_id", IDS)
def test_both_languages_have_the_same_structure(lesson_id):
    en, _ = raw("en", lesson_id)
    ko, _ = raw("ko", lesson_id)
    assert shape(en) == shape(ko)


@pytest.mark.parametrize("lesson_id", IDS)
def test_korean_lessons_are_written_in_korean(lesson_id):
    en, en_body = raw("en", lesson_id)
    ko, ko_body = raw("ko", lesson_id)
    texts = [ko["title"], ko["not_mean"], ko_body, *[p[k] for p in predictions(ko) for k in ("question", "reveal")]]
    texts += [s["text"] for s in ko["steps"]] + [q["question"] for q in ko["quiz"]]
    texts += [c["feedback"] for q in ko["quiz"] for c in q["choices"]]
    assert all(HANGUL.search(t) for t in texts), lesson_id
    english = {s["text"] for s in en["steps"]}
    assert not english & {s["text"] for s in ko["steps"]}


# One Korean term per concept across lessons, UI strings, error messages and the teacher guide:
# the retired variant, and the term that replaced it.
RETIRED_KOREAN = [
    (re.compile(r"전문가[^.,:\n]{0,12}(\d+|\{\w+\}|한|몇)\s*명|\{(k|experts)\}명"),
     "experts are counted with 개: 명 counts people"),
    (re.compile("말뭉치"), "코퍼스"),
    (re.compile("평가 손실"), "검증 손실"),
    (re.compile("이렇게 해석하면 안 됩니다"), "이것이 뜻하지 않는 것"),
]


def test_korean_uses_one_term_per_concept():
    repo = ROOT.parent
    files = [*sorted((ROOT / "ko").glob("*.md")), repo / "locales" / "ko.toml",
             *sorted((repo / "docs").glob("*.ko.md"))]
    found = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [f"{path.name}:{number}: {rule}" for pattern, rule in RETIRED_KOREAN if pattern.search(line)]
    assert not found, "\n".join(found)
    assert RETIRED_KOREAN[0][0].search("전문가 8명") and RETIRED_KOREAN[0][0].search("상위 {k}명")  # the rule can fail


@pytest.mark.parametrize("lang", LANGS)
def test_loader_returns_frozen_lessons_in_manifest_order(lang):
    lessons = load_lessons(lang)
    assert [lesson.id for lesson in lessons] == IDS
    for lesson in lessons:
        meta, body = raw(lang, lesson.id)
        assert lesson.lang == lang and lesson.title == meta["title"] and lesson.body == body.strip()
        assert [s.values for s in lesson.steps] == [s.get("example") or {} for s in meta["steps"]]
        assert [p.values for p in lesson.predictions] == [p.get("example") or {} for p in predictions(meta)]
        assert lesson.predict == lesson.predictions[0]
        assert [q.answer for q in lesson.quiz] == [
            next(i for i, c in enumerate(q["choices"]) if c["correct"]) for q in meta["quiz"]
        ]
        assert all(c.feedback for q in lesson.quiz for c in q.choices)
    step = lessons[1].steps[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.title = "changed"
    step.values["text"] = "changed"
    assert step.values["text"] != "changed"
    assert hash(lessons[1]) == hash(load_lessons(lang)[1])


def test_lesson_for_page():
    assert lesson_for_page("home", "en").id == "welcome"
    assert lesson_for_page("experts", "ko").title == raw("ko", "experts")[0]["title"]
    assert lesson_for_page("playground", "en") is None
    with pytest.raises(GlassboxError) as info:
        lesson_for_page("home", "fr")
    assert info.value.code == "lesson_language_unknown" and "fr" in info.value.message("ko")


def test_lessons_state_what_the_real_tokenizer_does():
    # The committed tokenizer file, read by the `tokenizers` library directly (same tokens as
    # load_tokenizer(), without the seconds it takes to import transformers).
    from tokenizers import Tokenizer

    from glassbox.paths import TOKENIZER_DIR

    tok = Tokenizer.from_file(str(TOKENIZER_DIR / "tokenizer.json"))

    def pieces(text: str) -> list[str]:
        return [tok.decode([i]) for i in tok.encode(text, add_special_tokens=False).ids]

    meta, _ = raw("en", "tokens")
    predict = meta["predict"]
    count = len(pieces(predict["example"]["text"]))
    for lang in LANGS:
        choices = raw(lang, "tokens")[0]["predict"]["choices"]
        assert choices[predict["answer"]].startswith(str(count)), lang
        assert not any(c.startswith(str(count)) for i, c in enumerate(choices) if i != predict["answer"])
    steps = {s["example"]["text"]: s["text"] for s in meta["steps"]}
    first = "In the beginning God created the heaven and the earth."
    assert f"becomes {len(pieces(first))} tokens" in steps[first]
    assert pieces("unbelievable") == ["un", "belie", "vable"]
    english, korean = next(t for t in steps if "오늘" in t).split(". ", 1)
    n_en, n_all = len(pieces(english + ".")), len(pieces(english + ". " + korean))
    assert f"takes {n_en} tokens; the Korean half takes {n_all - n_en}" in steps[english + ". " + korean]
    assert tok.get_vocab_size() == 50280
    # Experts examples point at a token of their prompt; the lesson names token 3 as ' God'.
    meta, _ = raw("en", "experts")
    for example in [s["example"] for s in meta["steps"]] + [meta["predict"]["example"]]:
        assert 0 <= example["token"] < len(pieces(example["prompt"])), example
    assert pieces(meta["predict"]["example"]["prompt"])[meta["predict"]["example"]["token"]] == " God"


# --- the loader on broken files -------------------------------------------------------------------------


@pytest.fixture()
def lesson_copy(tmp_path) -> Path:
    root = tmp_path / "lessons"
    shutil.copytree(ROOT, root)
    return root


def rewrite(root: Path, lang: str, lesson_id: str, change) -> Path:
    path = root / lang / f"{lesson_id}.md"
    meta, body = raw(lang, lesson_id)
    change(meta)
    path.write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body, encoding="utf-8")
    return path


def _set(path: tuple, value):
    def change(meta):
        node = meta
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


BROKEN = [
    (_set(("quiz", 0, "choices", 0, "correct"), True), "exactly one correct choice"),
    (_set(("quiz", 1, "choices", 2, "feedback"), ""), "quiz[1].choices[2].feedback"),
    (_set(("predict", "answer"), 3), "predict.answer"),
    (_set(("steps", 0, "example"), {"prompt": "Four score"}), "'prompt' is not a setting of the tokens page"),
    (_set(("steps", 1, "text"), "Look at <b>this</b> token."), "raw HTML"),
    (lambda m: m.update(steps=m["steps"][:2]), "steps must be a list of 3 to 8"),
    (lambda m: m.update(quiz=m["quiz"] * 2), "quiz must be a list of 3 to 5"),
    (lambda m: m.pop("not_mean"), "lacks not_mean"),
    (_set(("objectives",), ["only one"]), "objectives must have 2 to 4"),
    (_set(("id",), "token"), "does not match the file name"),
    (_set(("page",), "playground"), "page 'playground'"),
    (_set(("steps", 0, "expect"), {"top_token": " the"}), "claim 'top_token' is not one the tokens page can show"),
    (_set(("steps", 0, "expect"), {"tokens": [9, 3]}), "steps[0].expect.tokens has its low end above its high end"),
    (_set(("steps", 0, "expect"), {"tokens": "many"}), "steps[0].expect.tokens must be a range"),
    (lambda m: m["predict"].update(example=None, expect={"tokens": [1, None]}), "predict.expect needs an example"),
    (_set(("predict", "before"), 9), "predict.before must be the number of a step, 1 to 6"),
    (_set(("steps", 0, "focus"), "phrases"), "steps[0].focus 'phrases' is not a part of the tokens page's tool"),
    (_set(("predict", "focus"), "chips"), "predict.focus 'chips' is not a part of the tokens page's tool"),
]


@pytest.mark.parametrize(("change", "problem"), BROKEN)
def test_loader_names_the_file_and_the_problem(lesson_copy, change, problem):
    path = rewrite(lesson_copy, "ko", "tokens", change)
    with pytest.raises(LessonError) as info:
        load_lessons("ko", lesson_copy)
    assert str(path) in info.value.message("en") and problem in info.value.message("en")
    assert info.value.code == "lesson_malformed" and "수업 파일" in info.value.message("ko")
    assert [lesson.id for lesson in load_lessons("en", lesson_copy)] == IDS  # the other language still loads


def test_loader_rejects_out_of_range_settings(lesson_copy):
    rewrite(lesson_copy, "en", "next_token", _set(("steps", 1, "example", "temperature"), 3.5))
    with pytest.raises(LessonError, match="temperature must be a number from 0.0 to 2.0"):
        load_lessons("en", lesson_copy)


def test_loader_rejects_missing_front_matter_and_missing_files(lesson_copy):
    (lesson_copy / "en" / "welcome.md").write_text("Just Markdown, no front matter.\n", encoding="utf-8")
    with pytest.raises(LessonError, match="front matter"):
        load_lessons("en", lesson_copy)
    (lesson_copy / "ko" / "experts.md").unlink()
    with pytest.raises(LessonError, match="experts.md"):
        load_lessons("ko", lesson_copy)
    (lesson_copy / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(LessonError, match="manifest.json"):
        load_manifest(lesson_copy)


def test_an_edited_lesson_is_read_again(lesson_copy):
    assert load_lessons("en", lesson_copy)[0].title == raw("en", "welcome")[0]["title"]
    rewrite(lesson_copy, "en", "welcome", _set(("title",), "A new title"))
    assert load_lessons("en", lesson_copy)[0].title == "A new title"
    assert lessons_mod.EXAMPLE_KEYS["experts"] == frozenset(ALLOWED["experts"])


# --- more than one prediction -----------------------------------------------------------------------


def second_prediction(before: int | None) -> dict:
    """Another prediction for the Tokens lesson, before step `before`."""
    return {
        "before": before,
        "question": "How many tokens will ‘unbelievable’ take?",
        "example": {"text": "unbelievable"},
        "expect": {"tokens": [3, 3]},
        "choices": ["1", "3", "12"],
        "answer": 1,
        "reveal": "Three: ‘un’, ‘belie’, ‘vable’.",
    }


def test_a_lesson_may_have_two_predictions(lesson_copy):
    def two(meta):
        meta["predict"] = [meta["predict"], second_prediction(2)]

    rewrite(lesson_copy, "en", "tokens", two)
    lesson = next(le for le in load_lessons("en", lesson_copy) if le.id == "tokens")
    shipped = next(le for le in load_lessons("en") if le.id == "tokens")
    assert lesson.predictions[0] == shipped.predict and lesson.predict == shipped.predict  # the first is as before
    second = lesson.predictions[1]
    assert second.before == 2 and second.values == {"text": "unbelievable"} and second.answer == 1
    assert second.expect == (("tokens", (3, 3)),) and second.question.startswith("How many tokens")
    n = len(lesson.steps)
    # each before its own step (the first before step 5, given first in the file), in the order they are shown
    assert lesson.sections == (
        ("step", 1),
        ("predict", 2),
        *[("step", i) for i in range(2, 5)],
        ("predict", 1),
        *[("step", i) for i in range(5, n + 1)],
    )
    # a list of one is the same lesson as the mapping
    rewrite(lesson_copy, "en", "tokens", lambda meta: meta.update(predict=[meta["predict"]]))
    assert next(le for le in load_lessons("en", lesson_copy) if le.id == "tokens") == shipped


@pytest.mark.parametrize(("change", "problem"), [
    (lambda m: m.update(predict=[m["predict"], second_prediction(m["predict"]["before"])]),
     "predict[0] and predict[1] both come before step 5; give each prediction its own 'before'"),
    (lambda m: m.update(predict=[{**m["predict"], "before": None}, second_prediction(None)]),
     "predict[0] and predict[1] both come after the last step"),
    (lambda m: m.update(predict=[m["predict"], second_prediction(1), second_prediction(2)]),
     "predict must be one mapping or a list of 1 to 2, has 3"),
    (lambda m: m.update(predict=[]), "predict must be one mapping or a list of 1 to 2, has 0"),
    (lambda m: m.update(predict=[m["predict"], {**second_prediction(2), "answer": 7}]), "predict[1].answer"),
])  # fmt: skip
def test_two_predictions_are_checked(lesson_copy, change, problem):
    path = rewrite(lesson_copy, "en", "tokens", change)
    with pytest.raises(LessonError) as info:
        load_lessons("en", lesson_copy)
    assert str(path) in info.value.message("en") and problem in info.value.message("en")
