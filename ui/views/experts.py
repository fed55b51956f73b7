"""The experts view: router probabilities (tokens × experts) in one layer with the chosen
experts marked, one token's path through all layers, expert load over the text, expert use
by corpus domain, and switching one expert off to compare next-token bars. A model with more
than 16 experts per layer (the full-size OLMoE's 64) gets the ranked charts of
`glassbox.charts.ranked` instead: only the chosen or busiest experts, each named, with its value.

Shared by the Experts page and the Playground; every widget key starts with the caller's
namespace. Routing comes from one cached forward pass per (text, switched-off expert).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import ui
from glassbox import charts, paths, site
from glassbox.charts.ranked import BUSIEST
from glassbox.charts.style import percent
from glassbox.model import checkpoints
from glassbox.model.next_token import distribution_shift, next_token_choice
from glassbox.model.sampling import Settings
from ui import chart as ui_chart
from ui import domains as ui_domains
from ui import notebook as ui_notebook
from ui import share as ui_share
from ui.views import next_token as view_next


def _clamp(key: str, options: list) -> None:
    """Keep a widget's stored value among its options (a lesson may ask for a layer this model lacks)."""
    if key in st.session_state and st.session_state[key] not in options:
        st.session_state[key] = options[-1] if isinstance(st.session_state[key], int) and options else options[0]


def show_experts(ns: str, text: str, compare: bool = True) -> None:
    """Routing views for `text` with widgets `<ns>.layer`, `<ns>.token`, `<ns>.expert_off`."""
    inspection = ui.guarded(ui.inspect, text)
    if inspection is None:
        return
    routing, tokens, info = inspection.routing, inspection.tokens, inspection.model
    labels = [t.text for t in tokens]
    layers = list(range(routing.layers))
    positions = list(range(len(tokens)))
    names = {i: f"{i}: {t}" for i, t in enumerate(labels)}
    ui_share.field(f"{ns}.layer", ui_share.choice(layers))
    ui_share.field(f"{ns}.token", ui_share.choice(list(names.values())))
    _clamp(f"{ns}.layer", layers)
    _clamp(f"{ns}.token", positions)
    ui.state_default(f"{ns}.layer", 0)
    last = ui.state_default(f"{ns}.token", len(tokens) - 1)
    left, right = st.columns(2)
    layer = left.select_slider(
        ui.tr("experts.layer"), layers, 0, key=f"{ns}.layer", persist_state="session", bind=ui_share.BIND,
        disabled=ui.locked("layer"),
    )
    token = right.selectbox(
        ui.tr("experts.token"), positions, last, format_func=names.get, key=f"{ns}.token", persist_state="session",
        bind=ui_share.BIND, disabled=ui.locked("token"),
    )
    st.caption(ui.tr("experts.shape", layers=info.layers, experts=info.experts, k=info.experts_per_token))
    wide = charts.wide(info.experts)
    rest = info.experts - info.experts_per_token

    st.subheader(ui.tr("experts.heatmap", layer=layer))
    if wide:
        st.caption(ui.tr("experts.wide_text", experts=info.experts, k=info.experts_per_token, rest=rest))
    ui_chart.chart(
        _form("routing_heatmap", wide),
        routing.probs[layer],
        routing.experts[layer],
        labels,
        _labels("routing", wide),
        key=f"{ns}.heatmap",
    )
    st.subheader(ui.tr("experts.path"))
    ui_chart.chart(
        _form("token_path", wide),
        routing.probs[:, token, :],
        routing.experts[:, token, :],
        labels[token],
        _labels("token_path", wide),
        key=f"{ns}.path",
    )
    st.subheader(ui.tr("experts.load"))
    load = routing.load()
    if wide:
        st.caption(ui.tr("experts.wide_load_text", top=BUSIEST, experts=info.experts, even=percent(1 / info.experts)))
    else:
        st.caption(ui.tr("experts.load_text", even=f"{1 / info.experts:.0%}"))
    ui_chart.chart(_form("expert_load", wide), load, _labels("expert_load", wide), key=f"{ns}.load")
    ui_notebook.note_routing(text, load, st.session_state.get(f"{ns}.expert_off"))
    domain_usage(ns, layer, wide)
    if compare:
        switch_off(ns, text, inspection, load if wide else None)


