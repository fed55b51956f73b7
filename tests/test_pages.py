"""The site, page by page, in English and Korean, driven through Streamlit's AppTest with the
real tiny model, the real lessons and a real corpus index built from the shared test corpus."""

from __future__ import annotations

import functools
import html
import json
import re
import shutil

import pytest
import streamlit.testing.v1.app_test as app_test_module
from site_helpers import APP, HANGUL, INJECTION, LANGS, check, open_page, part_of, show_part, texts
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from glassbox.i18n import EN, KO, t
from glassbox.lessons import load_lessons
from glassbox.model import checkpoints

pytestmark = pytest.mark.usefixtures("site")  # conftest: the tiny model and the test corpus


def charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


def lesson_try(at: AppTest, lesson: str, step: int = 1) -> AppTest:
    show_part(at, lesson, part_of(lesson, step))
    at.button(key=f"lesson.{lesson}.try{step}").click().run()
    check(at)
    return at


def answer_quiz(at: AppTest, page: str, lang: str) -> None:
    """Pick each choice of the first question in turn: each shows its own feedback, right or wrong."""
    from glassbox.lessons import lesson_for_page

    lesson = lesson_for_page(page, lang)
    show_part(at, lesson.id, part_of(lesson.id, finish=True))
    question = lesson.quiz[0]
    for i, choice in enumerate(question.choices):
        at.radio(key=f"lesson.{lesson.id}.q0").set_value(i).run()
        assert not at.exception
        shown = [s.value for s in at.success] if choice.correct else [e.value for e in at.error]
        assert choice.feedback in shown
    right = [i for i, c in enumerate(question.choices) if c.correct][0]
    at.radio(key=f"lesson.{lesson.id}.q0").set_value(right).run()
    # the score keeps the first try (choice 0), whatever was picked after it
    assert at.session_state["progress.scores"][lesson.id] == (int(question.choices[0].correct), len(lesson.quiz))
    if right != 0:
        assert t("lesson.first_try", lang) in texts(at)


@pytest.mark.parametrize("lang", LANGS)
def test_home(lang):
    at = open_page("home", lang)
    assert at.title[0].value == "🔍 Glass Box"
    assert t("home.intro", lang) in texts(at)
    assert len(at.page_link) >= 7  # the lesson path and the playground
    assert len(at.metric) == 4
    # the tiny test model is marked untrained: a banner on every page, and in the status line
    assert any(t("frame.untrained_banner", lang) == w.value for w in at.warning)
    status = " ".join(c.value for c in at.sidebar.caption)
    assert t("frame.untrained", lang) in status and "2" in status
    if lang == "ko":
        assert HANGUL.search(at.sidebar.selectbox[0].label)
        assert at.query_params["lang"] == "ko"


def test_language_switch_updates_url_and_strings():
    at = open_page("home", "en")
    at.radio(key="frame.lang").set_value("ko").run()
    check(at)
    assert at.query_params["lang"] == "ko"
    assert KO["home.intro"] in texts(at)
    at.switch_page("pages/tokens.py").run()  # the choice survives a page change
    assert KO["tokens.title"] in texts(at)


