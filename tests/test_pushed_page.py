""""Which documents pushed this?" on Next token and Training data, through AppTest, in English and
Korean: a model without a training log gets the explanation and no button; a model with one (the
quick recipe trained here, in seconds, on a small corpus holding one passage copied six times)
gets the button, and pressing it shows the bars against the noise floor, their table, what the
score means and the passages, the six copies as one passage "and 5 more copies", and the
tokens that carried the push marked; a second tab lists BM25's ranking of the same pool (the six
copies first, as BM25 ranks them), each passage with the estimate's multiple and rank. The numbers
shown are those of a direct run of the core's `attribute`. The learner's taught sentences join the
pool and are shown as "your sentence"."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from conftest import SITE_DOCUMENTS
from site_helpers import LANGS, check, open_page, texts

from glassbox.i18n import t

# Written for this test: a passage planted six times, as the anthology plants famous lines.
PLANTED = "The lighthouse keeper counted seven ships before the storm came over the bay."
COPIES = 6
CONTEXT = "The lighthouse keeper counted seven ships before the storm came over the"


@pytest.fixture(scope="module")
def planted_data(tmp_path_factory):
    """A data folder (corpus, manifest, index) of the test corpus plus the planted copies."""
    from site_helpers import write_data_folder

    from glassbox.corpus.documents import Document

    rows = [(d, title, text, "heldout" if i == 1 else "train") for i, (d, title, text) in enumerate(SITE_DOCUMENTS)]
    rows += [("speeches", f"The lighthouse (copy {k} of {COPIES})", PLANTED, "train") for k in range(1, COPIES + 1)]
    docs = [Document(id=f"doc-{i}", source="glassbox-tests==0", domain=d, title=title, license="CC0-1.0", split=split,
                     text=text) for i, (d, title, text, split) in enumerate(rows)]  # fmt: skip
    return write_data_folder(tmp_path_factory.mktemp("pushed-data"), docs, "tests")


@pytest.fixture(scope="module")
def quick_model(planted_data, tmp_path_factory) -> Path:
    """The quick recipe (60 steps, checkpoints and a training log) trained on that corpus."""
    from glassbox.training.recipe import PRESETS, train

    out = tmp_path_factory.mktemp("pushed-quick-olmoe")
    train(planted_data / "corpus" / "corpus.jsonl", out, PRESETS["quick"], preset="quick", progress=False)
    assert (out / "training_log.json").is_file() and (out / "checkpoints").is_dir()
    return out


@pytest.fixture(scope="module", autouse=True)
def steady_pages():
    import streamlit.testing.v1.app_test as app_test_module
    from site_helpers import SteadyPagesManager

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(app_test_module, "PagesManager", SteadyPagesManager)
        yield


@pytest.fixture
def on_quick(monkeypatch, quick_model, planted_data):
    monkeypatch.setenv("GLASSBOX_MODEL", str(quick_model))
    monkeypatch.setenv("GLASSBOX_DATA", str(planted_data))
    return quick_model


def direct(model: Path, data: Path, context: str, token: int, taught: tuple[str, ...] = ()):
    """The core's own run, for what the page must show."""
    from glassbox.attribution.attribute import attribute
    from glassbox.index.engine import open_index

    return attribute(model, open_index(data / "ngram"), context, token, taught=taught)


def next_token_bars(lang: str, prompt: str = CONTEXT):
    at = open_page("next_token", lang)
    at.text_area(key="next.prompt").set_value(prompt).run()
    at.toggle(key="next.guess_first").set_value(False).run()  # the bars at once
    check(at)
    return at


def tab(at, key: str, lang: str = "en"):
    """The tab of one ranking: "pushed.by_gradient" (the estimate's) or "pushed.by_bm25"."""
    (found,) = [tb for tb in at.tabs if tb.label == t(key, lang)]
    return found


def cards(at, lang: str = "en") -> list[str]:
    """The HTML of the estimate's passages' texts."""
    return [h.value for h in tab(at, "pushed.by_gradient", lang).html if 'class="gb-text"' in h.value]


def card_titles(at, key: str = "pushed.by_gradient", lang: str = "en") -> list[str]:
    """The passages' cards in one ranking's tab, in order, by their bold heading "**rank\\. title**"."""
    heads = [m.value for m in tab(at, key, lang).markdown if re.match(r"\*\*\d+\\\. ", m.value)]
    return [re.sub(r"\\(.)", r"\1", re.match(r"\*\*\d+\\\. (.*?)\*\*", h).group(1)) for h in heads]


@pytest.mark.parametrize("lang", LANGS)
def test_a_model_without_a_training_log_gets_the_reason_and_no_button(lang, monkeypatch, tiny_model_dir,
                                                                      planted_data):
    """The conftest's tiny random model has no checkpoints and no training log."""
    monkeypatch.setenv("GLASSBOX_MODEL", str(tiny_model_dir))
    monkeypatch.setenv("GLASSBOX_DATA", str(planted_data))
    assert not (tiny_model_dir / "training_log.json").exists()
    at = next_token_bars(lang)
    assert at.get("plotly_chart")  # the bars are there
    assert t("pushed.unavailable", lang) in [i.value for i in at.info]
    assert "next.pushed" not in [b.key for b in at.button]

    at.switch_page("pages/training_data.py").run()
    at.text_area(key="trace.text").input(PLANTED).run()
    check(at)
    assert t("pushed.unavailable", lang) in [i.value for i in at.info]
    assert "trace.pushed" not in [b.key for b in at.button]


