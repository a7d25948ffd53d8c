"""One Streamlit browser session, spoken over Streamlit's own websocket protocol (no browser).

A load client for ``streamlit run``: it connects to ``ws://<host>/_stcore/stream`` like the
frontend does, asks for script runs with ``BackMsg.rerun_script`` and reads the ``ForwardMsg``
stream back (``new_session``, ``navigation``, deltas, ``page_info_changed``,
``script_finished``). It keeps a small model of the page so a caller can interact and check
results:

- the elements of the last complete run, by delta path, with their text;
- every widget's current value, kept the way the frontend's widget manager keeps it: the
  value the server last set (``set_value``), else what this client changed, else the
  widget's default; all of them go with every rerun request, plus a one-shot trigger for a
  button click;
- the address bar's query string (``page_info_changed``) and the app's pages (``navigation``);
- the frontend's message cache: large elements the server marks ``cacheable`` are kept by
  hash for a few runs, their hashes are sent in ``ClientState.cached_message_hashes``, and the
  server then sends a ``ref_hash`` instead of the element again.

Not modelled (the server keeps their last value when a client does not send one): the values
of data grids (``st.dataframe`` selections, ``st.data_editor``), file uploaders, keyed tabs and
other widgets outside :data:`VALUE_WIDGETS`. No page assets are fetched and no iframe is
loaded, so this measures the Python server, not a browser.

Through a proxy (``make serve``: HAProxy with an inserted cookie) the session keeps cookies as a
browser does: every ``Set-Cookie`` of the websocket handshake is kept and sent with the next
connection, so a session stays on its app process (:attr:`StreamlitSession.backend` names it)
and :meth:`StreamlitSession.reconnect` after a dropped connection goes back to it, or, if that
process died, to the one the proxy picks, like the frontend's own reconnect.

Versions: written against the protocol of streamlit 1.67 (starlette/uvicorn server) with the
``websockets`` client that streamlit itself depends on.
"""
from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

# Widgets whose value this client tracks, with the WidgetState field the server reads.
VALUE_WIDGETS = {
    "text_area": "string_value",
    "text_input": "string_value",
    "checkbox": "bool_value",
    "radio": "string_value",
    "selectbox": "string_value",
    "multiselect": "string_array_value",
    "slider": "double_array_value",
    "number_input": "double_value",
}
# Widgets a click reruns with a one-shot trigger.
TRIGGER_WIDGETS = {"button", "download_button"}
BACKEND_COOKIE = "TASTEMAP_BACKEND"  # make serve's HAProxy cookie (recommender/cli/serve.py)
MAX_CACHED_MESSAGE_AGE = 2  # runs; streamlit's global.maxCachedMessageAge default
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_FINAL = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}


class SessionError(RuntimeError):
    """The server closed the session, did not finish a run in time, or broke the protocol."""


@dataclass
class Element:
    """One element of the page: its proto type (``text_area``, ``markdown`` …) and proto."""

    kind: str
    proto: Any

    @property
    def id(self) -> str:
        return getattr(self.proto, "id", "") or ""

    @property
    def text(self) -> str:
        """What a reader sees of it: body, label or code, Markdown escapes removed."""
        p = self.proto
        if self.kind in {"heading", "markdown", "alert", "text", "toast"}:
            return _MD_ESCAPE.sub(r"\1", p.body)
        if self.kind == "code":
            return p.code_text
        if self.kind == "exception":
            return f"{p.type}: {p.message}"
        if self.kind == "tab":
            return p.label
        if self.kind == "metric":
            return f"{p.label} {p.body}"
        return _MD_ESCAPE.sub(r"\1", getattr(p, "label", "") or "")


@dataclass
class Run:
    """What one interaction cost: request sent until the final ``script_finished`` arrived."""

    wall_ms: float
    script_ms: float  # from each run's new_session to its script_finished, summed
    runs: int  # script runs it took (more than 1 after st.rerun())


@dataclass
class _Cached:
    msg: ForwardMsg
    last_run: int


