"""The sidebar's model picker: the shared models a learner may pick, as the host decided
(`glassbox.model.allowed`), and what a learner is told when a picked model fails.

- `picker()`: the default model, the embedded model's checkpoints, the host's `GLASSBOX_MODELS` by
  their labels and, only where the host allows it (`ui.models.any_allowed`), "Another OLMoE…" with a
  box for any folder or hub id. A link naming a model off that list is refused with a message (in
  the learner's language), and the picker keeps the default.
- `learner_error(source, err)`: one message for every reason a picked model cannot be opened (the
  reason itself goes to the server's log), so no message tells whether a path exists on the server.

Leaves out: loading and keeping the models (`ui.models`) and the taught model's switch (`ui.taught`).
"""

from __future__ import annotations

import sys

import streamlit as st

import ui
from glassbox.errors import GlassboxError
from glassbox.model import allowed
from glassbox.model import checkpoints as training_history
from glassbox.site import BadValue
from ui import models as ui_models
from ui import share as ui_share
from ui import taught as ui_taught

KEY_CHOICE = "frame.model_choice"
KEY_OTHER = "frame.model_other"
EMBEDDED, OTHER, HOST = "embedded", "other", "host:"  # the options: these, ckpt:<name>, host:<label>
EXAMPLE_HUB_ID = "allenai/OLMoE-1B-7B-0125-Instruct"


def picker() -> str:
    """The shared model picked in the sidebar: the default, a checkpoint, one of the host's, or
    (where allowed) another one typed."""
    # the final checkpoint is the embedded model itself: offer only the earlier ones here
    found = ui.guarded(ui.once, training_history.list_checkpoints) or ()
    checkpoints = {f"ckpt:{c.name}": c for c in found if c.label != "final"}
    hosts = {HOST + entry.label: entry for entry in allowed.host_models()}
    typed = ui_models.any_allowed()
    options = [EMBEDDED, *checkpoints, *hosts, *([OTHER] if typed else [])]
    if st.session_state.get(KEY_CHOICE) not in options:
        st.session_state[KEY_CHOICE] = EMBEDDED

    # labels are worked out now: a format function must not read session state later
    names = {EMBEDDED: _default_name(ui.default_source())}
    for choice, ckpt in checkpoints.items():
        names[choice] = ui.tr("frame.model_checkpoint", name=ui.checkpoint_label(ckpt.label), step=ckpt.step)
    for choice, entry in hosts.items():
        names[choice] = _unused(entry.label, names.values())
    if typed:
        names[OTHER] = ui.tr("frame.model_other")

    # the built-in model is the default, so links carry another model's label (never a typed model id)
    ui_share.field(KEY_CHOICE, _on_list([names[option] for option in options]))
    choice = st.sidebar.selectbox(
        ui.tr("frame.model"),
        options,
        format_func=names.get,
        key=KEY_CHOICE,
        persist_state="session",
        bind=ui_share.BIND,
    )
    if choice == OTHER:
        text = st.sidebar.text_input(
            ui.tr("frame.model_other_input"),
            key=KEY_OTHER,
            placeholder=EXAMPLE_HUB_ID,
            max_chars=300,
            persist_state="session",
        ).strip()
        return text or ui.default_source()
    if choice in checkpoints:
        return checkpoints[choice].path
    if choice in hosts:
        return hosts[choice].source
    return ui.default_source()


def _unused(label: str, taken) -> str:
    """`label`, or `label (2)`… where the picker already shows it (a host label like a built-in one)."""
    taken, unique, n = set(taken), label, 1
    while unique in taken:
        n += 1
        unique = f"{label} ({n})"
    return unique


def _default_name(source: str) -> str:
    """The first option: "Built-in Tiny OLMoE" for the embedded model, else the host's default model
    by its name (the picker names the model in use, never a server path)."""
    from pathlib import Path

    from glassbox import paths
    from glassbox.model.info import describe

    if Path(source).resolve() == paths.EMBEDDED_MODEL_DIR.resolve():
        return ui.tr("frame.model_embedded")
    found = ui.guarded(ui.once, describe, source)
    return ui.tr("frame.model_default", name=found.name if found is not None else Path(source).name)


def _on_list(labels: list[str]):
    """A link's model label, refused with a reason when this server does not offer it."""

    def parse(raw: str) -> str:
        if raw in labels:
            return raw
        raise BadValue("frame.model_off_list", options=", ".join(labels))

    return parse


def learner_error(source: str, err: GlassboxError) -> GlassboxError:
    """The error a learner is shown for a picked model that failed to load: the same message
    whatever the reason. Kept as they are: the host's default model's, a taught model's, a refusal
    made before anything was read (`model_not_offered`), and "one big model at a time" for a model
    of the host's list (for a typed one it would tell that a big model is there)."""
    if source == ui.default_source() or source.startswith(ui_taught.PREFIX) or err.code == "model_not_offered":
        return err
    if err.code == "model_one_big" and allowed.is_offered(source, allowed.host_models()):
        return err
    print(f"glassbox: the model {source[:300]!r} picked on the site could not be opened: {err.code}: {err}",
          file=sys.stderr, flush=True)  # fmt: skip
    return GlassboxError("model_not_openable")
