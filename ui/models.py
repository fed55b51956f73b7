"""The shared models this server process keeps, and which of them a learner may have.

- `loaded_model(source)` (what `ui.cached_model` calls): the model for a source, refused before
  anything is read when the host does not offer it (`model_not_offered`, `glassbox.model.allowed`);
  small models in Streamlit's resource cache (eight at most), big ones in the one slot of
  `glassbox.model.big` (at most one per process; that module says why). One load at a time.
- `any_allowed()`: whether this server lets learners type any folder or hub id.
- `shown_name(source)`: a source as a learner may see it (the host's label, never a server path).

This module imports no other part of `ui` (`ui` itself calls it), so the notebook can use it too.
The sidebar's picker, which offers these models, is `ui.picker`. Leaves out: taught models
(`ui.taught`, a kind of source of its own, registered with `ui.add_source_kind`).
"""

from __future__ import annotations

import os
import threading

import streamlit as st

from glassbox import memory, paths
from glassbox.model import allowed, big

_big = big.OneBig()
_loading = threading.Lock()


def any_allowed() -> bool:
    """Whether this server lets learners type any folder or hub id (`glassbox.model.allowed`)."""
    return allowed.any_model_allowed(os.environ, st.get_option("server.address"))


def shown_name(source: str) -> str:
    """A source as a learner may see it: the host's label, else a folder's last part (or a hub id)."""
    label = next((e.label for e in allowed.host_models() if e.source == source), None)
    return label or allowed.shown_name(source)


def loaded_model(source: str):
    """The shared model for `source`, loaded once per process (the default is never pushed out)."""
    allowed.check_offered(source, allowed.host_models(), any_allowed())
    if big.is_big(source):
        return _big.get(source, lambda: _load(source), keep=source == paths.default_model_source())
    return _small_model(source)


@st.cache_resource(show_spinner=False, max_entries=8)
def _small_model(source: str):
    return _load(source)


def _load(source: str):
    """Load one model at a time in this process: transformers' loading is not thread-safe, and two
    loads at once (the warm-up and a learner's pick) broke each other in a test ("Cannot copy out
    of meta tensor")."""
    import torch

    from glassbox.limits import TORCH_THREADS
    from glassbox.model import loading

    with _loading:
        torch.set_num_threads(TORCH_THREADS)  # for the whole server process (see glassbox.limits)
        memory.hold_less()  # big tensors freed (a teaching's) go back to the system (glassbox.memory)
        return loading.load_model(loading.prepare_source(source))


def big_model_held() -> str | None:
    """The source of the big model this process holds now, if any."""
    return _big.held