@pytest.mark.parametrize("lang", LANGS)
def test_tokens(lang):
    at = open_page("tokens", lang)
    assert t("tokens.title", lang) in texts(at)
    at.text_area(key="tokens.text").input("Four score 안녕 " + INJECTION).run()
    check(at)
    chips = at.main.html[0].value
    # tokens split "<script>" into pieces; each piece is escaped text, never markup
    assert "&lt;" in chips and "&gt;" in chips and "<script" not in chips and "<img" not in chips
    at.text_area(key="tokens.text").input(INJECTION).run()
    pieces = re.findall(r'class="gb-chip"[^>]*>(.*?)<span', at.main.html[0].value)
    assert "".join(html.unescape(p) for p in pieces).replace("␣", " ") == INJECTION  # shown as text, exactly
    at.text_area(key="tokens.text").input("Four score 안녕").run()
    chips = at.main.html[0].value  # the chips of the text just typed
    assert "gb-chip" in chips and "⟨" in chips  # Korean syllables split into byte pieces show their bytes
    assert "안" in chips  # ... and the character those bytes belong to
    assert [m.label for m in at.metric][:3] == [
        t("tokens.chars", lang),
        t("tokens.words", lang),
        t("tokens.tokens", lang),
    ]
    assert charts(at) == 1  # the English/Korean token-cost chart
    assert len(at.main.html) == 1 + 2 * 4  # the input's chips and four sentence pairs
    lesson_try(at, "tokens", 2)
    assert at.text_area(key="tokens.text").value == "unbelievable"
    assert "50279" in " ".join(str(df.value) for df in at.dataframe)  # the special tokens table
    answer_quiz(at, "tokens", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_token_chips_colour_the_same_token_alike(lang):
    """A chip's colour follows its token id: every chip of ' the' has one colour, and the legend
    says what the colour means."""
    at = open_page("tokens", lang)
    at.text_area(key="tokens.text").input("the cat and the dog and the bird and the end").run()
    check(at)
    chips = re.findall(r'class="gb-chip" title="([^"]*)"[^>]*background:([^;]+);', at.main.html[0].value)
    by_id: dict[str, set[str]] = {}
    for title, colour in chips:
        token_id = re.search(r"\d+", html.unescape(title)).group()
        by_id.setdefault(token_id, set()).add(colour)
    assert len(chips) > len(by_id) >= 5  # ' the' and ' and' come back
    assert all(len(colours) == 1 for colours in by_id.values())  # the same token, one colour
    assert len({c for colours in by_id.values() for c in colours}) > 1  # colour still tells tokens apart
    assert t("tokens.legend", lang) in texts(at)


def test_markdown_labels_draw_distinct_tokens_distinctly():
    """Streamlit's Markdown turns a free-standing '--' into '—' and '->' into an arrow (rules read
    from the installed frontend), which drew the tokens '--' and '—' alike on the pick buttons and
    in the guess result; md_escape keeps every such token as typed (a zero-width joiner aside)."""
    import pathlib

    import streamlit

    from ui.text import WORD_JOINER, md_escape

    bundle = pathlib.Path(streamlit.__file__).parent / "static" / "static" / "js"
    js = "".join(f.read_text(encoding="utf-8", errors="replace") for f in bundle.glob("StreamlitMarkdown*.js"))
    rules = re.findall(r"\[/\(\^\|\\s\)(.+?)\(\\s\|\$\)/g,`\$1(.+?)\$2`\]", js)
    assert ("--", "—") in rules and len(rules) >= 5, "the frontend's typographic rules were not found"

    def drawn(markdown: str) -> str:  # what the frontend shows: escapes resolved, then its rules applied
        shown = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)
        for mark, sign in rules:
            shown = re.sub(rf"(^|\s){re.escape(mark)}(\s|$)", rf"\g<1>{sign}\g<2>", shown)
        return shown

    assert drawn("--") == "—"  # the fault, as the learner saw it on the button "-- · 5%"
    tokens = ["--", "—", "->", "→", "<-", "<->", ">=", "<=", "~=", "---", "␣--", "a -- b"]
    shown = {tok: drawn(f"{md_escape(tok)} · 5%").replace(WORD_JOINER, "") for tok in tokens}
    assert all(shown[tok] == f"{tok} · 5%" for tok in tokens), shown
    assert len(set(shown.values())) == len(tokens)


@pytest.mark.parametrize("lang", LANGS)
def test_next_token(lang):
    at = open_page("next_token", lang)
    assert charts(at) == 0  # guess first: no bars before the reveal
    at.text_area(key="next.prompt").input("Four score and seven").run()
    at.text_input(key="next.guess").input("years").run()
    at.button(key="next.reveal_button").click().run()
    check(at)
    assert charts(at) == 1
    assert any(HANGUL.search(i.value) for i in at.info) == (lang == "ko")
    assert t("next.kept_all", lang, total="50,280") in texts(at)  # every token of the tokenizer, no padding row
    at.slider(key="next.temperature").set_value(0.3).run()
    at.slider(key="next.top_k").set_value(3).run()
    check(at)
    assert t("next.cut_note", lang, cut=9, shown=12) in texts(at)
    assert t("next.kept_of", lang, kept="3", total="50,280") in texts(at)
    picks = [b for b in at.button if b.key and b.key.startswith("next.pick.")]
    assert len(picks) == 3  # top-k 3: only the kept tokens can be picked
    picks[0].click().run()
    assert len(at.session_state["next.picked"]) == 1
    # guess first stays on: building a continuation neither asks again nor hides the bars
    assert at.toggle(key="next.guess_first").value is True
    assert charts(at) == 1 and not [b for b in at.button if b.key == "next.reveal_button"]
    at.button(key="next.sample").click().run()
    check(at)
    picked = list(at.session_state["next.picked"])
    assert len(picked) == 2 and charts(at) == 1
    assert at.text_input(key="next.guess").value == "years"  # the guess stays with its prompt
    at.button(key="next.undo").click().run()
    assert list(at.session_state["next.picked"]) == picked[:1] and charts(at) == 1
    step = next(le for le in load_lessons(lang) if le.id == "next_token").steps[1].values
    lesson_try(at, "next_token", 2)
    assert at.slider(key="next.temperature").value == pytest.approx(step["temperature"])
    assert at.text_area(key="next.prompt").value == step["prompt"]
    # predict, then reveal: the reveal button waits for a choice
    show_part(at, "next_token", part_of("next_token", predict=True))
    assert at.button(key="lesson.next_token.reveal").disabled
    at.radio(key="lesson.next_token.predict").set_value(0).run()
    at.button(key="lesson.next_token.reveal").click().run()
    check(at)
    assert at.success or at.warning  # right or wrong, the learner is told
    assert at.session_state["lesson.next_token.revealed"] is True
    assert at.slider(key="next.temperature").value == pytest.approx(0.2)


