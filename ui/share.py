"""Shareable views: each page's settings live in the URL, so a link (or its QR code) opens the
same view on every device.

A page registers its fields before drawing its widgets: `control(TEMPERATURE, "next.temperature")`
(the spec in `glassbox.site` parses and checks the value) or `field("layer", key, choice(layers))`.
On a run whose URL carries values this session has not written itself (a link just opened), the
values are checked and put into the widgets' session state; a value that is malformed or out of
range is left out with a message saying why. After the page has run,
app.py calls `publish()`, which writes the current values back to the URL.
Frame-wide parameters (language, presenter mode, step, locks) are not page fields.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, urlencode

import streamlit as st

import ui
from glassbox.site import MAX_TEXT_CHARS, BadValue, Control
from ui import text as ui_text

FRAME_PARAMS = ("lang", "present", "step", "lock")
KEY_PUBLISHED = "share.published"  # the page parameters this session last wrote
MAX_PARAM_CHARS = MAX_TEXT_CHARS

_run = threading.local()


def control(spec: Control, key: str) -> None:
    """Keep widget `key` in the URL under the control's name, parsed and checked by its spec."""
    field(spec.name, key, spec.parse)


def choice(options: Sequence[Any], none_word: str = "none") -> Callable[[str], Any]:
    """One of `options`, written as its str(); None is written as `none_word`."""

    def parse(raw: str) -> Any:
        for option in options:
            if (none_word if option is None else str(option)) == raw:
                return option
        raise BadValue("share.bad_choice", options=", ".join(none_word if o is None else str(o) for o in options))

    return parse


def flag(raw: str) -> bool:
    if raw in ("1", "true", "on"):
        return True
    if raw in ("0", "false", "off", ""):
        return False
    raise BadValue("share.bad_choice", options="0, 1")


# --- the registry of this run ------------------------------------------------------------------


def begin_run() -> None:
    """Start a script run (app.py, first thing): forget the previous run's fields."""
    _run.fields = {}
    _run.notices = st.container()  # at the top of the page: where refused link values are reported
    incoming = page_params()
    _run.fresh = bool(incoming) and incoming != st.session_state.get(KEY_PUBLISHED)


def page_params() -> dict[str, str]:
    """The URL's parameters other than the frame's."""
    out = {}
    for name in st.query_params:
        if name not in FRAME_PARAMS:
            out[name] = st.query_params.get(name, "")
    return out


def field(param: str, key: str, parse: Callable[[str], Any], write: Callable[[Any], str] | None = None) -> None:
    """Keep widget `key` in the URL as `param`; take a value from a newly opened link first."""
    fields = getattr(_run, "fields", None)
    if fields is None:
        begin_run()
        fields = _run.fields
    fields[param] = (key, write or _write)
    raw = st.query_params.get(param) if getattr(_run, "fresh", False) else None
    if raw is None:
        return
    try:
        st.session_state[key] = parse(raw)
    except BadValue as bad:
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        reason = ui.tr(bad.key, **bad.params)
        where = getattr(_run, "notices", None) or st
        where.warning(
            ui.tr("share.bad_value", param=ui_text.md_escape(param), value=ui_text.md_escape(shown), reason=reason),
            icon="🔗",
        )


def _write(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def begin_fragment() -> None:
    """Start a rerun of a page's tool alone: only the fields it registers will be published."""
    _run.fields = {}
    _run.notices = None
    _run.fresh = False  # a newly opened link always starts a full run


def publish(partial: bool = False) -> None:
    """Write this run's fields to the URL (app.py, after the page ran); drop other pages' fields.

    `partial` (after a rerun of a page's tool alone): write the tool's fields, keep the rest.
    """
    fields = getattr(_run, "fields", {}) or {}
    wanted = {}
    for param, (key, write) in fields.items():
        if key in st.session_state:
            value = write(st.session_state[key])
            if value is not None and len(value) <= MAX_PARAM_CHARS:
                wanted[param] = value
    current = page_params()
    for name in current:
        if name not in wanted and not partial:
            del st.query_params[name]
    for name, value in wanted.items():
        if current.get(name) != value:
            st.query_params[name] = value
    st.session_state[KEY_PUBLISHED] = {**current, **wanted} if partial else wanted
    _run.fresh = False


def link() -> str:
    """The link to this view: the page's address in the learner's browser with the current parameters."""
    base = (st.context.url or "").split("?")[0]
    query = urlencode({name: st.query_params.get(name) for name in st.query_params}, quote_via=quote)
    return base + (f"?{query}" if query else "")


@st.cache_data(show_spinner=False, max_entries=512)
def qr_png(link: str) -> bytes:
    """The QR code of a link as PNG (about 20 ms to draw, so drawn once per link)."""
    import io

    import qrcode

    image = io.BytesIO()
    qrcode.make(link, border=2).save(image)
    return image.getvalue()
