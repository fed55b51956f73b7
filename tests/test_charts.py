"""The chart builders draw exactly the data given, in a colour-safe, readable way, and rows match."""

from __future__ import annotations

import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from glassbox import charts
from glassbox.charts.style import CUT_GREY, percent
from glassbox.errors import GlassboxError
from glassbox.tokens import TokenBytes, tokenize


@pytest.fixture(scope="module")
def real_tokens():
    """Readable tokens of a sentence with a repeated word and Korean, from the real tokenizer."""
    from glassbox.model.tokenizer import load_tokenizer

    tokenizer = load_tokenizer()
    text = "a cat saw the dog and the bird, 고양이가 본 개"
    return [t.text for t in tokenize(tokenizer, text, TokenBytes(tokenizer))]


def all_text(fig: go.Figure) -> str:
    """Every string the figure would show: category labels, hover text, names, titles."""
    return json.dumps(fig.to_plotly_json(), ensure_ascii=False)


def bars_by_name(fig: go.Figure) -> dict[str, go.Bar]:
    return {trace.name: trace for trace in fig.data if isinstance(trace, go.Bar)}


def test_next_token_bars_order_colours_and_highlight():
    candidates = [("␣dog", 0.1, True), ("␣cat", 0.6, True), ("␣the", 0.05, False), ("⟨EC 95⟩", 0.25, True)]
    fig = charts.next_token_bars(candidates, highlight=3)
    bars = bars_by_name(fig)
    words = charts.NEXT_TOKEN_LABELS  # from locales/en.toml, as the page's translations are
    assert set(bars) == {words["kept"], words["cut"], words["picked"]} == {"Kept (can be picked)", "Cut off",
                                                                            "Your guess / pick"}
    kept, cut, picked = bars[words["kept"]], bars[words["cut"]], bars[words["picked"]]
    assert list(kept.y) == ["␣cat", "␣dog"] and list(kept.x) == [0.6, 0.1]
    assert list(cut.y) == ["␣the"] and list(cut.x) == [0.05]
    assert list(picked.y) == ["⟨EC 95⟩"] and list(picked.x) == [0.25]
    assert kept.marker.color == charts.PALETTE[0] and cut.marker.color == CUT_GREY
    assert cut.marker.pattern.shape == "/" and kept.marker.pattern.shape == ""  # not colour alone
    assert picked.marker.line.width > 0
    # most likely on top: the category order is by probability and the axis runs top-down
    assert list(fig.layout.yaxis.categoryarray) == ["␣cat", "⟨EC 95⟩", "␣dog", "␣the"]
    assert fig.layout.yaxis.autorange == "reversed" and fig.layout.yaxis.type == "category"
    assert fig.layout.xaxis.tickformat == ".2~p" and list(kept.text) == ["60%", "10%"]  # % to significant digits
    # a fixed 0-100% axis: a flat distribution's bars are short, a sure one's long
    flat = charts.next_token_bars([("␣a", 0.02, True), ("␣b", 0.01, True)])
    assert tuple(fig.layout.xaxis.range) == tuple(flat.layout.xaxis.range) == (0, 1)
    assert charts.next_token_rows(candidates) == [
        {"rank": 1, "token": "␣cat", "probability": "60%", "kept": True},
        {"rank": 2, "token": "⟨EC 95⟩", "probability": "25%", "kept": True},
        {"rank": 3, "token": "␣dog", "probability": "10%", "kept": True},
        {"rank": 4, "token": "␣the", "probability": "5%", "kept": False},
    ]