@pytest.mark.parametrize("lang", LANGS)
def test_next_token_asks_for_a_guess_once_per_prompt(lang):
    """A new prompt, typed or set by a lesson's Try this, empties the guess box and hides the bars
    until the learner reveals again; the same prompt with other settings does not ask again."""
    lesson = next(le for le in load_lessons(lang) if le.id == "next_token")
    at = open_page("next_token", lang)
    at.text_area(key="next.prompt").input("Four score and seven").run()
    at.text_input(key="next.guess").input("years").run()
    at.button(key="next.reveal_button").click().run()
    assert charts(at) == 1
    at.slider(key="next.temperature").set_value(1.5).run()  # settings are not a new prompt
    assert charts(at) == 1 and at.text_input(key="next.guess").value == "years"
    at.text_area(key="next.prompt").input("It was the best of").run()  # typed: a new prompt
    check(at)
    assert charts(at) == 0 and at.text_input(key="next.guess").value == ""
    assert at.button(key="next.reveal_button")
    at.button(key="next.reveal_button").click().run()  # an empty guess is allowed
    assert charts(at) == 1
    first, second = (s.values["prompt"] for s in lesson.steps[:2])
    assert first != second
    lesson_try(at, "next_token", 1)  # a lesson's new prompt asks again too
    assert at.text_area(key="next.prompt").value == first and charts(at) == 0
    at.text_input(key="next.guess").input("good").run()
    at.button(key="next.reveal_button").click().run()
    assert charts(at) == 1
    lesson_try(at, "next_token", 2)
    assert charts(at) == 0 and at.text_input(key="next.guess").value == ""
    at.button(key="next.reveal_button").click().run()
    same = [i for i, s in enumerate(lesson.steps[2:], 3) if s.values.get("prompt") == second]
    assert same, "the temperature steps compare one prompt at two temperatures"
    lesson_try(at, "next_token", same[0])  # the same prompt at another temperature: no new guess
    assert charts(at) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_experts(lang):
    at = open_page("experts", lang)
    assert charts(at) == 4  # heatmap, token path, load, next-token bars
    at.text_area(key="experts.prompt").input("To be, or not to be").run()
    at.select_slider(key="experts.layer").set_value(1).run()
    at.selectbox(key="experts.token").set_value(2).run()
    check(at)
    assert t("experts.heatmap", lang, layer=1) in texts(at)
    assert t("experts.domains_missing", lang) in texts(at)  # the test model has no saved evaluation
    at.selectbox(key="experts.expert_off").set_value(3).run()
    check(at)
    assert charts(at) == 5  # bars with all experts and with expert 3 off
    assert t("experts.with_off", lang, e=3) in texts(at)
    lesson_try(at, "experts", 3)
    assert at.select_slider(key="experts.layer").value == 1
    assert at.selectbox(key="experts.token").value == 0