def _form(builder: str, wide: bool) -> str:
    """The builder for this model: the one-column-per-expert heatmap, or its ranked twin for wide models."""
    ranked = {"routing_heatmap": "routing_choices", "token_path": "token_path_choices",
              "expert_load": "expert_load_busiest", "domain_usage": "domain_usage_busiest"}  # fmt: skip
    return ranked[builder] if wide else builder


def _labels(kind: str, wide: bool) -> dict[str, str]:
    """A chart's labels in the learner's language, with the ranked charts' shared words for wide models."""
    return {**ui_chart.chart_labels("ranked"), **ui_chart.chart_labels(kind)} if wide else ui_chart.chart_labels(kind)


def domain_usage(ns: str, layer: int, wide: bool = False) -> None:
    """Expert use per corpus domain, from the embedded model's saved evaluation."""
    st.subheader(ui.tr("experts.domains"))
    saved = checkpoints.read_eval() if ui.source() == str(paths.EMBEDDED_MODEL_DIR) else None
    usage = (saved or {}).get("expert_usage_by_domain")
    if not usage:
        st.info(ui.tr("experts.domains_missing"))
        return
    arrays = {ui_domains.name(domain): np.asarray(share, dtype=float) for domain, share in usage.items()}
    if any(a.ndim != 2 or layer >= a.shape[0] for a in arrays.values()):
        st.info(ui.tr("experts.domains_missing"))
        return
    ui_chart.chart(_form("domain_usage", wide), arrays, layer, _labels("domain_usage", wide), key=f"{ns}.domains")


def switch_off(ns: str, text: str, normal, load: np.ndarray | None = None) -> None:
    """Next-token bars of `normal`, the inspection of `text` with all experts on, and beside them
    those of the same text with one expert switched off. Given the text's `load` (wide models),
    a caption names the experts it used most, so that one of 64 is picked with a reason."""
    experts = normal.model.experts
    st.subheader(ui.tr("experts.switch_off"))
    st.caption(ui.tr("experts.switch_off_text"))
    if load is not None:
        slots = load.sum(axis=0) * normal.routing.experts.shape[1] * normal.routing.experts.shape[2]
        busiest = np.argsort(-slots, kind="stable")[:BUSIEST]
        st.caption(ui.tr("experts.busiest", layers=load.shape[0],
                         experts=", ".join(f"{e} ({round(slots[e])})" for e in busiest)))  # fmt: skip
    options = [None, *range(experts)]
    names = {e: ui.tr("experts.none") if e is None else ui.tr("experts.expert", e=e) for e in options}
    ui_share.field(f"{ns}.expert_off", ui_share.choice(list(names.values())))
    _clamp(f"{ns}.expert_off", options)
    ui.state_default(f"{ns}.expert_off", None)
    off = st.selectbox(
        ui.tr("experts.which"), options, format_func=names.get, key=f"{ns}.expert_off", persist_state="session",
        bind=ui_share.BIND, disabled=ui.locked(site.EXPERT_OFF.name),
    )
    lm = ui.current_model()
    if lm is None:
        return
    settings = Settings()
    left, right = st.columns(2)
    with left:
        st.markdown("**" + ui.tr("experts.all_on") + "**")
        before = next_token_choice(lm, normal.final_logits, settings, 8)
        view_next.show_bars(ns, before.candidates, key="bars_on")
    with right:
        if off is None:
            st.info(ui.tr("experts.pick_one"))
            return
        changed = ui.guarded(ui.inspect, text, (off,))
        if changed is None:
            return
        st.markdown("**" + ui.tr("experts.with_off", e=off) + "**")
        after = next_token_choice(lm, changed.final_logits, settings, 8)
        view_next.show_bars(ns, after.candidates, key="bars_off")
        shift = distribution_shift(before.probs, after.probs)
        st.caption(ui.tr("experts.shift", shift=f"{shift:.1%}"))
