"""A learner's taught model on the site: teaching in the background, and the taught copies kept.

Teaching takes seconds, longer than a page run should block, and a learner may stop it. So
`start` runs `glassbox.teaching.teach` in a thread of its own, inside the model-slot limiter
(`glassbox.limits.teach_slot`: one teaching at a time per process, so page runs keep a slot),
after counting it against the learner's request limit; the page polls the `Job` (its step, or
its place in line while it waits for a slot) and its Stop button sets the job's event, which
`teach` reads between steps. The thread touches no Streamlit.

A finished teaching is kept in a small registry of this process (one replica), keyed by the
learner (`ui.progress.learner`, so a reload keeps it): the changed weights in bfloat16 (about
20 MB for the Tiny OLMoE) and the last few probe results worked out on them. The model made
from the weights (float32, twice that) is made when it is first needed (about 0.15 s for the Tiny
OLMoE) and kept in a process-wide least-recently-used list of at most `BUILT` models, so memory
stays bounded however many learners use theirs. An entry
idle for `IDLE_S` is dropped, and past `GLASSBOX_TAUGHT_MODELS` entries the least recently used
one goes; its learner is then told to teach again. The shared model (`ui.current_model()`) is
only ever read. The replay text is read once per corpus and shared read-only.

The taught model as the model in use: the sidebar's "Your taught model" switch (`picker`, drawn
by the frame while the learner has one) makes every model page run on it. Its source id is
`taught:<digest>` (`source_id`), the digest of the learner and of what was taught, so the site's
caches keyed by the source never mix two learners' or two teachings' results; `ui.cached_model`
resolves such an id here (`resolve`, registered with `ui.add_source_kind` on import). The id
never goes into a share link: it means nothing to another browser. When the taught model is
gone while chosen, the frame falls back to the shared model (and says "teach again" once).

Leaves out: moving a taught model between replicas (after a failover the learner teaches again).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import streamlit as st

import ui
from glassbox import memory, paths
from glassbox.errors import GlassboxError
from ui import progress as ui_progress

IDLE_S = 30 * 60  # a taught model nobody used for this long is dropped


def _cap() -> int:
    try:
        return max(1, int(os.environ.get("GLASSBOX_TAUGHT_MODELS", 8)))
    except ValueError:
        return 8


MAX_KEPT = _cap()
RESULTS = 16  # probe results kept per taught model (next-token scores: 200 KB each)
KEY_JOB = "teach.job"  # this session's teaching while it runs (a Job)
KEY_HAD = ui_progress.KEY_TAUGHT  # the learner taught a model (to say "teach again" once it is gone)
KEY_USE = "frame.use_taught"  # the sidebar switch: the pages run on the learner's taught model
KEY_USED = ui_progress.KEY_TAUGHT_IN_USE  # a plain copy of it (a widget's state goes when it is not drawn)
PREFIX = "taught:"  # source ids of taught models: taught:<digest>
BUILT = 2  # taught models made from their weights, kept at once in this process (about 40 MB each)


@dataclass(eq=False)
class Job:
    """One teaching in its thread: where it is, and how it ended (a Taught or an error)."""

    stop: threading.Event = field(default_factory=threading.Event)
    step: int = 0
    steps: int = 0
    waiting: bool = True  # for a model slot
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None
    thread: threading.Thread | None = None

    def progress(self, step: int, steps: int) -> None:
        self.step, self.steps = step, steps


@dataclass(eq=False)
class Kept:
    """A learner's taught model: the teaching's result, the model it was taught from, and the last
    `RESULTS` things worked out on the taught model."""

    taught: Any  # glassbox.teaching.teach.Taught
    source: str  # the shared model it was taught from
    used: float
    results: OrderedDict = field(default_factory=OrderedDict)  # (kind, probe) -> what the taught model gave
    who: str = ""  # the learner

    @cached_property
    def digest(self) -> str:
        """Names this learner's teaching: who, from which model, what and how (not the weights)."""
        t = self.taught
        made = repr((self.who, self.source, t.sentences, t.settings)).encode("utf-8", "backslashreplace")
        return hashlib.sha256(made).hexdigest()[:24]


_lock = threading.Lock()
_kept: OrderedDict[str, Kept] = OrderedDict()  # learner -> Kept, least recently used first
_waiting: list[Job] = []  # teachings waiting for a model slot, in order
_built: OrderedDict[str, Any] = OrderedDict()  # digest -> LoadedModel made from a Kept, least recently used first


