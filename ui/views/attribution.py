"""The "Which documents pushed this?" view: which training passages pushed one predicted token,
estimated by `glassbox.attribution` (TracIn over the model's late checkpoints), on Next token
(`pushed`: a token among the bars) and Training data (`pushed_in`: one of a text's last tokens).

A button first (an attribution takes seconds); once pressed for a text, a select of the token
to explain, a progress bar per checkpoint while it runs (in a model slot, counted against the
learner's request limit), then: a bar chart of the passages' scores as multiples of the noise
floor (its table twin behind the chart's toggle), captions of what the score means and of what
removing documents and retraining showed, and two rankings in two tabs: the top `SHOWN` distinct
passages by the estimate (identical texts grouped: "and 7 more copies"; the tokens that carried
the push marked), and the top `SHOWN` by BM25 (the documents sharing the most words with the
text), each with the estimate's multiple and rank, for the removal check found the estimate no
better than BM25 (cards: `ui.views.passages`). Tabs, not two columns: beside the lesson the tool
column is about 550 px wide at 1400 px, too narrow for two lists of passages. On the learner's
taught model its sentences join the pool and are shown as "your sentence", wherever they rank.

Results are kept per (model, context, token, taught sentences, index build) in a bounded store
shared by every session (`_store`, made once by `st.cache_resource`), so asking again is instant.
Not `st.cache_data` around the run itself: the progress bar is drawn outside the run, and
Streamlit refuses a cached function that writes to an element made outside it.

Leaves out: models without checkpoints and a training log (the full-size OLMoE: an explanation
instead of the button), models whose training data is not the local index's
(`glassbox.index.sources`: a sentence instead), and any claim beyond the pool of passages scored.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

import ui
from glassbox import paths
from glassbox.errors import GlassboxError
from ui import chart as ui_chart
from ui import taught as ui_taught
from ui import text as ui_text
from ui.views.passages import Passage, card, domain, found_by, neighbour_card, neighbours, passages, title

__all__ = ["SHOWN", "Passage", "passages", "pushed", "pushed_in", "show"]

SHOWN = 8  # distinct passages shown (the learner's own sentences are added wherever they rank)
KEPT = 32  # attributions kept in this process (a few hundred KB each)
WEAK = 2.0  # when no passage reaches this multiple of the noise floor, the page says none stands out


# --- the run, kept -------------------------------------------------------------------------------


class _Store:
    """The last `KEPT` attributions, least recently used first (shared read-only by all sessions)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: OrderedDict[tuple, object] = OrderedDict()

    def get(self, key: tuple):
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: tuple, value: object) -> None:
        with self.lock:
            self.items[key] = value
            while len(self.items) > KEPT:
                self.items.popitem(last=False)


@st.cache_resource(show_spinner=False)
def _store() -> _Store:
    return _Store()


@st.cache_data(show_spinner=False, max_entries=16)
def _steps(model_dir: str) -> tuple[int, ...]:
    """The steps of the checkpoints an attribution reads in `model_dir`; () when it has none."""
    from glassbox.attribution.attribute import plan

    try:
        return tuple(s.step for s in plan(Path(model_dir)))
    except GlassboxError:
        return ()


@dataclass(frozen=True)
class _Where:
    source: str  # the model in use (a taught one's id included)
    base: str  # the shared model it is, or was taught from: its folder holds the checkpoints
    stamp: str  # the index build
    taught: tuple[str, ...]  # the learner's taught sentences, when the model in use is theirs


def _where() -> _Where | None:
    """What an attribution needs, or None after saying what is missing."""
    from glassbox.index import sources

    source = ui.source()
    base = ui_taught.base_of(source)
    if not sources.of_source(base).local:  # its pool would be read from a corpus it did not learn from
        st.info(ui.tr("hosted.pushed_not_local"), icon="🔎")
        return None
    if not _steps(str(Path(base))):
        st.info(ui.tr("pushed.unavailable"), icon="🔎")
        return None
    stamp = ui.index_stamp()
    if stamp is None:
        st.info(ui.tr("pushed.no_index"), icon="📭")
        return None
    kept = ui_taught.kept_for(source) if ui_taught.is_taught(source) else None
    return _Where(source, base, stamp, tuple(kept.taught.sentences) if kept is not None else ())


def _attribution(where: _Where, context: str, token: int):
    """The attribution of `token` after `context` (kept), run now with a progress bar if new."""
    from glassbox.attribution.attribute import attribute
    from glassbox.limits import model_slot

    ui.admit(("pushed", where.source, context, token))
    key = (where.base, where.stamp, context, token, where.taught)
    found = _store().get(key) or (_prepared(where, context, token) if not where.taught else None)
    if found is not None:
        _store().put(key, found)
        return found
    index = ui.cached_index(str(paths.index_dir()), where.stamp)
    shared = ui.cached_model(where.base)  # the final model: the site's shared one, only read
    folder = Path(where.base).resolve()

    bar = st.progress(0.0, text=ui.tr("pushed.starting"))

    def progress(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=ui.tr("pushed.running", done=done, total=total))

    try:
        with model_slot():
            result = attribute(folder, index, context, token, taught=where.taught, shared=shared,
                               progress=progress)  # fmt: skip
    finally:
        bar.empty()
    _store().put(key, result)
    return result