@pytest.mark.parametrize("lang", LANGS)
def test_a_revealed_prediction_points_to_where_the_tool_is(lang):
    """After the reveal, the lesson says the tool now shows the example: beside the lesson box,
    or below the whole lesson; the wrong-guess line ends with the answer's own full stop."""
    from glassbox.lessons import lesson_for_page

    lesson = lesson_for_page("tokens", lang)
    at = open_page("tokens", lang)
    show_part(at, "tokens", part_of("tokens", predict=True))
    wrong = next(i for i in range(len(lesson.predict.choices)) if i != lesson.predict.answer)
    at.radio(key="lesson.tokens.predict").set_value(wrong).run()
    at.button(key="lesson.tokens.reveal").click().run()
    check(at)
    assert t("lesson.tool_set", lang) in texts(at) and t("lesson.tool_set_below", lang) not in texts(at)
    said = t("lesson.guess_wrong", lang, answer=lesson.predict.choices[lesson.predict.answer])
    assert said in [w.value for w in at.warning] and ".”." not in said
    at.toggle(key="lesson.tokens.whole").set_value(True).run()  # the whole lesson above the tool
    assert t("lesson.tool_set_below", lang) in texts(at) and t("lesson.tool_set", lang) not in texts(at)


@pytest.mark.parametrize("lang", LANGS)
def test_experts_tables_read_as_percentages(lang):
    """The router table (behind "Show as a table") writes probabilities as the charts do, not as
    16-digit floats."""
    at = open_page("experts", lang)
    at.toggle(key="experts.heatmap.as_table").set_value(True).run()
    check(at)
    (table,) = [d.value for d in at.dataframe]
    cells = [p for row in table[t("col.probabilities", lang)] for p in row]
    assert cells and all(re.fullmatch(r"(< )?\d+(\.\d+)?%", p) for p in cells), cells


@pytest.mark.parametrize("lang", LANGS)
def test_training_data_with_index(lang):
    from glassbox.index.engine import open_index
    from glassbox.index.ngrams import count, phrase_count
    from glassbox.paths import index_dir

    at = open_page("training_data", lang)
    at.text_area(key="trace.text").input("Light came to the valley, and the cat sat on the mat. " + INJECTION).run()
    check(at)
    traced = at.main.html[0].value
    assert "<mark" in traced and "&lt;script&gt;" in traced and "<script" not in traced
    assert re.search(r"<mark[^>]*>[^<]*valley", traced)
    assert at.selectbox(key="trace.span").options
    assert charts(at) == 1  # model vs training data
    documents = [h.value for h in at.main.html[1:]]
    assert any("<mark" in d for d in documents)
    cards = " ".join(m.value for m in at.main.markdown)  # each card names its kind of text in the page's language
    assert f"· {t('domain.scripture', lang)} ·" in cards
    assert t("trace.novelty", lang) in texts(at)
    at.text_input(key="trace.phrase").input("the valley").run()
    check(at)
    expected = count(open_index(index_dir()), "the valley")
    assert expected >= 2  # "to the valley, and the valley" in the scripture document
    assert any(m.value == f"{expected:,}" for m in at.metric)
    at.text_input(key="trace.phrase").input("Light came").run()  # both forms: mid-sentence and as typed
    both = phrase_count(open_index(index_dir()), "Light came")
    assert both.count == 0 and both.as_typed == 1  # it opens the scripture document
    shown = {m.label: m.value for m in at.metric}
    assert shown[t("trace.phrase_count", lang)] == "0" and shown[t("trace.phrase_typed", lang)] == "1"
    at.number_input(key="trace.max_new_tokens").set_value(5).run()
    at.button(key="trace.generate").click().run()
    check(at)
    assert at.text_area(key="trace.text").value.startswith("In the beginning")


@pytest.mark.parametrize("lang", LANGS)
def test_training_data_draws_the_part_a_lesson_step_is_about_on_top(lang):
    """A step that names a part of the tool (its `focus`) has that part drawn first in the tool,
    so that it is in view beside the step; the other parts keep their order below it."""
    at = open_page("training_data", lang)
    at.text_area(key="trace.text").input("Light came to the valley, and the cat sat on the mat.").run()
    titles = {t(k, lang): k for k in ("trace.compare", "trace.novelty", "trace.phrases", "recite.title")}

    def parts() -> list[str]:
        check(at)
        return [titles[s.value] for s in at.subheader if s.value in titles]

    usual = ["trace.compare", "trace.novelty", "trace.phrases", "recite.title"]
    assert parts() == usual  # the introduction is about no part
    lesson = next(le for le in load_lessons(lang) if le.id == "training_data")
    focused = {"compare": "trace.compare", "phrases": "trace.phrases", "recite": "recite.title"}
    for i, step in enumerate(lesson.steps, 1):
        show_part(at, "training_data", part_of("training_data", step=i))
        first = focused.get(step.focus)
        assert parts() == ([first] + [p for p in usual if p != first] if first else usual), (i, step.focus)
    assert {s.focus for s in lesson.steps} >= {"phrases", "compare", "recite"}
    show_part(at, "training_data", part_of("training_data", predict=True))
    assert parts()[0] == "recite.title"


