"""Shareable views: each page's settings live in the URL, so a link (or its QR code) opens the
same view on every device.

The widgets keep themselves in the URL through Streamlit's own binding (`bind="query-params"`):
the widget's key is the parameter's name (`next.temperature=0.4`), a link just opened sets the
widgets, a change writes the URL, a value at its default is left out, and the parameters of a page
left behind are dropped. Streamlit drops a value it cannot use without a word, so a page checks
each bound widget's URL value first, with the spec in `glassbox.site` or the widget's options:
`control(TEMPERATURE, "next.temperature")` or `field("experts.layer", choice(layers))`, then draws
the widget with `bind=BIND`. A value that is malformed or out of range gets a message saying why.
Frame-wide parameters (language, presenter mode, step, locks) are not widgets' and are kept by
the frame itself (`ui.present`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, urlencode

import streamlit as st

import ui
from glassbox.site import BadValue, Control
from ui import text as ui_text

BIND = "query-params"  # every shareable widget is drawn with bind=BIND
KEY_CHECKED = "share.checked"  # the (parameter, value) pairs of this session's URL already checked

_run = threading.local()


def control(spec: Control, key: str) -> None:
    """Check widget `key`'s URL value with the control's spec (the widget binds itself)."""
    field(key, spec.parse)


def choice(options: Sequence[Any]) -> Callable[[str], Any]:
    """One of `options`, as the widget writes it: its label (format_func), or str() without one."""

    def parse(raw: str) -> Any:
        for option in options:
            if str(option) == raw:
                return option
        raise BadValue("share.bad_choice", options=", ".join(str(o) for o in options))

    return parse


def flag(raw: str) -> bool:
    if raw in ("1", "true", "on"):
        return True
    if raw in ("0", "false", "off", ""):
        return False
    raise BadValue("share.bad_choice", options="0, 1")


def begin_run() -> None:
    """Start a page run (app.py): refused link values are reported at the top of the page."""
    _run.notices = st.container()


def begin_fragment() -> None:
    """Start a rerun of a page's tool alone: it has no top of the page to report to."""
    _run.notices = None


def field(param: str, parse: Callable[[str], Any]) -> None:
    """Check the URL's value of the bound widget keyed `param` once per session, saying why a
    value is refused (Streamlit then leaves it out, and the widget keeps its own value)."""
    raw = st.query_params.get(param)
    if raw is None:
        return
    checked = st.session_state.setdefault(KEY_CHECKED, set())
    if (param, raw) in checked:
        return
    checked.add((param, raw))
    try:
        parse(raw)
    except BadValue as bad:
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        reason = ui.tr(bad.key, **bad.params)
        where = getattr(_run, "notices", None) or st
        where.warning(
            ui.tr("share.bad_value", param=ui_text.md_escape(param), value=ui_text.md_escape(shown), reason=reason),
            icon="🔗",
        )


def link() -> str:
    """The link to this view: the page's address in the learner's browser with its parameters
    (the browser sends the URL the widgets wrote with every rerun)."""
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
