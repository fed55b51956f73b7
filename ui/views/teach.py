"""The Teach it page's drawing: the learner's sentences (or a preset), the copies, probe and seed;
the Teach, Stop and Reset buttons with teaching's progress; then the shared model beside the
learner's taught copy: next-token bars for the probe, the greedy continuation, and the held-out
loss before and after.

Leaves out: the teaching itself and keeping the taught model (`ui.taught`, `glassbox.teaching`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import streamlit as st

import ui
from glassbox import paths, site
from glassbox.charts.style import percent
from glassbox.errors import GlassboxError
from glassbox.model.next_token import next_token_choice
from glassbox.model.sampling import Settings, softmax
from glassbox.teaching.presets import PRESET, PRESETS
from glassbox.teaching.teach import CONTINUATION_TOKENS, COPIES, MAX_SENTENCES
from glassbox.tokens import decode_shown
from ui import share as ui_share
from ui import taught as ui_taught
from ui import text as ui_text
from ui.views import next_token as view_next

NEW_TOKENS = CONTINUATION_TOKENS  # the greedy continuation's length (the lesson's claims use it too)
POLL_S = 0.5  # how often the progress bar is redrawn while teaching runs


def _fill(ns: str, name: str) -> None:
    """A preset's sentences and probe into the boxes (a button's callback, before they are drawn)."""
    preset = PRESET[name]
    st.session_state[f"{ns}.sentences"] = "\n".join(preset.sentences)
    st.session_state[f"{ns}.probe"] = preset.probe


def inputs(ns: str, controls: Mapping[str, site.Control]) -> tuple[list[str], int, str, int]:
    """The presets, the sentences box, the copies ladder, the probe and the seed, each kept in the
    URL. Returns (sentences, copies, probe, seed)."""
    first = PRESETS[0]
    sentences_default = ui.state_default(f"{ns}.sentences", "\n".join(first.sentences))
    probe_default = ui.state_default(f"{ns}.probe", first.probe)
    ui.state_default(f"{ns}.copies", controls["copies"].default)
    ui.state_default(f"{ns}.seed", site.SEED.default)
    ui_share.control(controls["sentences"], f"{ns}.sentences")
    ui_share.control(controls["probe"], f"{ns}.probe")
    ui_share.field(f"{ns}.copies", ui_share.choice(COPIES))
    ui_share.control(site.SEED, f"{ns}.seed")
    st.caption(ui.tr("teach.presets"))
    for column, preset in zip(st.columns(len(PRESETS)), PRESETS, strict=True):
        column.button(ui.tr(f"teach.preset_{preset.name}"), key=f"{ns}.preset_{preset.name}", on_click=_fill,
                      args=(ns, preset.name), disabled=ui.locked("sentences"), width="stretch")  # fmt: skip
    text = st.text_area(
        ui.tr("teach.sentences", limit=MAX_SENTENCES), sentences_default, key=f"{ns}.sentences", height=120,
        max_chars=controls["sentences"].max_chars, persist_state="session", bind=ui_share.BIND,
        disabled=ui.locked("sentences"),
    ) or ""
    left, right = st.columns([4, 1])
    copies = left.select_slider(
        ui.tr("teach.copies"), COPIES, controls["copies"].default, key=f"{ns}.copies", persist_state="session",
        bind=ui_share.BIND, disabled=ui.locked("copies"),
    )
    seed = ui.seed_input(right, f"{ns}.seed")
    probe = st.text_input(
        ui.tr("teach.probe"), probe_default, key=f"{ns}.probe", max_chars=controls["probe"].max_chars,
        persist_state="session", bind=ui_share.BIND, disabled=ui.locked("probe"),
    ) or ""
    return text.splitlines(), int(copies), probe, int(seed)


def corpus_or_explain() -> bool:
    """Whether the training corpus (the replay text) is here; says so clearly when it is not."""
    if paths.corpus_path().is_file():
        return True
    st.warning(ui.tr("teach.no_corpus", path=ui_text.md_escape(str(paths.corpus_path()))), icon="📭")
    return False


def lost_notice() -> None:
    """Say once that the learner's taught model was dropped (idle, or pushed out by others')."""
    if ui_taught.lost():
        st.warning(ui.tr("teach.lost"), icon="⏳")
        st.session_state.pop(ui_taught.KEY_HAD, None)


def teach_controls(ns: str, sentences: list[str], copies: int, seed: int, can_teach: bool) -> None:
    """Teach and Reset; while teaching runs, its progress and Stop; a finished run's error, if any."""
    job = ui_taught.job()
    if job is not None and job.done.is_set():
        error = ui_taught.finish(job)
        if isinstance(error, GlassboxError) and error.code == "teach_cancelled":
            st.info(ui_text.md_escape(error.message(ui.lang())), icon="⏹️")
        elif error is not None:
            ui.show_error(error)
        job = None
    left, right = st.columns(2)
    pressed = left.button(ui.tr("teach.button"), key=f"{ns}.teach", type="primary", disabled=not can_teach or
                          job is not None, width="stretch")  # fmt: skip
    right.button(ui.tr("teach.reset"), key=f"{ns}.reset", on_click=ui_taught.reset, width="stretch",
                 disabled=job is not None or ui_taught.current() is None)  # fmt: skip
    if pressed:
        try:
            job = ui_taught.start(ui.source(), sentences, copies, seed)
        except GlassboxError as err:
            ui.show_error(err)
    if job is not None:
        _progress(ns)


