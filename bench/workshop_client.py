"""A learner's browser, reduced to Streamlit's websocket protocol (for bench_workshop.py).

One `Session` is one open `/_stcore/stream` websocket, as a browser tab holds: it sends `BackMsg`
protobufs (`rerun_script` with the page, the query string and the widget values) and reads the
`ForwardMsg`s the server streams back until the run's `script_finished`. It keeps what a browser
keeps between runs: the query string the app set, the pages' script hashes (from `navigation`),
the widget ids (from the elements' `id`, which ends with the widget's user key), the fragment
each widget was drawn in, and the values this learner gave its widgets, which go back with every
rerun of that page. A change to a widget drawn in a fragment asks for a rerun of that fragment
alone, as a browser does. A button is clicked with `press` (its trigger goes with that one
run), and whether each widget was last drawn disabled is kept (a page can say "done" that way).
Fragments the server asked to rerun on a timer (`st.fragment(run_every=)`) are rerun by
`tick()`, as a browser's timer would. Cookies (the nginx route, the learner id) go with
the websocket handshake, and the replica nginx chose is read from its `X-Glassbox-Replica` header.

Unlike a browser it sends no cached-message hashes (so the server sends every message in full)
and draws nothing: the latency measured is the server's and the transport's, not rendering.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect

WidgetValue = str | float | bool  # a radio or selectbox takes the option's label (a str)


@dataclass
class RunResult:
    """One script run as the learner saw it."""

    seconds: float
    problems: list[str] = field(default_factory=list)  # exception boxes, error alerts, page not found
    notices: list[str] = field(default_factory=list)  # success, info and warning boxes, toasts ("kind: text")
    messages: int = 0
    bytes: int = 0
    reran_page: bool = False  # the run ended in st.rerun(), so the whole page ran again


class SessionError(Exception):
    """The session is unusable: it could not connect, or the connection broke."""


def _widget_state(widget_id: str, value: WidgetValue) -> WidgetState:
    state = WidgetState(id=widget_id)
    if isinstance(value, bool):  # before float: a bool is an int
        state.bool_value = value
    elif isinstance(value, float):
        state.double_array_value.data.append(value)  # sliders send a list of values
    else:
        state.string_value = value
    return state


class Session:
    """One learner's websocket session against a running Streamlit server."""

    def __init__(self, port: int, timeout: float = 30.0, cookies: dict[str, str] | None = None,
                 query_string: str = "") -> None:
        self.url = f"ws://127.0.0.1:{port}/_stcore/stream"
        self.timeout = timeout
        self.cookies = dict(cookies or {})
        self.query_string = query_string  # as in the address bar; the app may change it
        self.replica = ""  # the replica nginx sent this session to ("" without nginx)
        self.auto_reruns: dict[str, float] = {}  # fragment id → seconds between its timed reruns
        self.pages: dict[str, str] = {}  # url_pathname → page_script_hash
        self.widget_ids: dict[str, str] = {}  # user key → widget id
        self.widget_fragments: dict[str, str] = {}  # user key → id of the fragment it is drawn in
        self.disabled: dict[str, bool] = {}  # user key → whether the widget was last drawn disabled
        self.values: dict[str, dict[str, WidgetValue]] = {}  # page url → {user key: value}
        self.page = ""
        self._ws: ClientConnection | None = None

    async def open(self) -> None:
        try:
            self._ws = await asyncio.wait_for(
                connect(
                    self.url,
                    subprotocols=["streamlit"],
                    max_size=None,
                    proxy=None,
                    open_timeout=self.timeout,
                    ping_interval=None,  # a browser sends no pings of its own (it answers the server's)
                    additional_headers={"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
                    if self.cookies else None,
                ),
                self.timeout,
            )
            self.replica = self._ws.response.headers.get("X-Glassbox-Replica", "") if self._ws.response else ""
        except Exception as err:  # noqa: BLE001 - refused, timed out, handshake rejected: all a failed join
            raise SessionError(f"connect: {type(err).__name__}: {err}") from err

    async def close(self) -> None:
        if self._ws is not None:
            ws, self._ws = self._ws, None
            try:
                await asyncio.wait_for(ws.close(), 5)
            except Exception:  # noqa: BLE001 - closing is best effort; the server notices either way
                pass

    async def visit(self, page: str) -> RunResult:
        """Open a page of the site ("" is the default page), as clicking its link in the sidebar does."""
        self.page = page
        return await self._rerun()

    async def set_widget(self, key: str, value: WidgetValue) -> RunResult:
        """Give the widget with user `key` on the current page a new value; the rerun it causes."""
        self.values.setdefault(self.page, {})[key] = value
        return await self._rerun(self.widget_fragments.get(key, ""))

    async def press(self, key: str) -> RunResult:
        """Click the button with user `key` on the current page: its trigger goes with this run
        only (a button is True for the one run its click starts), as a browser sends it."""
        if key not in self.widget_ids:
            raise SessionError(f"no button with key {key!r} on page {self.page!r}")
        return await self._rerun(self.widget_fragments.get(key, ""), trigger=key)

    async def idle(self, seconds: float) -> None:
        """Wait `seconds` as a learner reading the page does; a connection that drops meanwhile is
        noticed at once (SessionError), as a browser notices it."""
        if self._ws is None:
            raise SessionError("not connected")
        try:
            await asyncio.wait_for(asyncio.shield(self._ws.wait_closed()), seconds)
        except TimeoutError:
            return
        raise SessionError("connection: closed by the server while the learner was reading")

    async def tick(self) -> list[RunResult]:
        """Rerun every fragment that the server asked to rerun on a timer (one tick of each). A tick
        that reran the whole page (st.rerun) ends the round: the page's timed fragments are new then,
        and the old ids would name fragments the server no longer has."""
        results = []
        for fragment in list(self.auto_reruns):
            if fragment not in self.auto_reruns:
                continue
            results.append(await self._rerun(fragment))
            if results[-1].reran_page:
                break
        return results

    async def _rerun(self, fragment_id: str = "", trigger: str = "") -> RunResult:
        if self._ws is None:
            raise SessionError("not connected")
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query_string
        if self.page in self.pages:
            state.page_script_hash = self.pages[self.page]
        else:  # the first visit, before the server named its pages: by URL, as a deep link does
            state.page_name = self.page
        for key, value in self.values.get(self.page, {}).items():
            if key not in self.widget_ids:
                raise SessionError(f"no widget with key {key!r} on page {self.page!r}")
            state.widget_states.widgets.append(_widget_state(self.widget_ids[key], value))
        if trigger:
            state.widget_states.widgets.append(WidgetState(id=self.widget_ids[trigger], trigger_value=True))
        if fragment_id:
            state.fragment_id = fragment_id
        else:
            self.auto_reruns.clear()  # a full run registers its timed fragments again
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-US"
        result = RunResult(0.0)
        started = time.perf_counter()
        try:
            await self._ws.send(msg.SerializeToString())
            try:
                await asyncio.wait_for(self._read_run(result), self.timeout)
            except TimeoutError:
                # Counted as a failure, but the learner waits on, as a person before a "Running..."
                # page would; whoever started the run bounds the wait (by cancelling it).
                await self._read_run(result)
                result.problems.append(f"no script_finished within {self.timeout:.0f} s")
        except Exception as err:  # noqa: BLE001 - websockets' ConnectionClosed and OSError alike
            raise SessionError(f"connection: {type(err).__name__}: {err}") from err
        result.seconds = time.perf_counter() - started
        return result

    async def _read_run(self, result: RunResult) -> None:
        """Read ForwardMsgs until a run ends other than by restarting (st.rerun ends a run early)."""
        assert self._ws is not None
        while True:
            raw = await self._ws.recv(decode=False)
            result.messages += 1
            result.bytes += len(raw)
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "delta":
                self._read_delta(msg, result)
            elif kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            elif kind == "auto_rerun":
                self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
            elif kind == "stop_auto_rerun":
                for fragment in msg.stop_auto_rerun.fragment_ids:
                    self.auto_reruns.pop(fragment, None)
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "page_not_found":
                result.problems.append(f"page not found: {msg.page_not_found.page_name!r}")
            elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
                result.problems.append(f"compile error: {msg.session_event.script_compilation_exception.message}")
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    result.problems.append("script finished with a compile error")
                if msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    return
                self.auto_reruns.clear()  # st.rerun(): the whole page runs again (this site reruns no fragment alone)
                result.reran_page = True

    def _read_delta(self, msg: ForwardMsg, result: RunResult) -> None:
        if msg.delta.WhichOneof("type") != "new_element":
            return
        element = msg.delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            result.problems.append(f"exception: {element.exception.type}: {element.exception.message[:200]}")
        elif kind == "alert" and element.alert.format == Alert.ERROR:
            result.problems.append(f"error shown: {element.alert.body[:200]}")
        elif kind == "alert":
            result.notices.append(f"{Alert.Format.Name(element.alert.format).lower()}: {element.alert.body[:200]}")
        elif kind == "toast":
            result.notices.append(f"toast: {element.toast.body[:200]}")
        elif kind is not None:
            widget_id = getattr(getattr(element, kind), "id", "")
            if isinstance(widget_id, str) and widget_id.startswith("$$ID-"):
                key = widget_id.split("-", 2)[-1]  # "$$ID-<hash>-<user key>"
                if key:
                    self.widget_ids[key] = widget_id
                    self.widget_fragments[key] = msg.delta.fragment_id
                    self.disabled[key] = bool(getattr(getattr(element, kind), "disabled", False))
