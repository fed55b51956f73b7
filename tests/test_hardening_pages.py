"""Hardening, pages: the adversarial input set (tests/adversarial.py) through every page, one
AppTest session per page; each input goes into the page's text fields. No exception, no
"something went wrong" message, no injected markup rendered (HTML parsed, Markdown checked for
unescaped syntax, chart labels checked), and the visible note where input is cut or refused.
Failure of parts: a corrupt model folder picked in the sidebar, a missing or damaged corpus index.
(A missing model folder and a hub id that cannot be downloaded are covered in
test_pages.test_model_load_failure_falls_back; a missing corpus in
test_pages.test_training_data_without_corpus_says_what_is_missing.)
"""

from __future__ import annotations

import functools
import json
import shutil
from html.parser import HTMLParser

import pytest
import streamlit.testing.v1.app_test as app_test_module
from adversarial import (  # noqa: F401 - one_torch_thread: an autouse fixture
    ALL,
    CONTROL,
    DANGEROUS_TAGS,
    EMPTY,
    LIST_CHECKPOINTS,
    LONE_SURROGATE,
    LONG_100K,
    LOSS_CURVE,
    MARKDOWN_NEEDLES,
    MD_ESCAPED,
    NUL_AND_CONTROLS,
    PATH_TRICKS,
    TEXT_INPUTS,
    TOO_LONG,
    message_pattern,
    one_torch_thread,
)
from site_helpers import APP, SteadyPagesManager  # AppTest keeps the page mode as a server does
from streamlit.testing.v1 import AppTest

from glassbox.i18n import t
from glassbox.model import checkpoints
from ui import progress as ui_progress

# --- pages ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tiny_model_dir, site_data_dir, tmp_path_factory):
    """The site on the tiny model and the fixture index, with no training checkpoints."""
    none = tmp_path_factory.mktemp("no-checkpoints")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GLASSBOX_MODEL", str(tiny_model_dir))
        mp.setenv("GLASSBOX_DATA", str(site_data_dir))
        mp.setattr(app_test_module, "PagesManager", SteadyPagesManager)
        mp.setattr(checkpoints, "list_checkpoints", functools.partial(LIST_CHECKPOINTS, none))
        mp.setattr(checkpoints, "loss_curve", functools.partial(LOSS_CURVE, none))
        yield


def open_page(page: str, lang: str = "en") -> AppTest:
    from glassbox.limits import RequestWindow
    from ui import KEY_REQUESTS

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params["lang"] = lang
    at.session_state[KEY_REQUESTS] = RequestWindow(limit=100_000)  # many inputs in one session on purpose
    at.run()
    if page != "home":
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