def test_next_token_bars_read_tiny_probabilities_and_leave_zeros_out():
    """What a learner saw at temperature 1.6 ("0.0000000000000000000997 %") and at temperature 0
    (eleven runs of spaces at 0% squashing the plot), on the real model's own candidates."""
    from glassbox.model.inspection import next_token_logits
    from glassbox.model.loading import load_model
    from glassbox.model.next_token import next_token_choice
    from glassbox.model.sampling import Settings
    from glassbox.paths import EMBEDDED_MODEL_DIR

    lm = load_model(EMBEDDED_MODEL_DIR)
    logits = next_token_logits(lm, "The old man")
    cold = [(c.text, c.prob, c.kept) for c in next_token_choice(lm, logits, Settings(0.3, 0, 1.0)).candidates]
    assert min(p for _, p, _ in cold) < 1e-4  # the real distribution has tokens below 0.01%
    fig = charts.next_token_bars(cold)
    shown = [t for bar in fig.data for t in bar.text]
    assert len(shown) == len(cold) and all(t.endswith("%") and len(t) <= 8 for t in shown)
    assert "< 0.01%" in shown and all("%{x" not in bar.hovertemplate for bar in fig.data)
    assert "< 0.01%" in [row["probability"] for row in charts.next_token_rows(cold)]
    assert charts.style.percent(9.97e-24) == "< 0.01%" and charts.style.percent(1.2e-4) == "0.012%"

    greedy = [(c.text, c.prob, c.kept) for c in next_token_choice(lm, logits, Settings(0.0, 0, 1.0)).candidates]
    zeros = sum(p == 0 for _, p, _ in greedy)
    assert zeros >= 1 and len(greedy) == 12
    fig = charts.next_token_bars(greedy)
    drawn = [y for bar in fig.data for y in bar.y]
    assert drawn == [greedy[0][0]] and list(fig.layout.yaxis.categoryarray) == drawn
    assert fig.layout.title.subtitle.text.startswith(f"{zeros} more tokens at exactly 0%")
    assert len(charts.next_token_rows(greedy)) == 12  # the table keeps every candidate
    picked = charts.next_token_bars(greedy, highlight=len(greedy) - 1)  # a picked token at 0% stays drawn
    assert len([y for bar in picked.data for y in bar.y]) == 2 and str(zeros - 1) in picked.layout.title.subtitle.text
    assert not charts.next_token_bars(cold).layout.title.subtitle.text  # nothing left out, nothing said


def test_next_token_bars_duplicates_markup_and_labels():
    candidates = [("␣a", 0.5, True), ("<b>", 0.3, True), ("␣a", 0.2, False)]
    fig = charts.next_token_bars(candidates, labels={"x": "확률", "kept": "남김", "cut": "잘림", "title": ""})
    order = list(fig.layout.yaxis.categoryarray)
    assert order == ["1·␣a", "2·&lt;b&gt;", "3·␣a"]  # unique, and plotly will not read <b> as bold
    assert len(set(order)) == 3
    assert set(bars_by_name(fig)) == {"남김", "잘림"} and fig.layout.xaxis.title.text == "확률"
    assert fig.layout.font.size >= 14
    ignored = charts.next_token_bars(candidates, labels={"xaxis": "not a key", "title": "{odd} {0}"})
    assert ignored.layout.xaxis.title.text == "Probability" and ignored.layout.title.text == "{odd} {0}"
    # a rows twin takes its builder's arguments, so a page can call both with one list
    assert charts.next_token_rows(candidates, {"x": "확률"}, 1) == charts.next_token_rows(candidates)
    assert charts.next_token_bars([]).data == ()


def test_routing_heatmap_marks_exactly_the_chosen_cells(real_tokens):
    rng = np.random.default_rng(0)
    n_tokens, n_experts = len(real_tokens), 8
    probs = rng.dirichlet(np.ones(n_experts), size=n_tokens)
    chosen = np.argsort(-probs, axis=1)[:, :2]
    fig = charts.routing_heatmap(probs, chosen, real_tokens)
    heat, dots = fig.data
    assert isinstance(heat, go.Heatmap) and heat.colorscale == go.Heatmap(colorscale="Cividis").colorscale
    np.testing.assert_allclose(np.asarray(heat.z), probs)
    assert heat.zmin == 0 and heat.zmax == pytest.approx(probs.max())  # the colours start at 0%, not at the minimum
    rows = list(heat.y)
    assert len(set(rows)) == n_tokens  # "␣the" appears twice in the sentence and must not merge
    assert rows.count("1·␣cat") == 1 and sum(r.endswith("·␣the") for r in rows) == 2
    marked = {(rows.index(y), int(x)) for x, y in zip(dots.x, dots.y, strict=True)}
    assert len(dots.x) == chosen.size
    assert marked == {(t, int(e)) for t in range(n_tokens) for e in chosen[t]}
    assert fig.layout.yaxis.type == "category" and fig.layout.yaxis.autorange == "reversed"
    assert "Ġ" not in all_text(fig) and "이" in all_text(fig) and sum("⟨B3⟩" in r for r in rows) == 2
    assert "Chosen expert #1" in heat.hovertext[0][chosen[0, 0]]
    table = charts.routing_rows(probs, chosen, real_tokens)
    assert [r["token"] for r in table] == real_tokens
    assert table[3]["experts"] == chosen[3].tolist()
    # percentages as the hover text writes them, not 16-digit floats
    assert table[3]["probabilities"] == [percent(p) for p in probs[3, chosen[3]]]
    assert all(re.fullmatch(r"(< )?\d+(\.\d+)?%", p) for row in table for p in row["probabilities"])


