"""A learner's taught model on the site: teaching in the background, and the taught copies kept.

Teaching takes seconds, longer than a page run should block, and a learner may stop it. So
`start` runs `glassbox.teaching.teach` in a thread of its own, inside the model-slot limiter,
after counting it against the learner's request limit; the page polls the `Job` (its step, or
its place in line while it waits for a slot) and its Stop button sets the job's event, which
`teach` reads between steps. The thread touches no Streamlit.

A finished teaching is kept in a small registry of this process (one replica), keyed by the
learner (`ui.progress.learner`, so a reload keeps it): the changed weights in bfloat16 (about
20 MB for the Tiny OLMoE) and the last few probe results worked out on them. The model made
from the weights (float32, twice that) lives for one page run only, made when a probe is new
(about 0.15 s for the Tiny OLMoE). An entry
idle for `IDLE_S` is dropped, and past `GLASSBOX_TAUGHT_MODELS` entries the least recently used
one goes; its learner is then told to teach again. The shared model (`ui.current_model()`) is
only ever read. The replay text is read once per corpus and shared read-only.

Leaves out: moving a taught model between replicas (after a failover the learner teaches again).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

import ui
from glassbox import paths
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
KEY_HAD = "teach.had"  # the learner taught a model in this session (to say "teach again" once it is gone)


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


_lock = threading.Lock()
_kept: OrderedDict[str, Kept] = OrderedDict()  # learner -> Kept, least recently used first
_waiting: list[Job] = []  # teachings waiting for a model slot, in order


def _sweep(now: float) -> None:
    for who in [w for w, k in _kept.items() if now - k.used > IDLE_S]:
        del _kept[who]


def _keep(who: str, kept: Kept) -> None:
    with _lock:
        _sweep(kept.used)
        _kept[who] = kept
        _kept.move_to_end(who)
        while len(_kept) > MAX_KEPT:
            _kept.popitem(last=False)


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
        _kept.pop(ui_progress.learner(), None)
    st.session_state.pop(KEY_HAD, None)


def model(kept: Kept) -> Any:
    """The LoadedModel of a taught copy, made from its weights once per page run."""
    return ui.once(_build, kept)


def _build(kept: Kept):
    from glassbox.teaching.teach import taught_model

    return taught_model(ui.cached_model(kept.source), kept.taught)


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

    return Replay.from_corpus(Path(corpus), ui.cached_model(source).tokenizer, window)


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
    from glassbox.limits import model_slot
    from glassbox.teaching.teach import teach

    try:
        with model_slot():
            with _lock:
                _waiting.remove(j)
            j.waiting = False
            taught = teach(lm, sentences, found, settings, progress=j.progress, cancelled=j.stop.is_set)
        _keep(who, Kept(taught, source, time.monotonic()))
    except BaseException as err:  # noqa: BLE001 - the page shows it in the learner's language
        j.error = err
    finally:
        with _lock:
            if j in _waiting:
                _waiting.remove(j)
        j.done.set()


def finish(j: Job) -> BaseException | None:
    """The end of this session's teaching has been seen: forget the job; its error, if any."""
    st.session_state.pop(KEY_JOB, None)
    if j.error is None:
        st.session_state[KEY_HAD] = True
    return j.error