class _Tags(HTMLParser):
    """Tags and attributes as a browser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in DANGEROUS_TAGS:
            self.bad.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.bad.append(f"{tag}[{name}]")
            if (value or "").strip().lower().startswith("javascript:"):
                self.bad.append(f"{tag}[{name}=javascript:]")


def strings_in(value) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [s for item in value for s in strings_in(item)] if isinstance(value, list) else []


def rendered_problems(at: AppTest) -> list[str]:
    """Injected markup that a browser would obey, anywhere on the page or in the sidebar."""
    found = []
    for node in [*at.main, *at.sidebar]:
        proto = getattr(node, "proto", None)
        if proto is None or node.type in ("code", "text_area", "text_input"):
            continue
        if node.type == "html":
            if proto.unsafe_allow_javascript:  # only the learner cookie may run script, and only as made here
                if not ui_progress.learner_script(proto.body):
                    found.append(f"html: a script that is not the learner cookie: {proto.body[:80]}")
                continue
            parser = _Tags()
            parser.feed(proto.body)
            found += [f"html: {b}" for b in parser.bad]
            continue
        if node.type == "plotly_chart":  # plotly reads <a href>, <b>, <br> in labels as markup
            labels = " ".join(strings_in(json.loads(proto.spec)))
            found += [f"chart: {n}" for n in ("<script", "<img", "<iframe", "<a href", "<style") if n in labels]
            continue
        for field, text in [(f, getattr(p, f, None)) for p in (proto, getattr(proto, "expandable", None))
                            for f in ("body", "label")]:  # fmt: skip
            if isinstance(text, str):
                bare = MD_ESCAPED.sub("", text)  # escaped punctuation is shown as text
                found += [f"{node.type} {field}: {n!r} in {text[:80]!r}" for n in MARKDOWN_NEEDLES if n in bare]
    return found


def unexpected_errors(at: AppTest, lang: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """Exceptions, and error boxes other than the learner-facing messages in `allowed`."""
    found = [f"exception: {e.value}" for e in at.exception]
    for e in at.error:
        if not any(message_pattern(code, lang).fullmatch(e.value.replace("\\", "")) for code in allowed):
            found.append(f"error: {e.value[:300]}")
    return found


def captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def check_inputs(at: AppTest, lang: str, fields: list[tuple[str, str, int | None]], refused: dict[str, str | tuple],
                 empty_note: str | None, after=None) -> None:  # fmt: skip
    """Each adversarial input into each of `fields` ((kind, key, max_chars)) that the page shows, one
    run per input. `refused`: inputs the page must refuse, with the message code (or codes, one per
    field that refuses it) it must show."""
    problems = []
    for name, text in TEXT_INPUTS.items():
        for kind, key, max_chars in fields:
            try:
                widget = getattr(at, kind)(key=key)
            except KeyError:  # not shown after the previous input (an empty prompt hides the guess)
                continue
            widget.input(text[:max_chars] if max_chars else text)  # the browser enforces max_chars
        at.run()
        if after is not None:
            after(at)
        codes = refused.get(name, ())
        allowed = codes if isinstance(codes, tuple) else (codes,)
        problems += [f"{name}: {p}" for p in unexpected_errors(at, lang, allowed) + rendered_problems(at)]
        if name == "long_100k" and any(m is None for _, _, m in fields):
            if t("common.cut", lang, limit=2000, length=len(LONG_100K)) not in captions(at):
                problems.append(f"{name}: no note that the text was cut")
        if allowed and not at.error:
            problems.append(f"{name}: should be refused with {allowed[0]}, but nothing says so")
        if name == "empty" and empty_note and empty_note not in [i.value for i in at.info]:
            problems.append(f"{name}: the page does not ask for text")
    assert not problems, "\n".join(problems)


def _unsafe_app() -> None:
    """A page that makes every mistake the checks look for (for the self-test below)."""
    import plotly.graph_objects as go
    import streamlit as st
    from adversarial import HTML_INJECTION, MARKDOWN_INJECTION  # the script runs in this process

    mode = st.session_state.get("mode", "unsafe")
    if mode == "unsafe":
        st.html("<div>" + HTML_INJECTION + "</div>")
        st.markdown(MARKDOWN_INJECTION)
        st.button("[click me](http://evil.example/)")
        with st.expander("![img](http://evil.example/x.png)"):
            st.write("")
        st.plotly_chart(go.Figure(go.Bar(x=['<a href="javascript:alert(1)">x</a>'], y=[1])))
        st.error("Something went wrong and this part could not be shown (TypeError: boom).")
    else:
        import html

        from ui import md_escape

        st.html("<div>" + html.escape(HTML_INJECTION) + "</div>")
        st.markdown(md_escape(MARKDOWN_INJECTION))
        st.button(md_escape("[click me](http://evil.example/)"))


def test_the_page_checks_can_fail():
    """The checks above are not vacuous: a page that renders injected markup fails every one of them,
    and the same text escaped passes."""
    at = AppTest.from_function(_unsafe_app, default_timeout=60)
    at.run()
    found = " ".join(rendered_problems(at))
    for needle in ("<script>", "<img>", "<iframe>", "[onerror]", "<style>", "javascript:", "markdown body",
                   "button label", "expander label", "chart: <a href"):  # fmt: skip
        assert needle in found, (needle, found)
    assert any("Something went wrong" in p for p in unexpected_errors(at, "en", ("text_empty",)))
    at.session_state["mode"] = "escaped"
    at.run()
    assert rendered_problems(at) == [] and unexpected_errors(at, "en") == []


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_tokens_page(site, lang):
    at = open_page("tokens", lang)
    check_inputs(at, lang, [("text_area", "tokens.text", None)], refused={}, empty_note=t("tokens.empty", lang))


@pytest.mark.slow
def test_next_token_page(site):
    at = open_page("next_token")
    at.toggle(key="next.guess_first").set_value(False).run()  # bars and the guess's rank at once

    def pick(at: AppTest) -> None:  # build one step of the continuation too, when the page offers it
        picks = [b for b in at.button if b.key and b.key.startswith("next.pick.")]
        if picks:
            picks[0].click().run()

    check_inputs(at, "en", [("text_area", "next.prompt", None), ("text_input", "next.guess", 40)], refused=TOO_LONG,
                 empty_note=t("next.empty", "en"), after=pick)  # fmt: skip


@pytest.mark.slow
def test_experts_page_in_korean(site):
    at = open_page("experts", "ko")
    fields = [("text_area", "experts.prompt", None)]
    check_inputs(at, "ko", fields, refused=TOO_LONG, empty_note=t("experts.empty", "ko"))
    at.text_area(key="experts.prompt").input(LONG_100K).run()  # the refusal is in Korean, with the cut note
    assert any(message_pattern("text_too_long", "ko").fullmatch(e.value.replace("\\", "")) for e in at.error)
    assert "입력한 글은 100000자예요" in captions(at)


@pytest.mark.slow
def test_training_data_page(site):
    at = open_page("training_data")

    def write(at: AppTest) -> None:  # let the model continue the same input as a prompt
        at.button(key="trace.generate").click().run()

    check_inputs(
        at, "en",
        [("text_area", "trace.text", None), ("text_input", "trace.phrase", 200), ("text_input", "trace.prompt", 500)],
        refused={"long_100k": ("trace_too_long", "text_too_long")},  # the traced text; the prompt for the model
        empty_note=t("trace.empty", "en"), after=write,
    )  # fmt: skip


@pytest.fixture
def one_checkpoint(tmp_path, tiny_model_dir, monkeypatch):
    """A model folder with one checkpoint (a copy of the tiny model), so Watch it learn shows its prompt."""
    folder = tmp_path / "model"
    ckpt = folder / "checkpoints" / "step-00010"
    shutil.copytree(tiny_model_dir, ckpt)
    card = {"name": "step 10", "trained": True, "step": 10, "label": "<b>early</b> [x](y)", "tokens_seen": 10}
    (ckpt / "glassbox.json").write_text(json.dumps(card))
    monkeypatch.setattr(checkpoints, "list_checkpoints", functools.partial(LIST_CHECKPOINTS, folder))
    monkeypatch.setattr(checkpoints, "loss_curve", functools.partial(LOSS_CURVE, folder))


@pytest.mark.slow
def test_watch_it_learn_page(site, one_checkpoint):
    at = open_page("watch_it_learn")
    assert at.text_input(key="watch.prompt")
    check_inputs(at, "en", [("text_input", "watch.prompt", 300)], refused={}, empty_note=t("next.empty", "en"))


def _teach_and_wait(at: AppTest) -> None:
    """Press Teach on what the boxes hold, and let a teaching that started end."""
    at.button(key="teach.teach").click().run()
    if "teach.job" in at.session_state:
        assert at.session_state["teach.job"].done.wait(120), "teaching did not end"
        at.run()


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_teach_page(site, lang):
    """Each input as the sentences to teach (pressed) and as the probe; refused sentences say why."""
    at = open_page("teach", lang)
    refused = {"empty": "teach_empty", "whitespace": "teach_empty", "long_100k": "teach_too_long",
               "nul_controls": "teach_bad_characters", "markdown": "teach_too_many", "html": "teach_too_long",
               "long_word": "teach_too_long"}  # fmt: skip
    fields = [("text_area", "teach.sentences", 1005), ("text_input", "teach.probe", 300)]
    check_inputs(at, lang, fields, refused=refused, empty_note=t("teach.empty_probe", lang), after=_teach_and_wait)
    assert at.metric, "none of the inputs that are not refused was taught"  # the held-out loss of a taught copy


@pytest.mark.slow
def test_playground_page(site):
    at = open_page("playground")
    traced_too = {**TOO_LONG, "long_100k": ("text_too_long", "trace_too_long")}  # the model's and tracing's limits
    check_inputs(at, "en", [("text_area", "playground.text", None)], refused=traced_too,
                 empty_note=t("play.empty", "en"))


@pytest.mark.slow
def test_about_page(site):
    at = open_page("about")
    check_inputs(at, "en", [("text_input", "about.query", 100)], refused={}, empty_note=None)


@pytest.mark.slow
def test_home_page_with_hostile_model_names(site):
    """The sidebar's model box on the home page: every input and path trick gives a message or the default model."""
    at = open_page("home")
    at.sidebar.selectbox(key="frame.model_choice").set_value("other").run()
    problems = []
    for name, text in {**TEXT_INPUTS, **{f"path{i}": p for i, p in enumerate(PATH_TRICKS)}}.items():
        at.sidebar.text_input(key="frame.model_other").input(text[:300]).run()
        codes = ("model_not_openable",)  # one message whatever the reason (ui.models.learner_error)
        problems += [f"{name}: {p}" for p in unexpected_errors(at, "en", codes) + rendered_problems(at)]
        if at.error and t("frame.fallback", "en") not in captions(at):
            problems.append(f"{name}: refused, but the fallback is not named")
        if len(at.metric) != 4:
            problems.append(f"{name}: the home page lost its model summary")
    assert not problems, "\n".join(problems)


