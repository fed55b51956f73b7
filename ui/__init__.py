"""The site's Streamlit helpers, shared by every page in `pages/` (this package holds no page).

This module: language, the one cached model, cached inspection and generation, error handling,
limits, and the opened training-data index. Nothing here changes the shared model: it is loaded
once per source by `ui.models` (which also decides which sources a learner may pick) and only read;
a source of a kind registered with `add_source_kind` (a learner's taught model, `ui.taught`) is made
by its own module instead, which bounds what it keeps. The other modules: `ui.text` (safe
rendering of user text), `ui.chart`, `ui.lesson`, `ui.share` (links), `ui.tool` (a page's tool
as a fragment), `ui.present` (presenter mode), `ui.notebook`, `ui.launch` (starts the site);
`ui.views` draws the core's results (tokens, next token, experts, trace, recital, history).
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from glassbox import paths
from glassbox.errors import GlassboxError
from glassbox.i18n import t
from glassbox.site import MAX_TEXT_CHARS
from ui.runtime import page_start
from ui.text import md_escape

# The one call: app.py and every page import `ui` first, so the first script run in a process
# (the only one that can start in Streamlit's old pages-folder mode) comes through here.
page_start()

KEY_LANG = "frame.lang"
KEY_LANG_KEPT = "frame.lang_kept"  # a plain copy: widget state can be dropped on a page change
KEY_SOURCE = "frame.source"  # the source of the model in use (after any fallback)
KEY_LOAD_ERROR = "frame.load_error"  # (source, GlassboxError) of the last failed load
KEY_LOCKS = "frame.locks"  # names of the controls a teacher locked (shown read-only)
KEY_REQUESTS = "limits.requests"  # this learner's RequestWindow
LANGS = ("en", "ko")
MAX_CHARS = MAX_TEXT_CHARS  # longest text a page inspects (glassbox.site); longer input is cut with a note


def lang() -> str:
    """The learner's language: the sidebar switch, first taken from `?lang=` in the URL."""
    chosen = st.session_state.get(KEY_LANG)
    if chosen is None:
        wanted = st.session_state.get(KEY_LANG_KEPT) or st.query_params.get("lang", "en")
        chosen = wanted if wanted in LANGS else "en"
        st.session_state[KEY_LANG] = chosen
    return chosen


_run = threading.local()  # the language of the script run going on in this thread


def begin_run() -> None:
    """Start a script run (app.py first thing, and a tool's rerun on its own): forget what the
    previous run worked out once (`once`)."""
    _run.memo = {}


