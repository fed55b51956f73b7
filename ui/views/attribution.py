"""The "Which documents pushed this?" view: which training passages pushed one predicted token,
estimated by `glassbox.attribution` (TracIn over the model's late checkpoints), on Next token
(`pushed`: a token among the bars) and Training data (`pushed_in`: one of a text's last tokens).

A button first (an attribution takes seconds); once pressed for a text, a select of the token
to explain, a progress bar per checkpoint while it runs (in a model slot, counted against the
learner's request limit), then: a bar chart of the passages' scores as multiples of the noise
floor (its table twin behind the chart's toggle), a caption of what the score means, and the top
`SHOWN` distinct passages (identical texts grouped: "and 7 more copies") with their document,
kind of text, a badge when they hold the learner's words verbatim, and "the passage that
matters" marked: the tokens that carried most of the push (every token with at least half the
largest share strongly, a fifth lightly). On the learner's taught model its sentences join the
pool and are shown as "your sentence", wherever they rank.

Results are kept per (model, context, token, taught sentences, index build) in a bounded store
shared by every session (`_store`, made once by `st.cache_resource`), so asking again is instant.
Not `st.cache_data` around the run itself: the progress bar is drawn outside the run, and
Streamlit refuses a cached function that writes to an element made outside it.

Leaves out: models without checkpoints and a training log (the full-size OLMoE: an explanation
instead of the button), and any claim beyond the pool of passages scored.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

import ui
from glassbox import paths
from glassbox.errors import GlassboxError
from glassbox.tokens import decode_shown, tokenize
from ui import chart as ui_chart
from ui import domains as ui_domains
from ui import taught as ui_taught
from ui import text as ui_text

SHOWN = 8  # distinct passages shown (the learner's own sentences are added wherever they rank)
LAST_TOKENS = 8  # tokens of a text offered on Training data: its last ones
KEPT = 32  # attributions kept in this process (a few hundred KB each)
STRONG, LIGHT = 0.5, 0.2  # a token's share of the largest share: marked strongly, lightly
WEAK = 2.0  # when no passage reaches this multiple of the noise floor, the page says none stands out
YOURS = "taught"  # the pool's source (and domain) of a taught sentence


@dataclass(frozen=True)
class Passage:
    """Identical passages of the pool, grouped: the first of them, its rank, how many, and every
    route that found one of them."""

    rank: int
    first: object  # glassbox.attribution.attribute.Scored
    copies: int
    sources: tuple[str, ...]
    holds_span: bool

    @property
    def yours(self) -> bool:
        return YOURS in self.sources


def passages(chunks: Sequence) -> list[Passage]:
    """The scored chunks (highest first) grouped by their text, ranked in that order."""
    groups: OrderedDict[str, list] = OrderedDict()
    for scored in chunks:
        groups.setdefault(scored.text, []).append(scored)
    return [
        Passage(rank, group[0], len(group), tuple(dict.fromkeys(s for c in group for s in c.chunk.sources)),
                any(c.holds_span for c in group))  # fmt: skip
        for rank, group in enumerate(groups.values(), start=1)
    ]


def marked_text(pieces: Sequence[bytes], shares: Sequence[float]) -> tuple[str, list[tuple[int, int, str]]]:
    """A passage's text from its tokens' bytes and the marks of "the passage that matters": each
    token's share of the push (`shares[k]` is `pieces[k]`'s) against the largest one."""
    from glassbox.charts import LEVEL_COLOURS

    top = max(shares, default=0.0)

    def level(share: float) -> int:
        if top <= 0 or share < LIGHT * top:
            return -1
        return 2 if share >= STRONG * top else 0

    text, marks = "", []
    for lv, run in itertools.groupby(zip(map(level, shares), pieces, strict=True), key=lambda x: x[0]):
        part = decode_shown([piece for _, piece in run])
        if lv >= 0 and part:
            marks.append((len(text), len(text) + len(part), LEVEL_COLOURS[lv]))
        text += part
    return text, marks


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
    source = ui.source()
    base = ui_taught.base_of(source)
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
    found = _store().get(key)
    if found is not None:
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


# --- what the page shows ---------------------------------------------------------------------------


def _title(p: Passage) -> str:
    if p.yours:
        return ui.tr("pushed.yours_title", n=p.first.chunk.doc_id.rsplit("-", 1)[-1])
    return p.first.chunk.title or p.first.chunk.doc_id


def _domain(p: Passage) -> str:
    return ui.tr("pushed.yours") if p.yours else ui_domains.name(p.first.chunk.domain)


def _found_by(p: Passage) -> str:
    return ", ".join(ui.tr(f"pushed.found_{s}") for s in p.sources)


def _card(p: Passage, pieces: Callable[[int], bytes], special: set[int]) -> None:
    """One passage: rank, document, kind of text, badges, its text with the push marked."""
    chunk = p.first.chunk
    kept = [(t, share) for t, share in zip(chunk.token_ids, (0.0, *p.first.token_scores), strict=True)
            if t not in special]  # fmt: skip
    text, marks = marked_text([pieces(t) for t, _ in kept], [share for _, share in kept])
    head = [f"**{p.rank}\\. {ui_text.md_escape(_title(p))}**", f":gray-badge[{ui_text.md_escape(_domain(p))}]"]
    if p.holds_span:
        head.append(f":green-badge[{ui_text.md_escape(ui.tr('pushed.verbatim'))}]")
    if p.yours:
        head.append(f":green-badge[{ui_text.md_escape(ui.tr('pushed.yours'))}]")
    head.append(ui.tr("pushed.ratio", ratio=f"{p.first.ratio:.1f}"))
    with st.container(border=True):
        st.markdown(" · ".join(head))
        lead = len(text) - len(text.lstrip("\n"))  # a window that starts at a line break: not an empty line
        st.html(ui_text.highlight_html(text[lead:].rstrip("\n"), [(a - lead, b - lead, c) for a, b, c in marks]))
        if p.copies > 1:
            st.caption(ui.tr("pushed.copy") if p.copies == 2 else ui.tr("pushed.copies", n=p.copies - 1))


def show(ns: str, lm, result) -> None:
    """An attribution: the chart, what the score means, then the top passages and the learner's own."""
    token = lm.token_bytes.readable(result.token)
    quoted = ui_text.md_escape(f"‘{token}’")
    found = passages(result.chunks)
    shown = found[:SHOWN] + [p for p in found[SHOWN:] if p.yours]
    st.subheader(ui.tr("pushed.title", token=quoted))
    rows = tuple((p.rank, _title(p), _domain(p), _found_by(p), p.first.score, p.first.ratio, p.yours) for p in shown)
    ui_chart.chart("pushed_bars", rows, token, ui_chart.chart_labels("pushed"), key=f"{ns}.pushed_chart")
    steps = ", ".join(f"{c.step:,}" for c in result.checkpoints)
    st.caption(ui.tr("pushed.meaning", token=quoted, steps=steps, n=len(result.chunks)))
    st.caption(ui.tr("pushed.checked"))  # what removing documents and retraining showed (bench_attribution)
    if not any(p.first.ratio >= WEAK for p in shown):
        st.caption(ui.tr("pushed.weak", token=quoted))
    st.caption(ui.tr("pushed.marked"))
    for p in shown:
        _card(p, lm.token_bytes, lm.token_bytes.special)


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
    the attribution of that token after the text before it."""
    lm = ui.current_model()
    if lm is None or not text.strip():
        return
    try:
        toks = [t for t in tokenize(lm.tokenizer, text, lm.token_bytes) if not t.special and t.start > 0]
    except ValueError:  # bytes that do not spell the text back (not NFC): nothing to offer
        return
    if not toks:
        return
    where = _where()
    if where is None or not _pressed(ns, text):
        return
    last = toks[-LAST_TOKENS:][::-1]  # the last token first

    def name(k: object) -> str:
        t = last[int(k)]
        return ui.tr("pushed.position_option", token=t.text, before=text[: t.start][-24:].replace("\n", " "))

    k = int(_choose(f"{ns}.pushed_at", ui.tr("pushed.position"), list(range(len(last))), name))
    _explain(ns, lm, where, text[: last[k].start], last[k].id)