def test_routing_heatmap_hand_made_and_numeric_tokens():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    chosen = np.array([[0], [2]])
    fig = charts.routing_heatmap(probs, chosen, ["42", "&"])
    dots = fig.data[1]
    assert list(dots.x) == [0, 2] and list(dots.y) == ["42", "&amp;"]
    assert fig.layout.yaxis.type == "category"  # "42" is a token, not a number
    with pytest.raises(ValueError):
        charts.routing_heatmap(probs, np.array([[0], [3]]), ["a", "b"])
    with pytest.raises(ValueError):
        charts.routing_heatmap(probs, chosen, ["only one"])


def test_token_path_follows_the_layers():
    probs = np.array([[0.6, 0.3, 0.1, 0.0], [0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.4, 0.1]])
    chosen = np.array([[0, 1], [3, 2], [2, 0]])
    fig = charts.token_path(probs, chosen, "␣<cat>", labels={"title": "{token} 경로"})
    heat, line, dots = fig.data
    np.testing.assert_allclose(np.asarray(heat.z), probs)
    assert list(line.x) == [0, 3, 2] and list(line.y) == [0, 1, 2]
    assert sorted(zip(dots.y, dots.x, strict=True)) == [(0, 0), (0, 1), (1, 2), (1, 3), (2, 0), (2, 2)]
    assert fig.layout.title.text == "␣&lt;cat&gt; 경로"
    assert charts.token_path_rows(probs, chosen, "␣cat") == [
        {"layer": 0, "token": "␣cat", "experts": [0, 1], "probabilities": ["60%", "30%"]},
        {"layer": 1, "token": "␣cat", "experts": [3, 2], "probabilities": ["40%", "30%"]},
        {"layer": 2, "token": "␣cat", "experts": [2, 0], "probabilities": ["40%", "25%"]},
    ]


def test_expert_load_and_domain_usage():
    rng = np.random.default_rng(1)
    load = rng.dirichlet(np.ones(6), size=3)
    fig = charts.expert_load(load)
    np.testing.assert_allclose(np.asarray(fig.data[0].z), load)
    assert fig.data[0].zmin == 0 and fig.data[0].zmax == pytest.approx(load.max())
    assert list(fig.data[0].x) == list(range(6)) and list(fig.data[0].y) == [0, 1, 2]
    assert "even share: 16.7%" in fig.data[0].hovertext[0][0]
    rows = charts.expert_load_rows(load)
    assert len(rows) == 18 and rows[7] == {"layer": 1, "expert": 1, "share": percent(load[1, 1])}

    usage = {"code": rng.dirichlet(np.ones(6), size=3), "한국어": rng.dirichlet(np.ones(6), size=3)}
    fig = charts.domain_usage(usage, layer=2, labels={"title": "층 {layer}"})
    np.testing.assert_allclose(np.asarray(fig.data[0].z), np.stack([usage["code"][2], usage["한국어"][2]]))
    assert list(fig.data[0].y) == ["code", "한국어"] and fig.layout.title.text == "층 2"
    table = charts.domain_usage_rows(usage, 2)
    assert table[6] == {"domain": "한국어", "expert": 0, "share": percent(usage["한국어"][2, 0])}
    with pytest.raises(GlassboxError) as err:
        charts.domain_usage(usage, layer=3)
    assert "0" in err.value.message("ko") and "2" in err.value.message("ko")


def test_loss_curve_marks_checkpoints():
    steps, train = [0, 10, 20, 30], [9.0, 6.5, 5.0, 4.2]
    held_steps, held = [10, 30], [7.0, 4.9]
    fig = charts.loss_curve(steps, train, held_steps, held, checkpoint_steps=(10, 25))
    names = [t.name for t in fig.data]
    assert names == ["Training text", "Held-out text", "Checkpoint"]
    assert list(fig.data[0].x) == steps and list(fig.data[0].y) == train
    assert list(fig.data[1].x) == held_steps and list(fig.data[1].y) == held
    assert fig.data[0].line.color != fig.data[1].line.color and fig.data[1].line.dash == "dash"
    assert sorted(shape.x0 for shape in fig.layout.shapes) == [10, 25]
    rows = charts.loss_curve_rows(steps, train, held_steps, held, (10, 25))
    assert [r["step"] for r in rows] == [0, 10, 20, 25, 30]
    assert rows[1] == {"step": 10, "train_loss": 6.5, "heldout_loss": 7.0, "checkpoint": True, "event": None}
    assert rows[3] == {"step": 25, "train_loss": None, "heldout_loss": None, "checkpoint": True, "event": None}
    assert len(charts.loss_curve(steps, train, [], []).layout.shapes) == 0
    # what is not plain learning is marked: a warm-up band, a stage that starts again
    events = [(1, 10, "warmup"), (20, 20, "restart")]
    fig = charts.loss_curve(steps, train, held_steps, held, (), None, events)
    band, restart = fig.layout.shapes
    assert (band.type, band.x0, band.x1, band.label.text) == ("rect", 1, 10, None)  # named in the legend instead
    assert [t.name for t in fig.data][-1] == "Warm-up"
    assert fig.data[-1].marker.color == band.fillcolor
    assert (restart.type, restart.x0, restart.label.text) == ("line", 20, "New stage: fresh optimizer and schedule")
    rows = charts.loss_curve_rows(steps, train, held_steps, held, (), None, events)
    warm, new = "Warm-up", "New stage: fresh optimizer and schedule"
    assert [r["event"] for r in rows] == [None, warm, new, None]