def once(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)`, worked out once per script run however many views ask (the lessons, the
    checkpoints, the index manifest): a page run reads each from disk once."""
    memo = getattr(_run, "memo", None)
    if memo is None:  # outside a run that began with begin_run()
        return fn(*args)
    key = (getattr(fn, "__module__", None), getattr(fn, "__qualname__", repr(fn)), id(fn), args)
    if key not in memo:
        memo[key] = fn(*args)
    return memo[key]


def set_run_lang(code: str) -> None:
    """Remember the language for the rest of this script run (app.py calls it first thing)."""
    _run.lang = code


def tr(key: str, **params: object) -> str:
    """A UI string in the learner's language."""
    return t(key, getattr(_run, "lang", None) or lang(), **params)


# --- the model -----------------------------------------------------------------------------


def default_source() -> str:
    return paths.default_model_source()


_made: dict[str, Callable[[str], Any]] = {}  # source prefix -> what makes such a model ("taught:", ui.taught)


def add_source_kind(prefix: str, make: Callable[[str], Any]) -> None:
    """Sources that start with `prefix` name models this process makes, not folders: `make(source)`."""
    _made[prefix] = make


def _maker(source: str) -> Callable[[str], Any] | None:
    return next((make for prefix, make in _made.items() if source.startswith(prefix)), None)


def cached_model(source: str):
    """The model for `source`, shared read-only: loaded once per process if the host offers it
    (`ui.models`), or made (a taught model)."""
    from ui.models import loaded_model

    make = _maker(source)
    return make(source) if make is not None else loaded_model(source)


_loaded: set[str] = set()  # sources loaded in this process (no spinner needed for those)


def load_model(source: str):
    """The shared model for `source` (loaded once per process, with a spinner the first time)."""
    if source in _loaded or _maker(source) is not None:
        return cached_model(source)
    with st.spinner(tr("model.loading", source=Path(source).name or source)):
        lm = cached_model(source)
    _loaded.add(source)
    return lm


def model_info(src: str | None = None):
    """What is known about the model in use (or `src`): from the loaded model when it is loaded,
    else read from its folder without loading it (None when neither works; a message is shown)."""
    from glassbox.model.info import describe

    src = src or source()
    if src in _loaded:
        return cached_model(src).info
    info = describe(src)
    if info is not None:
        return info
    lm = current_model() if src == source() else guarded(load_model, src)
    return None if lm is None else lm.info


_warming = threading.Lock()


def warm_up(src: str) -> None:
    """Load `src` in the background once per process (after the first page is drawn), so the
    first page that runs the model does not wait for it."""
    if src in _loaded or not _warming.acquire(blocking=False):
        return

    def load() -> None:
        try:
            from glassbox.model.loading import prepare_source

            cached_model(prepare_source(src))
            _loaded.add(src)
        except Exception:  # noqa: BLE001 - a page that needs the model will say what is wrong
            traceback.print_exc()

    threading.Thread(target=load, name="glassbox-warm-up", daemon=True).start()


def source() -> str:
    """The source of the model the pages use now (set by the frame in app.py)."""
    return st.session_state.get(KEY_SOURCE) or default_source()


def current_model():
    """The model in use, or None (with a message shown) when even the default fails to load."""
    return guarded(load_model, source())


@st.cache_resource(show_spinner=False, max_entries=512)
def _inspect(src: str, text: str, disabled: tuple[int, ...]):
    """One forward pass per (model, text, switched-off experts), shared by every session.

    A resource cache, not a data cache: the result is only ever read (the routing arrays are
    locked below; pages pass the logits to functions that return new arrays), so it is handed
    out as is instead of being unpickled (about 30 ms) on every rerun.
    """
    from glassbox.limits import model_slot
    from glassbox.model.inspection import inspect_text

    lm = cached_model(src)
    with model_slot():
        result = inspect_text(lm, text, top_k=10, disabled_experts=frozenset(disabled))
    for array in (result.routing.probs, result.routing.experts, result.routing.weights):
        array.setflags(write=False)
    return result


def inspect(text: str, disabled: Sequence[int] = (), src: str | None = None):
    """Inspection of `text` by the model in use (or `src`), cached by (model, text, disabled experts).

    Temperature is left at 1 here: pages reshape `final_logits` themselves, so moving a
    slider never runs the model again.
    """
    src = src or source()
    load_model(src)
    admit(("inspect", src, text, tuple(sorted(disabled))))
    return _inspect(src, text, tuple(sorted(disabled)))


@st.cache_resource(show_spinner=False, max_entries=512)
def _next_logits(src: str, text: str):
    """The next-token scores after `text`, one cheap pass per (model, text), shared read-only."""
    from glassbox.limits import model_slot
    from glassbox.model.inspection import next_token_logits

    lm = cached_model(src)
    with model_slot():
        logits = next_token_logits(lm, text)
    logits.setflags(write=False)
    return logits


def next_logits(text: str, src: str | None = None):
    """Scores for the token after `text` by the model in use (or `src`): for views that draw only
    the next token (the full `inspect` also gives every position and the routing)."""
    src = src or source()
    load_model(src)
    admit(("next", src, text))
    return _next_logits(src, text)


@st.cache_data(show_spinner=False, max_entries=256)
def _generate(src: str, prompt: str, max_new_tokens: int, temperature: float, top_k: int, top_p: float, seed: int):
    from glassbox.limits import model_slot
    from glassbox.model.generation import generate
    from glassbox.model.sampling import Settings

    settings = Settings(temperature=temperature, top_k=top_k, top_p=top_p)
    lm = cached_model(src)
    with model_slot():
        return generate(lm, prompt, max_new_tokens, settings=settings, seed=seed, capture=False)


def generate(prompt: str, max_new_tokens: int, temperature=1.0, top_k=0, top_p=1.0, seed=0, src: str | None = None):
    """A seeded continuation (cached: the same settings give the same text anyway)."""
    from glassbox.limits import check_new_tokens

    src = src or source()
    load_model(src)
    args = (src, prompt, check_new_tokens(max_new_tokens), float(temperature), int(top_k), float(top_p), int(seed))
    admit(("generate", *args))
    with st.spinner(tr("common.generating")):
        return _generate(*args)


def admit(request: tuple) -> None:
    """Count a new model request of this learner (a repeated one is free); over the limit, refuse it."""
    from glassbox.limits import RequestWindow

    window = st.session_state.get(KEY_REQUESTS)
    if window is None:
        window = st.session_state[KEY_REQUESTS] = RequestWindow()
    window.admit(request)


def locked(name: str) -> bool:
    """Whether the teacher locked the control `name` (pages pass it as `disabled=`)."""
    return name in (st.session_state.get(KEY_LOCKS) or ())


# --- errors and limits -------------------------------------------------------------------


def show_error(err: BaseException) -> None:
    """A friendly message in the learner's language instead of a traceback."""
    if isinstance(err, GlassboxError):
        st.error(md_escape(err.message(lang())), icon="⚠️")
    else:
        detail = md_escape(f"{type(err).__name__}: {str(err)[:200]}")
        st.error(tr("common.unexpected", detail=detail), icon="⚠️")
        traceback.print_exc()


def guarded(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call into the core; on any failure show a friendly message and return None."""
    try:
        return fn(*args, **kwargs)
    except Exception as err:  # noqa: BLE001 - every failure becomes a message, the page stays usable
        show_error(err)
        return None


def limit_text(text: str, limit: int = MAX_CHARS) -> str:
    """The text cut to `limit` characters, saying so when it was cut."""
    if len(text) > limit:
        st.caption("✂️ " + tr("common.cut", limit=limit, length=len(text)))
        return text[:limit]
    return text


def checkpoint_label(label: str) -> str:
    """A checkpoint's label ("very early", "late"…) in the learner's language; one the recipe
    does not name stays as written."""
    try:
        return tr(f"checkpoint.{label}")
    except KeyError:
        return label


def seed_input(where: Any, key: str, default: int = 0) -> int:
    """The seed box in `where` (a column), with the range of `glassbox.site.SEED`; read-only when locked."""
    from glassbox.site import SEED

    value = where.number_input(
        tr("common.seed"), SEED.low, SEED.high, value=default, step=1, key=key, persist_state="session",
        bind="query-params", disabled=locked(SEED.name),
    )
    return int(value)


def state_default(key: str, value: Any) -> Any:
    """Give a widget its first value through session state (so lessons can set it later), unless
    the URL carries one for it (a bound widget takes that itself: a link opened, or a page
    reopened on another server). Returns `value`, which a bound widget also gets as `value=`, so
    that the URL leaves out what the page shows by default and keeps everything else."""
    if key not in st.session_state and key not in st.query_params:
        st.session_state[key] = value
    return value


# --- the training-data index ----------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=4)
def cached_index(folder: str, build: str):
    """The opened corpus index for one build of `folder` (shared read-only by all sessions)."""
    from glassbox.index.engine import open_index

    return open_index(Path(folder))


def index_stamp() -> str | None:
    """Which build of the index is there (None: no index); read once per run."""
    return once(_index_stamp)


def _index_stamp() -> str | None:
    from glassbox.index.build import index_stamp

    return index_stamp(paths.index_dir())