def _drop(who: str) -> None:
    """Forget learner `who`'s taught model and the model made from it (under `_lock`)."""
    kept = _kept.pop(who, None)
    if kept is not None:
        _built.pop(kept.digest, None)


def _sweep(now: float) -> None:
    for who in [w for w, k in _kept.items() if now - k.used > IDLE_S]:
        _drop(who)


def _keep(who: str, kept: Kept) -> None:
    with _lock:
        _sweep(kept.used)
        _drop(who)
        _kept[who] = kept
        _kept.move_to_end(who)
        while len(_kept) > MAX_KEPT:
            _drop(next(iter(_kept)))


def kept_count() -> int:
    """How many taught models this process keeps now."""
    with _lock:
        _sweep(time.monotonic())
        return len(_kept)


def current() -> Kept | None:
    """This learner's taught model, or None (never taught, reset, idle too long or pushed out)."""
    return current_for(ui_progress.learner())


def current_for(who: str) -> Kept | None:
    """The taught model kept for learner `who` (its use counts: it becomes the most recent)."""
    with _lock:
        now = time.monotonic()
        _sweep(now)
        kept = _kept.get(who)
        if kept is not None:
            kept.used = now
            _kept.move_to_end(who)
        return kept


def lost() -> bool:
    """The learner taught a model in this session and it is gone (idle, or others' pushed it out)."""
    return bool(st.session_state.get(KEY_HAD)) and current() is None and job() is None


def reset() -> None:
    """Back to the shipped model: this learner's taught model is dropped."""
    with _lock:
        _drop(ui_progress.learner())
    st.session_state.pop(KEY_HAD, None)


def model(kept: Kept) -> Any:
    """The LoadedModel of a taught copy (its info names the base model; its source is `source_id`),
    made from its weights when first needed and kept among the last `BUILT` made in this process."""
    with _lock:
        lm = _built.get(kept.digest)
        if lm is not None:
            _built.move_to_end(kept.digest)
            return lm
    lm = _build(kept)
    with _lock:
        if _kept.get(kept.who) is kept or not kept.who:  # not dropped meanwhile
            _built[kept.digest] = lm
            while len(_built) > BUILT:
                _built.popitem(last=False)
    return lm


def _build(kept: Kept):
    from glassbox.teaching.teach import taught_model

    base = ui.cached_model(kept.source)
    lm = taught_model(base, kept.taught)
    return replace(lm, info=replace(lm.info, name=base.info.name, source=source_id(kept)))


# --- the taught model as the model in use -----------------------------------------------------


def source_id(kept: Kept) -> str:
    """The source id that names this taught model to the site's model caches."""
    return PREFIX + kept.digest


def is_taught(source: str) -> bool:
    return source.startswith(PREFIX)


def kept_for(source: str) -> Kept | None:
    """The taught model a source id names, while it is kept (its use counts: it becomes the most recent)."""
    with _lock:
        now = time.monotonic()
        _sweep(now)
        for who, kept in _kept.items():
            if source == PREFIX + kept.digest:
                kept.used = now
                _kept.move_to_end(who)
                return kept
    return None


def status_name(source: str, name: str) -> str:
    """A model's name for the frame's status line: "Your taught model (taught from …)" for a taught one."""
    return ui.tr("frame.model_taught_status", name=name) if is_taught(source) else name


def base_of(source: str) -> str:
    """The shared model a taught model was taught from; any other source as it is."""
    if not is_taught(source):
        return source
    kept = kept_for(source)
    return kept.source if kept is not None else ui.default_source()


def resolve(source: str) -> Any:
    """The LoadedModel a taught source id names; GlassboxError("taught_gone") once it is dropped."""
    kept = kept_for(source)
    if kept is None:
        raise GlassboxError("taught_gone")
    return model(kept)


ui.add_source_kind(PREFIX, resolve)