@dataclass
class StreamlitSession:
    """A browser session of one Streamlit app, without the browser.

    Use it inside a running event loop (``async with StreamlitSession(url) as session: ...``)::

        await session.open_page("Recommend")          # first visit: by page name or URL path
        await session.set_value("w_seed_text", "6f807x0ima9a1j3VPbc7VN", rerun=False)  # a form's draft
        run = await session.click("rec_get")          # its submit button sends it
        run.wall_ms, "tracks by the" in session.page_text(), session.query_string
        await session.click("taste_search_1")         # a button, by user key
    """

    base_url: str
    timeout: float = 60.0
    elements: dict[tuple[int, ...], Element] = field(default_factory=dict)
    query_string: str = ""
    pages: dict[str, str] = field(default_factory=dict)  # page name / URL path -> page_script_hash
    page_hash: str = ""
    page_path: str = ""
    # What went wrong during the last request: a script that did not compile, an unknown page.
    compile_errors: list[str] = field(default_factory=list)
    page_not_found: list[str] = field(default_factory=list)
    cached_refs_used: int = 0  # elements the server sent as a ref_hash into this client's cache
    # Cookies kept from the handshakes' Set-Cookie headers (name -> value), sent on every connect.
    cookies: dict[str, str] = field(default_factory=dict)
    connect_ms: float = 0.0  # the last websocket handshake

    def __post_init__(self) -> None:
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task | None = None
        self._building: dict[tuple[int, ...], Element] = {}
        self._values: dict[str, WidgetState] = {}
        self._cache: dict[str, _Cached] = {}
        self._runs_done = 0
        self._finished = asyncio.Event()
        self._waiting = False
        self._started = False
        self._run_started_at = 0.0
        self._script_s = 0.0
        self._run_count = 0
        self._closed: BaseException | None = None

    # ------------------------------------------------------------------ connection

    async def connect(self) -> None:
        url = re.sub(r"^http", "ws", self.base_url.rstrip("/")) + "/_stcore/stream"
        # No client pings (a browser sends none; the server pings us and websockets answers).
        # No size limit: a page may carry a large table.
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else None
        self._closed = None
        started = time.perf_counter()
        self._ws = await connect(url, subprotocols=["streamlit"], max_size=None, ping_interval=None,
                                 open_timeout=self.timeout, additional_headers=headers)
        response = self._ws.response
        for header in response.headers.get_all("Set-Cookie") if response is not None else []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        self.connect_ms = (time.perf_counter() - started) * 1000
        self._reader = asyncio.create_task(self._read_forever())

    async def reconnect(self) -> Run:
        """Connect again after the connection dropped and rerun the page with this client's widget
        values, as the frontend does (a new server process starts a new session from them)."""
        await self.close()
        await self.connect()
        return await self._rerun()

    @property
    def backend(self) -> str | None:
        """The app process a sticky proxy put this session on (its cookie), None without one."""
        return self.cookies.get(BACKEND_COOKIE)

    @property
    def connected(self) -> bool:
        return self._ws is not None and self._closed is None

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def __aenter__(self) -> StreamlitSession:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ interactions

    async def open_page(self, name: str) -> Run:
        """Go to a page by its name or URL path, as a click in the sidebar (or typing its URL) does."""
        page_hash = self.pages.get(name, "")
        self.page_path = name
        # As the frontend's onPageChange: no query parameters, and no widget values of the old page.
        self.query_string = ""
        return await self._rerun(page_hash=page_hash, page_name="" if page_hash else name, widgets=False)

    async def rerun(self) -> Run:
        """Rerun the current page with the current widget values (like pressing R)."""
        return await self._rerun()

    async def set_value(self, key: str, value: Any, *, rerun: bool = True) -> Run | None:
        """Change a widget (by its user key) and rerun, as typing + Enter or picking does.

        ``rerun=False``: only keep the new value, as the frontend does for a widget inside an
        ``st.form`` (a draft); it goes to the server with the next request, e.g. the form's
        submit button (:meth:`click`). Returns None then.
        """
        element = self.widget(key)
        state = _widget_state(element, value)
        self._values[element.id] = state
        return await self._rerun() if rerun else None

    async def click(self, key: str) -> Run:
        """Click a button (by its user key)."""
        element = self.widget(key)
        if element.kind not in TRIGGER_WIDGETS:
            raise SessionError(f"{key} is a {element.kind}, not a button")
        if getattr(element.proto, "disabled", False):
            raise SessionError(f"button {key} is disabled")
        return await self._rerun(trigger=WidgetState(id=element.id, trigger_value=True))

    # ------------------------------------------------------------------ the page

    def widget(self, key: str) -> Element:
        """The widget of this page whose user key is ``key`` (element ids end with ``-<key>``)."""
        for element in self.elements.values():
            if element.id.endswith("-" + key):
                return element
        raise SessionError(f"no widget with key {key!r} on the page")

    def value(self, key: str) -> Any:
        """A widget's current value as this session would send it."""
        state = self._values.get(self.widget(key).id)
        if state is None:
            return None
        which = state.WhichOneof("value")
        raw = getattr(state, which) if which else None
        return list(raw.data) if hasattr(raw, "data") else raw

    def of_kind(self, kind: str) -> list[Element]:
        return [e for e in self.elements.values() if e.kind == kind]

    def page_text(self) -> str:
        """The page's text in page order, one element a line."""
        return "\n".join(e.text for _, e in sorted(self.elements.items()) if e.text)

    def exceptions(self) -> list[str]:
        return [e.text for e in self.of_kind("exception")]

    def error_alerts(self) -> list[str]:
        """The text of every ``st.error`` box on the page."""
        return [e.text for e in self.of_kind("alert") if e.proto.format == e.proto.ERROR]

    # ------------------------------------------------------------------ protocol

    def _client_state(self, trigger: WidgetState | None, page_hash: str | None, page_name: str,
                      widgets: bool) -> ClientState:
        state = ClientState(query_string=self.query_string,
                            page_script_hash=self.page_hash if page_hash is None else page_hash,
                            page_name=page_name)
        active = {e.id for e in self.elements.values() if e.id} if widgets else set()
        for wid, value in self._values.items():
            if wid in active and (trigger is None or wid != trigger.id):
                state.widget_states.widgets.append(value)
        if trigger is not None:
            state.widget_states.widgets.append(trigger)
        state.cached_message_hashes.extend(self._cache)
        info = state.context_info
        info.url = f"{self.base_url.rstrip('/')}/{self.page_path}"
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.is_embedded, info.color_scheme = False, "light"
        return state

    async def _rerun(self, trigger: WidgetState | None = None, page_hash: str | None = None,
                     page_name: str = "", widgets: bool = True) -> Run:
        if self._ws is None:
            raise SessionError("not connected")
        if self._closed is not None:
            raise SessionError(f"connection closed: {self._closed}")
        msg = BackMsg()
        msg.rerun_script.CopyFrom(self._client_state(trigger, page_hash, page_name, widgets))
        self._finished.clear()
        self.compile_errors, self.page_not_found = [], []
        self._waiting, self._started, self._script_s, self._run_count = True, False, 0.0, 0
        start = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        try:
            await asyncio.wait_for(self._finished.wait(), self.timeout)
        except TimeoutError:
            raise SessionError(f"no script_finished within {self.timeout:.0f} s") from None
        finally:
            self._waiting = False
        if self._closed is not None:
            raise SessionError(f"connection closed: {self._closed}")
        return Run(wall_ms=(time.perf_counter() - start) * 1000, script_ms=self._script_s * 1000,
                   runs=self._run_count)

    async def _read_forever(self) -> None:
        assert self._ws is not None
        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._handle(msg)
        except ConnectionClosed as exc:
            self._closed = exc
        except Exception as exc:  # noqa: BLE001 - a broken message ends the session, and says why
            self._closed = exc
        else:
            self._closed = ConnectionError("the server closed the connection")
        finally:
            self._finished.set()

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            cached = self._cache.get(msg.ref_hash)
            if cached is None:
                raise SessionError(f"server referred to a message this client never cached: {msg.ref_hash}")
            cached.last_run = self._runs_done
            self.cached_refs_used += 1
            full = ForwardMsg()
            full.CopyFrom(cached.msg)
            full.metadata.CopyFrom(msg.metadata)
            msg, kind = full, full.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash:
            self._cache[msg.hash] = _Cached(msg, self._runs_done)
        if kind == "new_session":
            self._building = {}
            self._started = True
            self._run_count += 1
            self._run_started_at = time.perf_counter()
        elif kind == "navigation":
            nav = msg.navigation
            for page in nav.app_pages:
                self.pages[page.page_name] = page.page_script_hash
                self.pages[page.url_pathname] = page.page_script_hash
            self.page_hash = nav.page_script_hash
            for page in nav.app_pages:
                if page.page_script_hash == nav.page_script_hash:
                    self.page_path = page.url_pathname
        elif kind == "delta":
            self._apply_delta(msg)
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "page_not_found":
            self.page_not_found.append(msg.page_not_found.page_name)
        elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
            exc = msg.session_event.script_compilation_exception
            self.compile_errors.append(f"{exc.type}: {exc.message}")
        elif kind == "script_finished":
            if self._started:
                self._script_s += time.perf_counter() - self._run_started_at
            if msg.script_finished in _FINAL and self._started:
                self._finish_run()

    def _apply_delta(self, msg: ForwardMsg) -> None:
        path = tuple(msg.metadata.delta_path)
        delta = msg.delta
        which = delta.WhichOneof("type")
        # A node placed at a path replaces whatever was there, children included.
        for old in [p for p in self._building if p[: len(path)] == path]:
            del self._building[old]
        if which == "new_element":
            kind = delta.new_element.WhichOneof("type")
            proto = getattr(delta.new_element, kind)
            self._building[path] = Element(kind, proto)
            self._remember_value(kind, proto)
        elif which == "add_block":
            block_kind = delta.add_block.WhichOneof("type") or "vertical"
            proto = getattr(delta.add_block, block_kind) if delta.add_block.WhichOneof("type") else delta.add_block
            self._building[path] = Element(block_kind, proto)
        # new_transient (spinners) and other deltas leave nothing to read.

    def _remember_value(self, kind: str, proto: Any) -> None:
        """Keep a widget's value as the frontend does: server-set value, else ours, else the default."""
        if kind not in VALUE_WIDGETS or not getattr(proto, "id", ""):
            return
        if proto.set_value:
            self._values[proto.id] = _proto_value(kind, proto, current=True)
        elif proto.id not in self._values:
            self._values[proto.id] = _proto_value(kind, proto, current=False)

    def _finish_run(self) -> None:
        self.elements = self._building
        self._building = dict(self._building)
        self._runs_done += 1
        # The frontend forgets widgets that left the page, and cached messages not used lately.
        active = {e.id for e in self.elements.values() if e.id}
        self._values = {wid: v for wid, v in self._values.items() if wid in active}
        self._cache = {h: c for h, c in self._cache.items()
                       if self._runs_done - c.last_run <= MAX_CACHED_MESSAGE_AGE}
        if self._waiting:
            self._finished.set()