@pytest.mark.parametrize("lang", LANGS)
def test_training_data_without_corpus_says_what_is_missing(lang, tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path))
    at = open_page("training_data", lang)
    missing = t("trace.corpus_missing", lang, path="@").split("@")[0]
    assert any(w.value.startswith(missing) for w in at.warning)
    shown = [b.value for b in (*at.warning, *at.info)]
    assert sum(v.startswith(missing) for v in shown) == 1  # said once, not again by the recital section
    at.text_area(key="trace.text").input("Some words").run()  # the rest of the page still works
    check(at)


@pytest.fixture
def two_checkpoints(tmp_path, tiny_model_dir, monkeypatch):
    """A model folder with two checkpoints (copies of the tiny model) and a training log."""
    folder = tmp_path / "model"
    for step, label in ((10, "very early"), (200, "later")):
        ckpt = folder / "checkpoints" / f"step-{step:05d}"
        shutil.copytree(tiny_model_dir, ckpt)
        card = {"name": f"step {step}", "trained": True, "step": step, "label": label, "tokens_seen": step * 1000}
        (ckpt / "glassbox.json").write_text(json.dumps({**card, "heldout_loss": 9.0 - step / 100}))
    log = {"steps": [0, 10, 100, 200], "train_loss": [11.0, 9.5, 8.0, 7.2], "heldout": [{"step": 200, "loss": 7.5}]}
    (folder / "training_log.json").write_text(json.dumps(log))
    monkeypatch.setattr(checkpoints, "list_checkpoints", functools.partial(checkpoints.list_checkpoints, folder))
    monkeypatch.setattr(checkpoints, "loss_curve", functools.partial(checkpoints.loss_curve, folder))
    return folder


@pytest.mark.parametrize("lang", LANGS)
def test_watch_it_learn_without_checkpoints(lang, tmp_path, monkeypatch):
    empty = tmp_path / "no-model"
    monkeypatch.setattr(checkpoints, "list_checkpoints", functools.partial(checkpoints.list_checkpoints, empty))
    monkeypatch.setattr(checkpoints, "loss_curve", functools.partial(checkpoints.loss_curve, empty))
    at = open_page("watch_it_learn", lang)
    assert any(t("watch.none", lang) == i.value for i in at.info)


