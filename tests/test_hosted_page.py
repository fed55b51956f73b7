"""The Training data page follows the model in use (ui/views/hosted_trace.py), through AppTest: a model
whose card says its training data is on the hosted service is traced there (the loopback stand-in,
tests/hosted_stub.py) and never against the local test corpus, whose index is right there in the
data folder; with the service unreachable the page says the full model's data cannot be searched
from here and marks nothing (the Playground's tab too, and Next token estimates no pushing passages
from the local corpus); with nothing known it says so. English and Korean."""

from __future__ import annotations

import html
import json
import re
import shutil

import pytest
from hosted_stub import Service
from site_helpers import SteadyPagesManager, check, open_page, texts

from glassbox.i18n import t

# phrases of the local test corpus (conftest.SITE_DOCUMENTS) and of the stand-in service's documents
TEXT = "Friends, the harbour will open again in spring. the quiet fox jumps over the old mill wall ."
SERVICE_DOCS = ("the quiet fox jumps over the lazy dog by the old mill wall .", "a quiet fox sang by the old mill .")


@pytest.fixture(scope="module")
def full_model(tmp_path_factory, tiny_model_dir, site_data_dir):
    """The site on a model folder whose card says its training data is the hosted index "toy" (a copy
    of the tiny model standing in for the full-size OLMoE), with the tests' local corpus and index."""
    import streamlit.testing.v1.app_test as app_test_module

    folder = tmp_path_factory.mktemp("full") / "full-olmoe"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "glassbox.json").write_text(json.dumps({"name": "Full OLMoE stand-in", "training_data": "hosted:toy"}))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GLASSBOX_MODEL", str(folder))
        mp.setenv("GLASSBOX_DATA", str(site_data_dir))
        mp.setattr(app_test_module, "PagesManager", SteadyPagesManager)
        yield folder, mp


def marked(at) -> list[str]:
    return [html.unescape(m) for block in at.main.html for m in re.findall(r"<mark[^>]*>([^<]*)</mark>", block.value)]


def test_offline_or_unknown_the_page_traces_nothing(full_model):
    folder, mp = full_model
    closed = Service("ok")
    mp.setenv("GLASSBOX_INFINIGRAM_URL", closed.url)
    closed.close()  # nothing listens there now
    at = open_page("training_data", "en")
    at.text_area(key="trace.text").input(TEXT).run()
    check(at)
    shown = texts(at)
    assert t("hosted.offline", "en", index="toy") in shown and t("hosted.local_parts", "en") in shown
    assert marked(at) == []  # no span at all: not the local corpus's "the harbour will open again in spring"
    assert t("recite.title", "en") not in shown and t("trace.novelty", "en") not in shown
    at.switch_page("pages/playground.py").run()  # its Training data tab: the same offline sentence, no span
    check(at)
    assert t("hosted.offline", "en", index="toy") in texts(at) and marked(at) == []
    at.switch_page("pages/next_token.py").run()  # no passages pushed from a corpus it did not learn from
    at.text_area(key="next.prompt").set_value("The harbour will").run()
    at.toggle(key="next.guess_first").set_value(False).run()  # the bars at once
    check(at)
    assert t("hosted.pushed_not_local", "en") in texts(at)
    at.switch_page("pages/training_data.py").run()
    (folder / "glassbox.json").write_text(json.dumps({"name": "Full OLMoE stand-in"}))  # now: nothing known
    at.run()
    check(at)
    assert t("hosted.unknown", "en", model="full\\-olmoe") in texts(at) and marked(at) == []


def test_the_hosted_index_is_traced_in_korean(full_model):
    folder, mp = full_model
    (folder / "glassbox.json").write_text(json.dumps({"name": "Full OLMoE stand-in", "training_data": "hosted:toy"}))
    service = Service("ok", SERVICE_DOCS)
    try:
        mp.setenv("GLASSBOX_INFINIGRAM_URL", service.url)
        at = open_page("training_data", "ko")
        at.text_area(key="trace.text").input(TEXT).run()
        check(at)
        assert t("hosted.intro", "ko", index="toy") in texts(at)
        assert marked(at)[0] == "the quiet fox jumps over the"  # the service's stretches only
        assert "harbour" not in " ".join(marked(at)) and "stub\\-0" in texts(at)  # a document's source
        assert {r["index"] for r in service.requests} == {"toy"}
        asked = service.calls
        at.text_input(key="trace.phrase").input("the old mill").run()
        check(at)
        assert any(m.value == "2" for m in at.metric) and service.calls == asked + 1
    finally:
        service.close()