def test_the_loss_curve_reads_its_events_from_the_training_log(tmp_path):
    import json

    from glassbox.model.checkpoints import loss_curve

    log = {"steps": [1, 2], "train_loss": [9.0, 8.0], "heldout": [], "recipe": {"warmup": 60}}
    (tmp_path / "training_log.json").write_text(json.dumps(log))
    assert loss_curve(tmp_path).events == ((1, 60, "warmup"),)
    log["stages"] = [{"first_step": 1, "recipe": {"warmup": 60}}, {"first_step": 2001, "recipe": {"warmup": 100}}]
    (tmp_path / "training_log.json").write_text(json.dumps(log))
    assert loss_curve(tmp_path).events == ((1, 60, "warmup"), (2001, 2001, "restart"), (2001, 2100, "warmup"))


def test_compare_distributions_aligns_tokens():
    model = [("␣cat", 0.5), ("␣dog", 0.3), ("␣the", 0.1)]
    corpus = [("␣dog", 0.6), ("␣mat", 0.4)]
    fig = charts.compare_distributions(model, corpus)
    bars = bars_by_name(fig)
    assert list(fig.layout.yaxis.categoryarray) == ["␣cat", "␣dog", "␣the", "␣mat"]
    assert tuple(fig.layout.xaxis.range) == (0, 1)
    assert list(bars["Model"].x) == [0.5, 0.3, 0.1, None]
    assert list(bars["Training data (∞-gram)"].x) == [None, 0.6, None, 0.4]
    assert list(bars["Training data (∞-gram)"].text) == ["not listed", "60%", "not listed", "40%"]  # absent is not 0%
    assert bars["Model"].marker.color != bars["Training data (∞-gram)"].marker.color
    assert charts.compare_rows(model, corpus)[1] == {
        "token": "␣dog",
        "model_probability": 0.3,
        "corpus_probability": 0.6,
    }
    twice = charts.compare_distributions([("x", 0.6), ("x", 0.4)], [("x", 1.0)])
    assert list(twice.layout.yaxis.categoryarray) == ["1·x", "2·x"]
    assert list(bars_by_name(twice)["Training data (∞-gram)"].x) == [1.0, None]


def test_token_counts():
    rows = [("English", 44, 9, 10), ("한국어", 20, 6, 25), ("English", 5, 1, 1)]
    fig = charts.token_counts(rows)
    bars = bars_by_name(fig)
    assert list(bars["Characters"].y) == [44, 20, 5] and list(bars["Tokens"].y) == [10, 25, 1]
    assert list(bars["Words"].x) == ["1·English", "2·한국어", "3·English"]
    assert len({b.marker.color for b in bars.values()}) == 3
    assert all(b.marker.color in charts.PALETTE for b in bars.values())
    sentence = "영어: The weather is lovely today, and the <b>sun</b> is out over the hills and the quiet valley"
    long = charts.token_counts([(sentence, 9, 9, 9)])
    label = long.data[0].x[0]
    assert "<br>" in label and label.endswith("…") and "&lt;b&gt;" in label  # wrapped, cut, escaped
    assert all(len(part) <= 22 for part in label.replace("&lt;", "<").replace("&gt;", ">").split("<br>"))
    eight = charts.token_counts([("한국어: 가장 가까운 도서관이 어디에 있나요?", 1, 1, 1)] * 8).data[0].x
    assert all(max(len(part) for part in name.split("·", 1)[1].split("<br>")) <= 12 for name in eight)  # narrower
    assert long.data[0].customdata[0].startswith("영어: The weather") and "hills" in long.data[0].customdata[0]
    assert charts.token_counts_rows(rows)[1] == {"name": "한국어", "characters": 20, "words": 6, "tokens": 25}


