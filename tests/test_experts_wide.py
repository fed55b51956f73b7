"""The Experts page on a stand-in for the full-size OLMoE's shape (16 layers × 64 experts, top-8,
small hidden size; `wide_model_dir` in conftest.py), in English and Korean, through AppTest: its
charts switch to the ranked form (`glassbox.charts.ranked`), and the switch-off view names the
busiest experts. The Tiny OLMoE's one-column-per-expert heatmaps are tested in test_pages.py."""

from __future__ import annotations

import json
import re

import pytest
import streamlit.testing.v1.app_test as app_test_module
from site_helpers import LANGS, SteadyPagesManager, check, open_page, texts

from glassbox.charts.style import chart_labels
from glassbox.i18n import t


@pytest.fixture(scope="module", autouse=True)
def wide_site(wide_model_dir, site_data_dir):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GLASSBOX_MODEL", str(wide_model_dir))
        mp.setenv("GLASSBOX_DATA", str(site_data_dir))
        mp.setattr(app_test_module, "PagesManager", SteadyPagesManager)
        yield


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


@pytest.mark.parametrize("lang", LANGS)
def test_experts_page_reads_at_64_experts(lang):
    at = open_page("experts", lang)
    words = chart_labels("ranked", lang)
    ticks = [words["tick"].replace("{n}", str(j)) for j in range(1, 9)]
    at.text_area(key="experts.prompt").input("In the beginning God created the heaven").run()
    at.select_slider(key="experts.layer").set_value(15).run()
    check(at)
    shown = texts(at)
    assert t("experts.shape", lang, layers=16, experts=64, k=8) in shown
    assert t("experts.heatmap", lang, layer=15) in shown
    assert t("experts.wide_text", lang, experts=64, k=8, rest=56) in shown
    heatmap, path, load, bars = figures(at)
    tokens = len(at.selectbox(key="experts.token").options)
    for fig, rows in ((heatmap, tokens), (path, 16), (load, 16)):
        cells, rest = fig["data"][:2]
        heads = fig["layout"]["xaxis"]["ticktext"]
        assert heads[:9] == [*ticks, words["rest"]] and rest["x"] == [8]  # 8 ranked cells and the rest, not 64
        assert len(cells["text"]) == rows and all(len(row) == 8 for row in cells["text"])
        assert all(re.fullmatch(r"<b>\d+</b><br>(<0\.1|[\d.]+)%", c) for row in cells["text"] for c in row if c)
    assert heatmap["layout"]["title"]["text"] == chart_labels("routing", lang)["chosen_title"]
    assert load["layout"]["xaxis"]["ticktext"][9] == words["unused"] and load["data"][2]["x"] == [9]
    assert bars["data"]  # the next-token bars are the same for any model

    caption = next(c.value for c in at.caption if c.value.startswith(t("experts.busiest", lang, layers=16,
                                                                         experts="")[:12]))  # fmt: skip
    busiest = [int(e) for e in re.findall(r"(\d+) \(\d+\)", caption)]
    assert len(busiest) == 8 and len(set(busiest)) == 8 and all(0 <= e < 64 for e in busiest)
    at.selectbox(key="experts.expert_off").set_value(busiest[0]).run()
    check(at)
    assert len(figures(at)) == 5 and t("experts.with_off", lang, e=busiest[0]) in texts(at)

    at.toggle(key="experts.heatmap.as_table").set_value(True).run()
    check(at)
    (table,) = [d.value for d in at.dataframe]
    assert t("col.rest", lang) in table.columns and len(table) == tokens
    assert all(len(row) == 8 for row in table[t("col.experts", lang)])
