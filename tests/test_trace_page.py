"""The Training data page's trace, in English and Korean, through AppTest on the test corpus and
its real index: the caption says how many of how many stretches are marked, the all-matches
view marks and lists every stretch with its count (one left unmarked by the distinctive view
included) and shows its documents, the document counts are true, and the model's end-of-text
token (the shipped model writes it after Hamlet's line) is kept out of the text to trace."""

from __future__ import annotations

import html
import re

import pytest
from site_helpers import LANGS, check, open_page, texts

from glassbox import paths
from glassbox.i18n import t

pytestmark = pytest.mark.usefixtures("site")  # conftest: the tiny model and the test corpus

# Written for this test from phrases of the test corpus: "the rain" (from "Rain in the city") is
# found word for word but is not among the most distinctive stretches.
TEXT = ("Friends, the harbour will open again in spring, and the garden is quiet tonight while the cat sat on "
        "the mat and watched the rain.")
PLAIN = "the rain"


def _traced():
    from glassbox.index.engine import open_index
    from glassbox.index.trace import trace

    index = open_index(paths.index_dir())
    return index, trace(index, TEXT)


def _marked(at) -> list[str]:
    """The texts of the traced text's marks (the first html block on the page)."""
    return [html.unescape(m) for m in re.findall(r"<mark[^>]*>([^<]*)</mark>", at.main.html[0].value)]


@pytest.mark.parametrize("lang", LANGS)
def test_all_matches_view_shows_a_phrase_the_distinctive_view_leaves_unmarked(lang):
    index, traced = _traced()
    plain = next(m for m in traced.matches if m.text == PLAIN)
    assert not plain.distinctive and plain.count == index.count_ids(index.tokenize(" " + PLAIN)) >= 1
    n, m = len(traced.spans), len(traced.matches)
    assert m > n

    at = open_page("training_data", lang)
    at.text_area(key="trace.text").input(TEXT).run()
    check(at)
    every = t("trace.view_all", lang, m=m)
    assert t("trace.marked_some", lang, n=n, m=m, all=every) in texts(at)
    assert PLAIN not in _marked(at) and len(_marked(at)) == n
    assert len(at.selectbox(key="trace.span").options) == n

    at.radio(key="trace.marks").set_value("all").run()
    check(at)
    assert t("trace.all_marked", lang, m=m) in texts(at)
    assert PLAIN in "".join(_marked(at))  # marked now (it may run into a neighbouring mark)
    table = at.dataframe[0].value
    counts = dict(zip(table[t("trace.col_stretch", lang)], table[t("trace.col_count", lang)], strict=True))
    assert len(counts) == m and counts[PLAIN] == plain.count
    assert all(counts[s.text] == s.count for s in traced.matches)

    picker = at.selectbox(key="trace.span")
    assert len(picker.options) == m
    at.selectbox(key="trace.span").set_value(traced.matches.index(plain)).run()
    check(at)
    cards = [h.value for h in at.main.html[1:]]
    assert any("<mark" in c and html.escape(PLAIN) in c for c in cards)  # its documents, the match marked
    assert t("trace.docs_one", lang) in texts(at) or t("trace.docs_all", lang, docs=len(cards)) in texts(at)
    assert "Rain in the city" in texts(at)


@pytest.mark.parametrize("lang", LANGS)
def test_document_counts_say_how_many_hold_a_stretch(lang):
    _, traced = _traced()
    at = open_page("training_data", lang)
    at.text_area(key="trace.text").input(TEXT).run()
    check(at)
    chosen = traced.matches[at.selectbox(key="trace.span").value]
    shown = texts(at)
    if chosen.count == 1:
        assert t("trace.span_once", lang, tokens=chosen.length_tokens) in shown
    else:
        assert t("trace.span_info", lang, count=f"{chosen.count:,}", tokens=chosen.length_tokens) in shown
    assert chosen.documents is not None and chosen.documents <= chosen.count  # few occurrences: all read
    held = t("trace.docs_one", lang) if chosen.documents == 1 else t("trace.docs_all", lang, docs=chosen.documents)
    assert held in shown
    relevance = {t(f"trace.relevance_{k}", lang) for k in ("low", "mid", "high")}
    assert any(r in shown for r in relevance)
    assert not any(t(f"trace.level_{k}", lang) in m.value for m in at.markdown if "**" in m.value
                   for k in ("low", "mid", "high"))  # a card's relevance does not borrow the distinctiveness names


def test_a_single_match_reads_in_the_singular():
    from glassbox.index.engine import open_index
    from glassbox.index.trace import trace

    text = "Zebra quilts overheat; the garden is quiet tonight."
    assert len(trace(open_index(paths.index_dir()), text).matches) == 1
    at = open_page("training_data", "en")
    at.text_area(key="trace.text").input(text).run()
    check(at)
    shown = texts(at)
    assert t("trace.marked_one", "en") in shown and "1 stretches" not in shown
    assert not [r for r in at.radio if r.key == "trace.marks"]  # nothing more to show: no switch


def test_the_end_of_text_token_is_kept_out_of_the_text_to_trace(monkeypatch):
    """The shipped model ends Hamlet's planted line with its end-of-text token (seed 0)."""
    from glassbox.model.generation import generate
    from glassbox.model.loading import load_model

    prompt = "To be, or not to be, that is the question:"
    written = generate(load_model(paths.EMBEDDED_MODEL_DIR), prompt, 40, seed=0)
    assert written.stopped == "end_of_text" and written.full_text.endswith("<|endoftext|>")
    monkeypatch.setenv("GLASSBOX_MODEL", str(paths.EMBEDDED_MODEL_DIR))
    at = open_page("training_data", "en")
    at.text_input(key="trace.prompt").input(prompt).run()
    at.number_input(key="trace.max_new_tokens").set_value(40).run()
    at.button(key="trace.generate").click().run()
    check(at)
    box = at.text_area(key="trace.text").value
    assert box == written.full_text.removesuffix("<|endoftext|>").rstrip() and "<|" not in box
    assert t("trace.ended", "en") in texts(at)
    at.text_area(key="trace.text").input(box + " More words.").run()  # the note belongs to that text only
    assert t("trace.ended", "en") not in texts(at)