def test_percent_keeps_small_probabilities_visible():
    assert charts.style.percent(0.0213) == "2.13%" and charts.style.percent(0.5) == "50%"
    assert charts.style.percent(2e-4) == "0.02%" and charts.style.percent(1e-9) == "< 0.01%"
    assert charts.style.percent(0) == "0%" and charts.style.percent(1.0) == "100%"
    probs = np.full((2, 4), 0.25)
    assert "25%" in charts.routing_heatmap(probs, np.array([[0], [1]]), ["a", "b"]).data[0].hovertext[0][0]


def test_distinctiveness_levels():
    values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    assert [charts.distinctiveness_level(v, values) for v in values] == [0, 0, 1, 1, 2, 2]
    assert charts.distinctiveness_level(7.0, [7.0]) == 1
    assert charts.distinctiveness_level(2.0, [2.0, 2.0, 2.0]) == 1
    assert charts.distinctiveness_level(float("nan"), values) == 0
    assert charts.distinctiveness_level(float("inf"), values) == 2
    assert len(charts.LEVEL_COLOURS) == 3 and len(set(charts.LEVEL_COLOURS)) == 3


def test_every_figure_serialises_and_takes_translated_labels(real_tokens):
    rng = np.random.default_rng(2)
    probs = rng.dirichlet(np.ones(4), size=len(real_tokens))
    chosen = np.argsort(-probs, axis=1)[:, :2]
    layer_probs = rng.dirichlet(np.ones(4), size=2)
    calls = {
        "next_token_bars": ([(t, 1 / len(real_tokens), i % 2 == 0) for i, t in enumerate(real_tokens)],),
        "routing_heatmap": (probs, chosen, real_tokens),
        "token_path": (layer_probs, np.argsort(-layer_probs, axis=1)[:, :2], real_tokens[1]),
        "expert_load": (layer_probs,),
        "domain_usage": ({"web": layer_probs}, 0),
        "loss_curve": ([1, 2], [3.0, 2.0], [2], [2.5], [1]),
        "compare_distributions": ([(t, 0.1) for t in real_tokens[:3]], [(real_tokens[0], 1.0)]),
        "token_counts": ([("a", 1, 1, 1)],),
    }
    rows_of = {"compare_distributions": "compare_rows", "routing_heatmap": "routing_rows"}
    for name, args in calls.items():
        korean = {"title": "제목 {token} {layer} {0}", "x": "가로축", "y": "세로축", "unused": "무시"}
        fig = getattr(charts, name)(*args, korean)
        assert json.loads(fig.to_json())["data"]
        shown = all_text(fig)
        assert "Ġ" not in shown and "가로축" in shown and "세로축" in shown and "무시" not in shown
        assert fig.layout.font.size >= 14
        plain = getattr(charts, rows_of.get(name, name.replace("_bars", "").replace("_heatmap", "") + "_rows"))
        assert plain(*args, korean) == plain(*args) and plain(*args)


def test_memorisation_grid_cells_axes_and_rows():
    lines = [("very early <b>", [1, 2, 4, 8], [0.0, 0.0, 0.0, 0.1]), ("final", [1, 2, 4, 8], [0.0, 0.2, 0.5, 1.0])]
    fig = charts.memorisation_curve(lines, {"x": "copies"})
    (grid,) = fig.data
    assert grid.type == "heatmap" and list(grid.x) == ["1×", "2×", "4×", "8×"]
    assert [list(row) for row in grid.z] == [[0.0, 0.0, 0.0, 0.1], [0.0, 0.2, 0.5, 1.0]]
    assert [list(row) for row in grid.text] == [["0%", "0%", "0%", "10%"], ["0%", "20%", "50%", "100%"]]
    assert "<b>" not in grid.y[0] and grid.y[1] == "final"  # names are escaped for plotly's markup
    assert (grid.zmin, grid.zmax) == (0.0, 1.0)  # fixed: checkpoints compare by eye
    assert fig.layout.yaxis.autorange == "reversed" and fig.layout.xaxis.title.text == "copies"
    rows = charts.memorisation_curve_rows(lines)
    assert len(rows) == 8 and rows[-1] == {"name": "final", "copies": 8, "share": "100%"}