@pytest.mark.parametrize("lang", LANGS)
def test_watch_it_learn_with_checkpoints(lang, two_checkpoints):
    at = open_page("watch_it_learn", lang)
    assert charts(at) == 3  # the loss curve and one set of bars per checkpoint
    assert len(at.main.html) == 2  # one seeded continuation per checkpoint
    shown = [m.value for m in at.markdown]
    # a label the recipe names is translated; another stays as written
    assert f"**{t('checkpoint.very early', lang)}**" in shown and "**later**" in shown
    first = [h.value for h in at.main.html]
    at.number_input(key="watch.seed").set_value(5).run()
    check(at)
    assert [h.value for h in at.main.html] != first  # another seed, another continuation
    lesson_try(at, "watch_it_learn", 1)
    assert at.text_input(key="watch.prompt").value == "In the beginning"
    # the sidebar's model picker offers the checkpoints too
    options = at.sidebar.selectbox(key="frame.model_choice").options
    assert len(options) == 4
    at.sidebar.selectbox(key="frame.model_choice").set_value("ckpt:step-00010").run()
    check(at)
    assert "step 10" in " ".join(c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("lang", LANGS)
def test_playground(lang):
    at = open_page("playground", lang)
    assert len(at.tabs) == 4 and at.tabs[0].label == t("nav.tokens", lang)
    at.text_area(key="playground.text").input("And the valley was glad " + INJECTION).run()
    check(at)
    assert charts(at) >= 5  # next-token bars, routing views, model vs training data
    html = "".join(h.value for h in at.main.html)
    assert "gb-chip" in html and "<mark" in html and "<script" not in html
    at.slider(key="playground.temperature").set_value(1.5).run()
    check(at)


@pytest.mark.parametrize("lang", LANGS)
def test_about(lang):
    at = open_page("about", lang)
    shown = " ".join(m.value for m in at.markdown)
    assert "Tiny OLMoE — model card" in shown and "Glass Box corpus — data card" in shown  # the shipped cards
    at.text_input(key="about.query").input("cat").run()
    check(at)
    assert t("about.found", lang, n="2") in texts(at)  # two training documents mention a cat
    assert "<mark" in at.main.html[0].value
    at.selectbox(key="about.domain").set_value("dictionary").run()
    assert t("about.found", lang, n="0") in texts(at)


@pytest.mark.parametrize("source", ["/no/such/olmoe", "allenai/OLMoE-1B-7B-0125-Instruct"])
def test_model_load_failure_falls_back(source):
    at = open_page("tokens", "ko")
    at.sidebar.selectbox(key="frame.model_choice").set_value("other").run()
    at.sidebar.text_input(key="frame.model_other").input(source).run()
    assert not at.exception
    errors = [e.value for e in at.sidebar.error]
    assert errors and HANGUL.search(errors[0])  # the message is in the learner's language
    assert KO["frame.fallback"] in " ".join(c.value for c in at.sidebar.caption)
    assert at.main.html  # the page still works on the built-in model
    at.text_area(key="tokens.text").input("still works").run()
    assert not at.exception


def test_deep_link_before_first_navigation_still_gets_the_frame(monkeypatch):
    """A fresh server's first visit is a deep link: Streamlit's old pages-folder mode is on (the
    real PagesManager, its mode not yet decided), so the page file runs without app.py, and `ui`
    is not yet imported. The page's first `import ui` (`ui.runtime.page_start`) must switch the
    mode off and start again with the frame and the right page. (AppTest decides the mode afresh
    before every run, so only this first run is a real server's.)"""
    import sys

    monkeypatch.setattr(app_test_module, "PagesManager", PagesManager)
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    for name in [m for m in sys.modules if m == "ui" or m.startswith("ui.")]:
        monkeypatch.delitem(sys.modules, name)  # put back as they were after the test
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params["lang"] = "ko"
    at.switch_page("pages/experts.py").run()  # the process's first run: the deep link
    check(at)
    assert at.sidebar.radio(key="frame.lang").value == "ko"
    assert KO["experts.title"] in texts(at)
    assert EN["experts.title"] not in texts(at)
    assert PagesManager.uses_pages_directory is False  # switched off by the first import


@pytest.mark.parametrize("lang", LANGS)
def test_about_without_cards(lang, tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoints, "card_markdown", functools.partial(checkpoints.card_markdown, tmp_path))
    at = open_page("about", lang)
    assert t("about.no_card", lang, name="MODEL_CARD.md") in texts(at)


def test_next_token_sampling_draws_what_generation_draws(tiny_lm):
    """One sampler: the Next-token page's seeded draw is the token generation writes with that seed."""
    from glassbox.model.generation import generate
    from glassbox.model.sampling import Settings

    prompt, seed = "The cat sat on the", 11
    written = generate(tiny_lm, prompt, max_new_tokens=1, settings=Settings(temperature=1.0), seed=seed)
    at = open_page("next_token", "en")
    at.toggle(key="next.guess_first").set_value(False).run()
    at.text_area(key="next.prompt").input(prompt).run()
    at.number_input(key="next.seed").set_value(seed).run()
    at.button(key="next.sample").click().run()
    check(at)
    assert list(at.session_state["next.picked"]) == [written.steps[0].token.id]


def test_a_bar_for_the_end_of_text_token_says_what_that_token_is(tiny_lm):
    """The bars' caption names <|endoftext|> as the end of a document whenever it is a candidate."""
    from ui.views import next_token as view_next

    def app() -> None:
        from glassbox.model.next_token import Candidate
        from ui.views import next_token as view

        view.show_bars("t", [Candidate(50279, view.END_OF_TEXT, 0.381, True), Candidate(13, ".", 0.2, True)])

    at = AppTest.from_function(app, default_timeout=60)
    at.run()
    assert not at.exception
    assert any("ends every training document" in c.value and "38.1%" in c.value for c in at.caption)
    assert view_next.END_OF_TEXT == tiny_lm.token_bytes.readable(tiny_lm.tokenizer.eos_token_id)  # as bars show it