def picker() -> str | None:
    """The sidebar's "Your taught model" switch, drawn while the learner has one; the taught model's
    source id while it is on. A taught model gone while chosen (idle, pushed out, Reset) is left
    for the shared model, saying "teach again" once when it was not Reset on purpose."""
    kept = current()
    if kept is None:
        if st.session_state.pop(KEY_USED, False):
            st.session_state.pop(KEY_USE, None)
            if lost():
                st.sidebar.warning(ui.tr("teach.lost"), icon="⏳")
                st.session_state.pop(KEY_HAD, None)  # said once: the Teach it page does not say it again
        return None
    use = st.sidebar.toggle(ui.tr("frame.model_taught"), key=KEY_USE, help=ui.tr("frame.model_taught_help"))
    st.session_state[KEY_USED] = use
    if not use:
        return None
    st.sidebar.caption(ui.tr("frame.model_taught_share"))
    return source_id(kept)


def on_taught(kept: Kept, kind: str, probe: str, fn: Callable[[Any], Any]) -> Any:
    """`fn(taught LoadedModel)`, worked out once per probe and kept with the taught model; counted
    against the learner's request limit and run in a model slot."""
    from glassbox.limits import model_slot

    key = (kind, probe)
    if key not in kept.results:
        ui.admit(("taught", kind, id(kept), probe))
        lm = model(kept)
        with model_slot():
            kept.results[key] = fn(lm)
        while len(kept.results) > RESULTS:
            kept.results.popitem(last=False)
    return kept.results[key]


@st.cache_resource(show_spinner=False, max_entries=2)
def cached_replay(corpus: str, stamp: float, source: str, window: int) -> Any:
    """The replay sample of the corpus and its held-out windows (shared read-only by every learner)."""
    from glassbox.teaching.replay import Replay

    found = Replay.from_corpus(Path(corpus), ui.cached_model(source).tokenizer, window)
    memory.release()  # the corpus's text, read and dropped (about 110 MB held otherwise)
    return found


def replay(source: str) -> Any:
    """The replay text for teaching `source`, or None when the corpus is not here."""
    from glassbox.teaching.teach import TeachSettings

    corpus = paths.corpus_path()
    if not corpus.is_file():
        return None
    return cached_replay(str(corpus), corpus.stat().st_mtime, source, TeachSettings().window)


def job() -> Job | None:
    """This session's teaching while it runs or until its end is seen."""
    return st.session_state.get(KEY_JOB)


def place(j: Job) -> int:
    """Where a waiting teaching is in line for a model slot (1: next), 0 once it runs."""
    with _lock:
        return _waiting.index(j) + 1 if j in _waiting else 0


def start(source: str, sentences: Sequence[str], copies: int, seed: int) -> Job:
    """Check the sentences, count the teaching as a request, and start it in its own thread.
    Raises GlassboxError (odd input, over the request limit, no corpus) before anything runs."""
    from glassbox.teaching.teach import TeachSettings, check_sentences

    kept_sentences = check_sentences(sentences, copies)
    source = base_of(source)  # a taught model is taught anew from the shared model it came from
    lm = ui.load_model(source)
    found = replay(source)
    if found is None:
        raise GlassboxError("corpus_missing", path=str(paths.corpus_path()))
    ui.admit(("teach", source, kept_sentences, copies, seed))
    settings = TeachSettings(copies=copies, seed=seed)
    who, j = ui_progress.learner(), Job()
    with _lock:
        _waiting.append(j)
    j.thread = threading.Thread(target=_run, args=(j, who, source, lm, kept_sentences, found, settings),
                                name="glassbox-teach", daemon=True)  # fmt: skip
    st.session_state[KEY_JOB] = j
    j.thread.start()
    return j


def _run(j: Job, who: str, source: str, lm, sentences, found, settings) -> None:
    """The thread: wait for a model slot, teach, keep the result for the learner."""
    from glassbox.limits import teach_slot
    from glassbox.teaching.teach import teach

    try:
        with teach_slot():
            with _lock:
                _waiting.remove(j)
            j.waiting = False
            taught = teach(lm, sentences, found, settings, progress=j.progress, cancelled=j.stop.is_set)
        _keep(who, Kept(taught, source, time.monotonic(), who=who))
    except BaseException as err:  # noqa: BLE001 - the page shows it in the learner's language
        j.error = err
    finally:
        with _lock:
            if j in _waiting:
                _waiting.remove(j)
        memory.release()  # the copy, its gradients and AdamW's state, freed: back to the system
        j.done.set()


def finish(j: Job) -> BaseException | None:
    """The end of this session's teaching has been seen: forget the job; its error, if any."""
    st.session_state.pop(KEY_JOB, None)
    if j.error is None:
        st.session_state[KEY_HAD] = True
    return j.error