def test_memorisation_grid_shows_every_checkpoint_where_lines_would_hide():
    """Five checkpoints recite 0% at every rung (as the shipped model's early ones do): as lines
    they would lie on one another; in the grid each has its own row of cells, each with its value,
    and there is no legend to collide with an axis title."""
    copies = [1, 2, 4, 8, 16, 32, 64]
    flat = [(f"checkpoint {k}", copies, [0.0] * 7) for k in range(5)]
    lines = [*flat, ("final", copies, [0.0, 0.0, 0.0, 0.0, 0.0, 0.64, 1.0])]
    fig = charts.memorisation_curve(lines)
    (grid,) = fig.data
    assert len(set(grid.y)) == 6 and all(len(row) == 7 for row in grid.text)
    assert all(cell == "0%" for row in grid.text[:5] for cell in row)
    assert list(grid.text[5][-2:]) == ["64%", "100%"]
    assert grid.showscale is False and not any(t.showlegend for t in fig.data)
    taller = charts.memorisation_curve([*lines, ("more", copies, [0.0] * 7)])
    assert taller.layout.height > fig.layout.height  # a row each, never squeezed
    gappy = charts.memorisation_curve([("a", [1, 64], [0.0, 1.0]), ("b", [1, 2], [0.5, 0.0])])
    assert [list(r) for r in gappy.data[0].text] == [["0%", "", "100%"], ["50%", "0%", ""]]  # unmeasured: blank


def test_card_guesses_fit_a_card_most_likely_first_on_a_level_fixed_axis():
    candidates = [("␣dog", 0.1, True), ("␣cat", 0.6, True), ("␣the", 1e-7, True), ("␣dog", 0.2, False), ("<b>", 0.05)]
    fig = charts.card_guesses(candidates)
    (bars,) = fig.data
    assert list(bars.x) == [0.6, 0.2, 0.1, 0.05, 1e-7]  # most likely on top, every candidate kept
    assert list(bars.y) == ["1·␣cat", "2·␣dog", "3·␣dog", "4·&lt;b&gt;", "5·␣the"]  # equal tokens kept apart
    assert list(bars.text) == ["60%", "20%", "10%", "5%", percent(1e-7)] and percent(1e-7) == "< 0.01%"
    assert list(fig.layout.xaxis.range) == [0, 1] and list(fig.layout.xaxis.tickvals) == [0, 0.5, 1]
    assert fig.layout.xaxis.tickangle == 0 and fig.layout.showlegend is False
    assert fig.layout.height >= 34 * len(candidates) and fig.layout.font.size >= 14
    assert charts.card_guesses_rows(candidates) == [
        {"rank": r, "token": t, "probability": p}
        for r, (t, p) in enumerate([("␣cat", 0.6), ("␣dog", 0.2), ("␣dog", 0.1), ("<b>", 0.05), ("␣the", 1e-7)], 1)
    ]
    assert charts.card_guesses([]).data == ()


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_card_guesses_title_is_short_enough_for_a_card(lang):
    """The title, in either language, fits a card two to a row beside the lesson (about 330 px at
    17 px: 36 columns, Hangul counting two), where the full chart's title was cut off."""
    import unicodedata

    from glassbox.charts.style import chart_labels

    title = charts.card_guesses([("a", 0.5)] * 6, chart_labels("card_guesses", lang)).layout.title.text
    columns = sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in title)
    assert "6" in title and "{" not in title and columns <= 36, (title, columns)


def test_the_next_token_legend_sits_under_the_plot_not_over_its_title():
    from glassbox.charts.bars import next_token_bars

    fig = next_token_bars([(" in", 0.32, True), (" and", 0.1, True), (",", 0.05, False)], highlight=1)
    legend = fig.layout.legend
    assert legend.yref == "container" and legend.y == 0 and legend.yanchor == "bottom"
    assert fig.layout.margin.b >= 40 and fig.layout.title.text  # a strip under the plot, the title alone on top


# The full-size OLMoE's shape: 64 experts per layer, 8 chosen per token, 16 layers.
WIDE_EXPERTS, WIDE_K, WIDE_LAYERS = 64, 8, 16
TOOL_COLUMN_PX = 548  # the Experts page's tool column at 1400×900, as measured in Chromium
LABELS_PX = 170  # of which the token labels, margins and axis title took 169 px there