def _prepared(where: _Where, context: str, token: int):
    """The attribution `glassbox prepare` worked out ahead (a lesson's example), or None."""
    from glassbox.attribution import prepared

    try:
        return prepared.load(prepared.key(Path(where.base), where.stamp, context, token))
    except (OSError, GlassboxError):
        return None


# --- what the page shows ---------------------------------------------------------------------------


def show(ns: str, lm, result) -> None:
    """An attribution: the chart, what the score means and what the check found, then the two
    rankings in two tabs: the estimate's top passages (and the learner's own), and BM25's."""
    token = lm.token_bytes.readable(result.token)
    quoted = ui_text.md_escape(f"‘{token}’")
    found = passages(result.chunks)
    shown = found[:SHOWN] + [p for p in found[SHOWN:] if p.yours]
    st.subheader(ui.tr("pushed.title", token=quoted))
    rows = tuple((p.rank, title(p), domain(p), found_by(p), p.first.score, p.first.ratio, p.yours) for p in shown)
    ui_chart.chart("pushed_bars", rows, token, ui_chart.chart_labels("pushed"), key=f"{ns}.pushed_chart")
    steps = ", ".join(f"{c.step:,}" for c in result.checkpoints)
    st.caption(ui.tr("pushed.meaning", token=quoted, steps=steps, n=len(result.chunks)))
    st.caption(ui.tr("pushed.checked"))  # what removing documents and retraining showed (bench_attribution)
    if not any(p.first.ratio >= WEAK for p in shown):
        st.caption(ui.tr("pushed.weak", token=quoted))
    # tabs, not two columns: beside the lesson the tool column is about 550 px wide, too narrow for two lists
    mine, bm25 = st.tabs([ui.tr("pushed.by_gradient"), ui.tr("pushed.by_bm25")])
    with mine.container(key=f"{ns}.pushed_list"):
        st.caption(ui.tr("pushed.marked"))
        for p in shown:
            card(p, lm.token_bytes, lm.token_bytes.special)
    with bm25.container(key=f"{ns}.bm25_list"):
        near = neighbours(result.by_bm25(), found)[:SHOWN]
        st.caption(ui.tr("pushed.bm25_about") if near else ui.tr("pushed.bm25_none"))
        for n in near:
            neighbour_card(n, lm.token_bytes, lm.token_bytes.special)


def _pressed(ns: str, about: str) -> bool:
    """The button, and whether it was pressed for this text (kept while the text stays)."""
    key = f"{ns}.pushed_for"
    if st.button(ui.tr("pushed.button"), key=f"{ns}.pushed", help=ui.tr("pushed.button_help"), icon="🔎"):
        st.session_state[key] = about
    return st.session_state.get(key) == about


def _choose(key: str, label: str, options: list, names: Callable[[object], str]):
    if st.session_state.get(key) not in options:
        st.session_state[key] = options[0]
    return st.selectbox(label, options, format_func=names, key=key)


def _explain(ns: str, lm, where: _Where, context: str, token: int) -> None:
    try:
        result = _attribution(where, context, int(token))
    except Exception as err:  # noqa: BLE001 - a message in the learner's language; the page stays usable
        ui.show_error(err)
        return
    show(ns, lm, result)


def pushed(ns: str, context: str, tokens: Sequence[int]) -> None:
    """Next token: the button; once pressed for `context`, a select of the token to explain among
    `tokens` (ids, the first by default) and its attribution."""
    lm = ui.current_model()
    if lm is None or not context or not tokens:
        return
    where = _where()
    if where is None or not _pressed(ns, context):
        return
    token = _choose(f"{ns}.pushed_token", ui.tr("pushed.token"), [int(t) for t in tokens], lm.token_bytes.readable)
    _explain(ns, lm, where, context, token)


def pushed_in(ns: str, text: str) -> None:
    """Training data: the button; once pressed for `text`, a select of one of its last tokens, and
    the attribution of that token after the text before it. A lesson's example opens it at once
    for its `explain`-th token from the end (state `<ns>.explain`, set by "Try this")."""
    from glassbox.attribution.prepared import last_tokens

    lm = ui.current_model()
    if lm is None or not text.strip():
        return
    last = last_tokens(lm, text)  # the last token first
    if not last:
        return
    where = _where()
    back = st.session_state.pop(f"{ns}.explain", None)
    if where is not None and back:
        st.session_state[f"{ns}.pushed_for"] = text
        st.session_state[f"{ns}.pushed_at"] = min(int(back), len(last)) - 1
    if where is None or not _pressed(ns, text):
        return

    def name(k: object) -> str:
        t = last[int(k)]
        return ui.tr("pushed.position_option", token=t.text, before=text[: t.start][-24:].replace("\n", " "))

    k = int(_choose(f"{ns}.pushed_at", ui.tr("pushed.position"), list(range(len(last))), name))
    _explain(ns, lm, where, text[: last[k].start], last[k].id)