@pytest.mark.parametrize("lang", LANGS)
def test_pressing_the_button_shows_the_passages_their_bars_table_and_what_the_score_means(lang, on_quick,
                                                                                          planted_data):
    from glassbox.model.loading import load_model
    from ui.views.attribution import SHOWN, passages
    from ui.views.passages import neighbours

    at = next_token_bars(lang)
    assert "next.pushed" in [b.key for b in at.button] and t("pushed.unavailable", lang) not in texts(at)
    charts_before = len(at.get("plotly_chart"))
    at.button(key="next.pushed").click().run()
    check(at)

    picker = at.selectbox(key="next.pushed_token")
    lm = load_model(on_quick, device="cpu")
    top = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]  # the next-token bars, most likely first
    assert picker.value == int(at.session_state["next.pushed_token"])
    assert len(picker.options) == len(top["y"]) and picker.options[0] == lm.token_bytes.readable(picker.value)
    expected = direct(on_quick, planted_data, CONTEXT, picker.value)
    found = passages(expected.chunks)
    shown = found[:SHOWN]

    token = lm.token_bytes.readable(picker.value)
    quoted = t("pushed.title", lang, token=f"‘{token}’")
    assert quoted in [s.value.replace("\\", "") for s in at.subheader]
    assert len(at.get("plotly_chart")) == charts_before + 1
    bars = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert bars["data"][0]["x"] == pytest.approx([p.first.ratio for p in shown], abs=0.05)
    assert any(s.get("x0") == 1 and s["line"].get("dash") == "dash" for s in bars["layout"]["shapes"])  # noise floor
    steps = ", ".join(f"{c.step:,}" for c in expected.checkpoints)
    meaning = t("pushed.meaning", lang, token=f"‘{token}’", steps=steps, n=len(expected.chunks))
    assert meaning in [c.value.replace("\\", "") for c in at.caption]
    assert sorted(card_titles(at, lang=lang)) == sorted(p.first.chunk.title for p in shown)

    # the six copies are one passage, said so under it
    planted = [p for p in found if PLANTED in p.first.text]
    assert len(planted) == 1 and planted[0].copies == COPIES and planted[0].holds_span
    mine = [c.value for c in tab(at, "pushed.by_gradient", lang).caption]
    assert planted[0].rank <= SHOWN and t("pushed.copies", lang, n=COPIES - 1) in mine

    # BM25's ranking beside it: the pool's BM25 chunks in BM25's order, grouped the same way, each
    # with the estimate's multiple and rank; the six copies share the most words, so they come first
    bm25 = expected.by_bm25()
    assert bm25 and [s.chunk.bm25_rank for s in bm25] == list(range(1, len(bm25) + 1))
    near = neighbours(bm25, found)[:SHOWN]
    assert PLANTED in near[0].first.text and near[0].copies == COPIES and near[0].pushed is planted[0]
    theirs = tab(at, "pushed.by_bm25", lang)
    assert card_titles(at, "pushed.by_bm25", lang) == [n.first.chunk.title for n in near]  # BM25's order
    said = [c.value.replace("\\", "") for c in theirs.caption]
    assert t("pushed.bm25_about", lang) in said and t("pushed.copies", lang, n=COPIES - 1) in said
    pattern = re.escape(t("pushed.bm25_ratio", lang, ratio="__ratio__", rank="__rank__"))
    pattern = pattern.replace("__ratio__", r"(-?[\d.]+)").replace("__rank__", r"(\d+)")
    estimates = [m.groups() for c in said if (m := re.fullmatch(pattern, c))]
    assert [float(r) for r, _ in estimates] == pytest.approx([n.pushed.first.ratio for n in near], abs=0.06)
    assert int(estimates[0][1]) == planted[0].rank  # the copies' place in the estimate's ranking
    assert t("pushed.checked", lang) in [c.value.replace("\\", "") for c in at.caption]

    # the passage that matters: the strongest token of the top passage is marked strongly
    first = shown[0].first
    strongest = first.chunk.token_ids[1 + max(range(len(first.token_scores)), key=first.token_scores.__getitem__)]
    marks = re.findall(r'<mark style="background:#F2A900[^>]*>([^<]*)</mark>', cards(at, lang)[0])
    assert any(html.escape(lm.tokenizer.decode([strongest])) in m for m in marks)

    at.toggle(key="next.pushed_chart.as_table").set_value(True).run()
    check(at)
    table = at.dataframe[-1].value
    for column in ("rank", "document", "domain", "found_by", "score", "noise_multiple"):
        assert t(f"col.{column}", lang) in table.columns
    assert list(table[t("col.rank", lang)]) == [p.rank for p in shown]
    assert list(table[t("col.noise_multiple", lang)]) == pytest.approx([p.first.ratio for p in shown], abs=0.05)
    assert set(table[t("col.found_by", lang)]) <= {", ".join(t(f"pushed.found_{s}", lang) for s in p.sources)
                                                    for p in found}  # fmt: skip