def test_lone_surrogate_cannot_reach_a_page(site):
    """Streamlit's wire format is protobuf, whose strings must be valid UTF-8: a lone surrogate is
    refused before any page code runs, so pages never see one (the CLI, which can, refuses it itself).
    Should this ever change, the page tests above must feed it too."""
    at = open_page("tokens")
    at.text_area(key="tokens.text").input(LONE_SURROGATE)
    with pytest.raises(UnicodeEncodeError):
        at.run()


# --- failure of parts -----------------------------------------------------------------------------


@pytest.fixture
def corrupt_models(tmp_path, tiny_model_dir):
    """Model folders broken in different ways."""
    folders = {}
    for kind in ("config_garbage", "config_not_an_object", "config_wrong_types", "weights_truncated"):
        folder = tmp_path / kind
        shutil.copytree(tiny_model_dir, folder)
        config = folder / "config.json"
        if kind == "config_garbage":
            config.write_bytes(b"\x00\xff{{ not json")
        elif kind == "config_not_an_object":
            config.write_text('["olmoe", 2, 8]')
        elif kind == "config_wrong_types":
            data = json.loads(config.read_text())
            data.update(hidden_size="wide", num_hidden_layers=None)
            config.write_text(json.dumps(data))
        else:
            weights = next(folder.glob("*.safetensors"))
            weights.write_bytes(weights.read_bytes()[:5000])
        folders[kind] = folder
    return folders