def wide_choice(rows: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Router probabilities over 64 experts and the top-8 choice per row, in the model's own order
    (not sorted by probability: the chart must rank them itself)."""
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(WIDE_EXPERTS, 0.3), size=rows)
    chosen = rng.permuted(np.argsort(-probs, axis=1)[:, :WIDE_K], axis=1)
    return probs, chosen


def column_heads(fig: go.Figure) -> list[list[str]]:
    """Per trace of a ranked chart, the heads of the columns it fills."""
    return [[fig.layout.xaxis.ticktext[x] for x in trace.x] for trace in fig.data]


def cell_experts(trace) -> list[list[int]]:
    """The expert numbers written in a ranked chart's cells ("<b>12</b><br>23%")."""
    return [[int(re.match(r"<b>(\d+)</b><br>", cell).group(1)) for cell in row if cell] for row in trace.text]


def test_wide_models_switch_to_the_ranked_form_past_16_experts():
    assert charts.wide(64) and charts.wide(17)
    assert not charts.wide(16) and not charts.wide(8)  # the Tiny OLMoE keeps its heatmaps


def test_routing_choices_draw_only_the_chosen_experts_most_likely_first(real_tokens):
    probs, chosen = wide_choice(len(real_tokens))
    fig = charts.routing_choices(probs, chosen, real_tokens)
    cells, rest = fig.data
    assert column_heads(fig) == [[f"#{j}" for j in range(1, WIDE_K + 1)], ["rest"]]
    ranked = np.take_along_axis(probs, np.argsort(-probs, axis=1)[:, :WIDE_K], axis=1)
    np.testing.assert_allclose(np.asarray(cells.z), ranked)  # most likely first, in every row
    drawn = cell_experts(cells)
    assert [set(row) for row in drawn] == [set(row.tolist()) for row in chosen]  # the chosen ones, no other
    assert all(probs[t, row[0]] == probs[t].max() for t, row in enumerate(drawn))
    assert cells.text[0][0].endswith(charts.ranked.short_percent(ranked[0, 0]))  # the probability in the cell
    assert f"Expert {drawn[0][0]}" in cells.hovertext[0][0] and percent(ranked[0, 0]) in cells.hovertext[0][0]
    np.testing.assert_allclose(np.asarray(rest.z).ravel(), 1 - ranked.sum(axis=1))
    assert "the other 56 experts together" in rest.hovertext[0][0]
    assert cells.showscale is False and rest.colorscale[0][1] == rest.colorscale[-1][1]  # rest: one grey
    rows = list(cells.y)
    assert len(set(rows)) == len(real_tokens) and fig.layout.yaxis.type == "category"
    assert fig.layout.title.text == "Chosen experts per token"
    table = charts.routing_choices_rows(probs, chosen, real_tokens)
    assert table[2]["experts"] == drawn[2] and table[2]["probabilities"] == [percent(p) for p in ranked[2]]
    assert table[2]["rest"] == percent(1 - ranked[2].sum()) and [r["token"] for r in table] == real_tokens
    with pytest.raises(ValueError):
        charts.routing_choices(probs, chosen, real_tokens[1:])


def test_token_path_choices_rank_each_layer_and_translate():
    from glassbox.charts.style import chart_labels

    probs, chosen = wide_choice(WIDE_LAYERS, seed=4)
    korean = {**chart_labels("ranked", "ko"), **chart_labels("token_path", "ko")}
    fig = charts.token_path_choices(probs, chosen, "␣<cat>", korean)
    cells, rest = fig.data
    assert list(cells.y) == list(range(WIDE_LAYERS)) and fig.layout.yaxis.dtick == 1
    assert [row[0] for row in cell_experts(cells)] == probs.argmax(axis=1).tolist()  # the top choice leads
    assert column_heads(fig)[0][:2] == ["1위", "2위"] and column_heads(fig)[1] == ["나머지"]
    assert fig.layout.title.text == "␣&lt;cat&gt; 에 층마다 선택된 전문가"
    assert "나머지 전문가 56개의 합" in rest.hovertext[0][0] and fig.layout.xaxis.title.text == korean["chosen_axis"]
    table = charts.token_path_choices_rows(probs, chosen, "␣cat", korean)
    assert len(table) == WIDE_LAYERS and table[5]["layer"] == 5 and table[5]["experts"] == cell_experts(cells)[5]


def test_expert_load_busiest_sorts_by_load_and_counts_idle_experts():
    rng = np.random.default_rng(5)
    slots = np.stack([np.bincount(rng.integers(0, WIDE_EXPERTS, 12 * WIDE_K), minlength=WIDE_EXPERTS)
                      for _ in range(WIDE_LAYERS)])  # fmt: skip
    slots[0] = 0
    slots[0, [40, 7, 3]] = [50, 30, 16]  # layer 0: three experts, the rest idle
    load = slots / slots.sum(axis=1, keepdims=True)
    fig = charts.expert_load_busiest(load)
    cells, rest, idle = fig.data
    assert column_heads(fig) == [[f"#{j}" for j in range(1, 9)], ["rest"], ["idle"]]
    drawn = cell_experts(cells)
    assert drawn[0] == [40, 7, 3] and list(cells.text[0][3:]) == [""] * 5  # busiest first; idle ones not named
    assert list(cells.z[0]) == [50 / 96, 30 / 96, 16 / 96, None, None, None, None, None]
    for layer in range(1, WIDE_LAYERS):
        shares = list(cells.z[layer])
        assert shares == sorted(shares, reverse=True) and shares == load[layer, drawn[layer]].tolist()
        ties = [e for e, x in zip(drawn[layer], shares, strict=True) if x == shares[-1]]
        assert ties == sorted(ties)  # equal shares: the lower number first
    assert list(np.asarray(idle.z).ravel()) == (load == 0).sum(axis=1).tolist() and idle.text[0] == ["61"]
    assert "61 of 64 experts got no token" in idle.hovertext[0][0]
    shown = np.asarray([[x or 0.0 for x in row] for row in cells.z])
    np.testing.assert_allclose(np.asarray(rest.z).ravel(), 1 - shown.sum(axis=1), atol=1e-12)
    assert fig.layout.title.text == "Busiest experts per layer"
    table = charts.expert_load_busiest_rows(load)
    assert table[0] == {"layer": 0, "experts": [40, 7, 3, 0, 1, 2, 4, 5], "unused": 61, "rest": "0%",
                        "shares": [percent(x) for x in shown[0]]}  # fmt: skip
    assert table[1]["experts"] == drawn[1]

    usage = {"code": load[:3], "한국어": load[::-1][:3]}
    fig = charts.domain_usage_busiest(usage, layer=0, labels={"busiest_title": "층 {layer}"})
    assert list(fig.data[0].y) == ["code", "한국어"] and fig.layout.title.text == "층 0"
    assert charts.domain_usage_busiest_rows(usage, 0)[0]["experts"][:3] == [40, 7, 3]
    with pytest.raises(GlassboxError):
        charts.domain_usage_busiest(usage, layer=3)


def test_ranked_charts_leave_room_for_every_cell_at_the_page_width(real_tokens):
    """At 64 experts × 16 layers every drawn cell gets at least 12 px in the tool column, where the
    one-column-per-expert heatmap gets about 6 px per expert."""
    probs, chosen = wide_choice(len(real_tokens))
    path_probs, path_chosen = wide_choice(WIDE_LAYERS)
    load = np.full((WIDE_LAYERS, WIDE_EXPERTS), 1 / WIDE_EXPERTS)
    figures = [
        charts.routing_choices(probs, chosen, real_tokens),
        charts.token_path_choices(path_probs, path_chosen, "␣cat"),
        charts.expert_load_busiest(load),
        charts.domain_usage_busiest({"a": load, "b": load}, 0),
    ]
    for fig in figures:
        columns = {x for trace in fig.data for x in trace.x}
        assert list(fig.layout.xaxis.range) == [-0.5, len(columns) - 0.5] and fig.layout.xaxis.tickangle == 0
        rows = len(fig.data[0].y)
        assert (TOOL_COLUMN_PX - LABELS_PX) / len(columns) >= 30  # room for "<b>63</b><br>0.52%"
        assert (fig.layout.height - charts.ranked.FRAME_PX) / rows >= 40  # two lines of text per cell
        assert all(len(row) <= WIDE_K for row in fig.data[0].text)
    old = charts.routing_heatmap(probs, chosen, real_tokens)
    assert (TOOL_COLUMN_PX - LABELS_PX) / len(old.data[0].x) < 12  # why the wide form exists


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_ranked_chart_titles_fit_the_tool_column(lang):
    """Titles of the ranked charts fit the tool column (about 548 px at 22 px: 44 columns, Hangul two)."""
    import unicodedata

    from glassbox.charts.style import chart_labels

    probs, chosen = wide_choice(WIDE_LAYERS)
    load = np.full((WIDE_LAYERS, WIDE_EXPERTS), 1 / WIDE_EXPERTS)
    lab = {kind: {**chart_labels("ranked", lang), **chart_labels(kind, lang)}
           for kind in ("routing", "token_path", "expert_load", "domain_usage")}  # fmt: skip
    figures = [
        charts.routing_choices(probs, chosen, [str(i) for i in range(WIDE_LAYERS)], lab["routing"]),
        charts.token_path_choices(probs, chosen, "␣beginning", lab["token_path"]),
        charts.expert_load_busiest(load, lab["expert_load"]),
        charts.domain_usage_busiest({"a": load}, 15, lab["domain_usage"]),
    ]
    for fig in figures:
        title = fig.layout.title.text
        columns = sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in title)
        assert "{" not in title and columns <= 44, (title, columns)
        ticks = fig.layout.xaxis.ticktext
        assert all(sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in x) <= 6 for x in ticks)