def test_training_data_explains_one_of_the_texts_last_tokens(on_quick, planted_data):
    at = open_page("training_data", "en")
    at.text_area(key="trace.text").input(PLANTED).run()
    check(at)
    at.button(key="trace.pushed").click().run()
    check(at)
    picker = at.selectbox(key="trace.pushed_at")
    assert picker.options[0] == t("pushed.position_option", "en", token=".", before=PLANTED[:-1][-24:])
    assert picker.options[1] == t("pushed.position_option", "en", token="␣bay", before=CONTEXT[-24:])
    picker.set_value(1).run()  # " bay", after the text before it
    check(at)
    from glassbox.index.engine import open_index

    bay = open_index(planted_data / "ngram").tokenize(" bay")[0]
    expected = direct(on_quick, planted_data, CONTEXT, bay)
    steps = ", ".join(f"{c.step:,}" for c in expected.checkpoints)
    meaning = t("pushed.meaning", "en", token="‘␣bay’", steps=steps, n=len(expected.chunks))
    assert meaning in [c.value.replace("\\", "") for c in at.caption]


def test_a_taught_model_shows_the_learners_sentence_among_the_passages(on_quick):
    import ui.taught as ui_taught
    from glassbox.teaching.presets import PRESET

    at = open_page("teach", "en")
    at.button(key="teach.preset_fact").click().run()
    at.select_slider(key="teach.copies").set_value(2).run()
    at.button(key="teach.teach").click().run()
    assert at.session_state["teach.job"].done.wait(120), "teaching did not end"
    at.run()
    check(at)
    at.switch_page("pages/next_token.py").run()
    at.toggle(key="frame.use_taught").set_value(True).run()
    at.toggle(key="next.guess_first").set_value(False).run()
    at.text_area(key="next.prompt").set_value(PRESET["fact"].probe).run()
    check(at)
    assert ui_taught.is_taught(at.session_state["frame.source"])
    at.button(key="next.pushed").click().run()
    check(at)
    sentences = PRESET["fact"].sentences
    yours = [t("pushed.yours_title", "en", n=k) for k in range(1, len(sentences) + 1)]
    assert set(yours) <= set(card_titles(at))  # every taught sentence, wherever it ranks
    assert any(t("pushed.yours", "en") in m.value and "green-badge" in m.value for m in at.markdown)
    shown = [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in cards(at)]
    assert all(s in shown for s in sentences)  # each sentence as its own passage


def test_a_lessons_example_opens_its_prepared_attribution_without_a_run(on_quick, planted_data, monkeypatch):
    """A lesson example's `explain` opens the attribution of the text's last token at once, from
    the file `glassbox prepare` keeps (glassbox.attribution.prepared): nothing is computed."""
    import glassbox.attribution.attribute as core
    from glassbox.attribution import prepared
    from glassbox.index.build import index_stamp
    from glassbox.index.engine import open_index

    text = PLANTED[: -len(".")]  # "... came over the bay": its last token is " bay", after CONTEXT
    bay = open_index(planted_data / "ngram").tokenize(" bay")[0]
    expected = direct(on_quick, planted_data, CONTEXT, bay)
    name = prepared.key(on_quick, index_stamp(planted_data / "ngram"), CONTEXT, bay)
    prepared.save(name, expected)
    try:
        assert prepared.load(name) == expected

        def no_run(*args, **kwargs):
            raise AssertionError("the prepared attribution was computed again")

        monkeypatch.setattr(core, "attribute", no_run)
        at = open_page("training_data", "en")
        at.session_state["trace.explain"] = 1  # as "Try this" sets it
        at.text_area(key="trace.text").input(text).run()
        check(at)
        assert at.selectbox(key="trace.pushed_at").value == 0  # the last token
        steps = ", ".join(f"{c.step:,}" for c in expected.checkpoints)
        meaning = t("pushed.meaning", "en", token="‘␣bay’", steps=steps, n=len(expected.chunks))
        assert meaning in [c.value.replace("\\", "") for c in at.caption]
    finally:
        (prepared.folder() / f"{name}.pkl").unlink()


def test_a_passage_cut_inside_a_character_shows_whole_characters_and_no_bytes():
    """A passage is a window of a document's tokens, and a Korean character may be split between
    tokens: the card marks the character whole and leaves out the parts cut at the window's ends."""
    from ui.views.passages import marked_text

    data = "고양이가 켜졌다".encode()  # 고 is bytes 0-2, 양 3-5, 이 6-8, 가 9-11, then a space
    pieces = [data[1:3], data[3:4], data[4:9], data[9:13], data[13:-1]]  # starts and ends inside a character
    text, marks = marked_text(pieces, [0.0, 0.0, 1.0, 0.0, 0.0])
    assert text == "양이가 켜졌"
    assert [text[a:b] for a, b, _ in marks] == ["양이"]  # 양's last bytes carried the push: 양 marked whole