@pytest.mark.slow
def test_corrupt_model_folder_falls_back_on_every_page(site, corrupt_models):
    at = open_page("tokens", "ko")
    at.sidebar.selectbox(key="frame.model_choice").set_value("other").run()
    for kind, folder in corrupt_models.items():
        at.sidebar.text_input(key="frame.model_other").input(str(folder)).run()
        assert not at.exception, (kind, [e.value for e in at.exception])
        errors = [e.value.replace("\\", "") for e in at.sidebar.error]
        assert errors and message_pattern("model_not_openable", "ko").fullmatch(errors[0]), (kind, errors)
        assert t("frame.fallback", "ko") in " ".join(c.value for c in at.sidebar.caption), kind
        assert at.main.html, kind  # the tokens page still shows chips, with the built-in model
    for page in ("home", "next_token", "experts", "training_data", "teach", "watch_it_learn", "playground", "about"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert [e.value for e in at.error] == [e.value for e in at.sidebar.error], page  # only the model message
        assert at.sidebar.error, page  # ... which stays while the broken folder is picked


@pytest.fixture
def data_without_index(tmp_path, site_data_dir, monkeypatch):
    """A data folder with the corpus but no index."""
    shutil.copytree(site_data_dir / "corpus", tmp_path / "corpus")
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path))
    return tmp_path


@pytest.mark.slow
def test_missing_then_damaged_index(site, data_without_index, site_data_dir):
    at = open_page("training_data")
    index_note = t("trace.index_missing", "en", path="@").split("@")[0]
    assert any(w.value.startswith(index_note) for w in at.warning)
    assert at.button(key="trace.build")  # the page offers to build it
    at.text_area(key="trace.text").input("the cat sat on the mat").run()
    assert not at.exception and not at.error
    at.switch_page("pages/playground.py").run()
    assert not at.exception and not at.error
    assert any(w.value.startswith(index_note) for w in at.warning) and at.main.html  # tokens still shown
    for page in ("tokens", "next_token", "experts", "about"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception and not at.error, page
    # now a damaged index: its manifest is there, a data file is cut short
    shutil.copytree(site_data_dir / "ngram", data_without_index / "ngram")
    files = sorted(p for p in (data_without_index / "ngram").iterdir() if p.is_file() and p.name != "manifest.json")
    for f in files:
        f.write_bytes(f.read_bytes()[:-3])
    at.switch_page("pages/training_data.py").run()
    assert not at.exception
    assert any(message_pattern("index_corrupt", "en").fullmatch(e.value.replace("\\", "")) for e in at.error)
    at.switch_page("pages/tokens.py").run()
    assert not at.exception and not at.error


def test_blank_and_long_inputs_reach_the_page_as_their_names_say(site):
    """The input set's edge cases do on a page what the tests above rely on: the empty text is
    refused as empty, white space is shown (not dropped), and a very long word is cut with a note."""
    at = open_page("tokens")
    at.text_area(key="tokens.text").input(EMPTY).run()
    assert t("tokens.empty", "en") in [i.value for i in at.info]
    at.text_area(key="tokens.text").input(ALL["whitespace"]).run()
    assert t("tokens.empty", "en") not in [i.value for i in at.info]
    chips = at.main.html[0].value
    assert "␣" in chips and "↵" in chips  # spaces and newlines become visible tokens
    at.text_area(key="tokens.text").input(ALL["long_word"]).run()
    cut = t("common.cut", "en", limit=2000, length=len(ALL["long_word"]))
    assert any(cut in c.value for c in at.caption), [c.value for c in at.caption]