@st.fragment(run_every=POLL_S)
def _progress(ns: str) -> None:
    """Teaching's progress bar (or place in line) and its Stop button, redrawn until it ends; then
    the whole page runs again to show the taught model."""
    job = ui_taught.job()
    if job is None:
        return
    if job.done.is_set():
        st.rerun()
    if job.waiting:
        st.progress(0.0, text=ui.tr("teach.waiting", place=max(1, ui_taught.place(job))))
    elif job.steps:
        st.progress(job.step / job.steps, text=ui.tr("teach.step", step=job.step, steps=job.steps))
    else:
        st.progress(0.0, text=ui.tr("teach.starting"))
    if st.button(ui.tr("teach.stop"), key=f"{ns}.stop", disabled=job.stop.is_set()):
        job.stop.set()


def compare(ns: str, kept: ui_taught.Kept | None, probe: str) -> None:
    """The shared model beside the taught copy: bars, greedy continuation, held-out loss."""
    if not probe.strip():
        st.info(ui.tr("teach.empty_probe"))
        return
    source = kept.source if kept is not None else ui.source()
    lm = ui.current_model() if kept is None else ui.cached_model(kept.source)
    if lm is None:
        return
    before, after = st.columns(2)
    watched = None
    if kept is not None:
        from glassbox.teaching.teach import next_in_sentences

        watched = next_in_sentences(lm.tokenizer, kept.taught.sentences, probe)
    with before:
        st.subheader(ui.tr("teach.before"))
        shared_logits = ui.guarded(ui.next_logits, probe, src=source)
        if shared_logits is not None:
            _bars(ns, lm, shared_logits, watched, "before")
            written = ui.guarded(ui.generate, probe, NEW_TOKENS, temperature=0.0, src=source)
            if written is not None:
                _continuation(lm, probe, written)
    with after:
        st.subheader(ui.tr("teach.after"))
        if kept is None:
            st.info(ui.tr("teach.not_yet"))
            return
        taught_logits = ui.guarded(ui_taught.on_taught, kept, "next", probe, _next_logits(probe))
        if taught_logits is not None:
            _bars(ns, lm, taught_logits, watched, "after")
            written = ui.guarded(ui_taught.on_taught, kept, "generate", probe, _greedy(probe))
            if written is not None:
                _continuation(lm, probe, written)
    if watched is not None and shared_logits is not None and taught_logits is not None:
        token = ui_text.md_escape(lm.token_bytes.readable(watched))
        st.markdown(ui.tr("teach.watch", token=f"“{token}”", before=percent(softmax(shared_logits)[watched]),
                          after=percent(softmax(taught_logits)[watched])))  # fmt: skip
    _costs(kept)


def _next_logits(probe: str):
    def run(lm) -> np.ndarray:
        from glassbox.model.inspection import next_token_logits

        return next_token_logits(lm, probe)

    return run


def _greedy(probe: str):
    def run(lm):
        from glassbox.model.generation import generate

        return generate(lm, probe, NEW_TOKENS, Settings(temperature=0.0), seed=0, capture=False)

    return run


def _bars(ns: str, lm, logits: np.ndarray, watched: int | None, key: str) -> None:
    st.caption(ui.tr("teach.bars"))
    choice = next_token_choice(lm, logits, Settings())
    view_next.show_bars(ns, list(choice.candidates), watched, key=f"bars_{key}", marked_as=ui.tr("teach.marked"))


def _continuation(lm, probe: str, written) -> None:
    """The probe in bold and what greedy decoding wrote after it, up to the end-of-text token
    (named in words where the model wrote it: a taught sentence ends with one)."""
    st.caption(ui.tr("teach.greedy"))
    ids = [step.token.id for step in written.steps]
    ended = written.stopped == "end_of_text" and bool(ids) and ids[-1] == lm.tokenizer.eos_token_id
    # stray bytes (a character the model never finished) show as ⟨EC 95⟩, as the chips show them
    shown = ui_text.md_escape(decode_shown([lm.token_bytes(i) for i in (ids[:-1] if ended else ids)]))
    st.markdown(f"**{ui_text.md_escape(probe)}**{shown}" + (f" *{ui.tr('teach.ended')}*" if ended else ""))


def _costs(kept: ui_taught.Kept) -> None:
    """What the teaching did: the loss on the learner's text, and what it cost the held-out text."""
    taught = kept.taught
    st.caption(ui.tr("teach.taught_what", n=len(taught.sentences), copies=taught.settings.copies,
                     seed=taught.settings.seed))  # fmt: skip
    rise = f"{taught.heldout_rise:+.1%}"
    st.metric(ui.tr("teach.heldout"), f"{taught.heldout_after:.3f}", delta=rise, delta_color="inverse")
    st.markdown(ui.tr("teach.heldout_text", before=f"{taught.heldout_before:.3f}", after=f"{taught.heldout_after:.3f}",
                      rise=rise))  # fmt: skip
    st.caption(ui.tr("teach.text_loss", before=f"{taught.text_loss[0]:.2f}", after=f"{taught.text_loss[-1]:.2f}",
                     steps=taught.steps, seconds=f"{taught.seconds:.1f}"))  # fmt: skip