def _proto_value(kind: str, proto: Any, *, current: bool) -> WidgetState:
    """The WidgetState a widget proto stands for: its server-set value, or its default."""
    state = WidgetState(id=proto.id)
    source = "value" if current else "default"
    if kind in {"text_area", "text_input"}:
        if proto.HasField(source):  # unset: the widget is empty (value=None)
            state.string_value = getattr(proto, source)
    elif kind == "checkbox":
        state.bool_value = getattr(proto, source)
    elif kind == "number_input":
        if proto.HasField(source):
            state.double_value = getattr(proto, source)
    elif kind in {"radio", "selectbox"}:
        if current and proto.HasField("raw_value"):
            state.string_value = proto.raw_value
        elif not current and proto.HasField("default") and 0 <= proto.default < len(proto.options):
            state.string_value = proto.options[proto.default]
    elif kind == "multiselect":
        values = list(proto.raw_values) if current else [proto.options[i] for i in proto.default
                                                         if 0 <= i < len(proto.options)]
        state.string_array_value.data.extend(values)
    elif kind == "slider":
        state.double_array_value.data.extend(proto.value if current else proto.default)
    return state


def _widget_state(element: Element, value: Any) -> WidgetState:
    """A WidgetState for a new value of ``element``, checked the way the widget would."""
    kind, proto = element.kind, element.proto
    if kind not in VALUE_WIDGETS:
        raise SessionError(f"setting a value of a {kind} is not supported")
    if getattr(proto, "disabled", False):
        raise SessionError(f"{kind} {element.id} is disabled")
    state = WidgetState(id=element.id)
    if kind in {"text_area", "text_input"}:
        text = str(value)
        if proto.max_chars and len(text) > proto.max_chars:
            raise SessionError(f"{len(text)} characters, the widget takes {proto.max_chars}")
        state.string_value = text
    elif kind == "checkbox":
        state.bool_value = bool(value)
    elif kind == "number_input":
        state.double_value = float(value)
    elif kind in {"radio", "selectbox"}:
        if str(value) not in proto.options and not getattr(proto, "accept_new_options", False):
            raise SessionError(f"{value!r} is not an option of {element.id}")
        state.string_value = str(value)
    elif kind == "multiselect":
        values = [str(v) for v in value]
        missing = [v for v in values if v not in proto.options]
        if missing and not proto.accept_new_options:
            raise SessionError(f"{missing[:3]} are not options of {element.id}")
        state.string_array_value.data.extend(values)
    elif kind == "slider":
        state.double_array_value.data.extend(float(v) for v in (value if isinstance(value, (list, tuple)) else [value]))
    return state
