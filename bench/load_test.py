"""Many users at once: concurrent sessions against one `streamlit run` server.

Run:  .venv/bin/python -m bench.load_test                  (20 sessions, 120 s, ws client; part of ``make load``)
      .venv/bin/python -m bench.load_test --think-ms 5000  (a pause between interactions, as a reader makes)
      .venv/bin/python -m bench.load_test --client browser --sessions 4 --rounds 2 --duration 0
                                                           (4 Chromium sessions, 2 rounds each; part of ``make load``)

Two load clients drive the same flows:

- ``--client ws`` (default): every session speaks Streamlit's own websocket protocol
  (bench/ws_session.py), all in this one asyncio process, so the machine's CPU goes to the
  server rather than to browsers. It sends what the frontend sends (rerun requests with all
  widget values, the query string, the cached-message hashes) and reads the page from the
  server's messages.
- ``--client browser``: one headless Chromium (Debian's /usr/bin/chromium) with one browser
  context per session. Closest to people, but on a small machine the browsers use most CPU.

One server on a free 127.0.0.1 port. After a single warm-up session (which loads the catalog
and fits the models: three Recommend rounds), all sessions start together and each does rounds
until it has done at least ``--rounds`` of them and the ``--duration`` is up (``--duration 0``:
exactly ``--rounds`` rounds, however fast or slow the machine is). A round:

- Recommend: paste three seeds no other session uses, press "Get recommendations", wait for the
  results;
- Taste (with ``--no-taste`` left out): open the page (the first time: create the session's own
  label profile), search a track by its title, pick it, "Liked", wait for the confirmation.

Every wait is on the page's state (the result of the action on the page, the script idle),
never on a guessed time; the step timeout only guards against a hang.

Interactions follow each other at once (the harshest case), or after a pause of
``--think-ms`` on average (drawn uniformly from 0.5x to 1.5x per interaction, so sessions do
not move in step). An interaction is timed from the action to the page showing its result
with the script idle (ws: from the rerun request to the final ``script_finished``). Errors: an
exception or stack trace on the page, a browser-side or protocol error, a missing result, a
timeout. Isolation: the seed box, the address bar (query string) and the share link hold only
this session's seeds, and the label count of the session's profile equals the labels it
added. The server's RSS (VmRSS) is sampled every 0.5 s: before any session, with the
warm-up session, and during the run. CPU time is counted for the server and for the load
client. Prints a table and writes JSON to bench/results/load-<client>-<UTC time>.json.
Loopback only.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402

from bench.ui_speed import CHROMIUM, CHROMIUM_ARGS, streamlit_process  # noqa: E402
from bench.ws_session import SessionError, StreamlitSession  # noqa: E402
from ui.widgets import widget_key  # noqa: E402

RESULTS = ROOT / "bench" / "results"
P95_GOAL_MS = 1000.0
CLIENTS = ("ws", "browser")
SEED_BOX_KEY = widget_key("seed_text")  # the Recommend page's seed box (drawn with ui.widgets.form_bound)
GET_BUTTON_KEY = "rec_get"  # its "Get recommendations" button, which applies the box
# Hang guards, not speed goals: a step waits for its result on the page this long before it
# counts as an error (a busy 2-core machine running four browsers is slow, not hung).
STEP_TIMEOUT_MS = 300_000
FIRST_LOAD_TIMEOUT_MS = 600_000
# The page shows the result of a step: the script idle and connected, no stack trace, and each
# given expectation met (ones that only the step's result can meet, so an old page never passes):
# url: in the query string; path: the URL path's last part; text: a regex on the page's text;
# code: in an st.code block; tag: in a picked multiselect item; key: a widget with this user key.
IDLE_JS = """(expect) => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning'
        || app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
    if (document.querySelector('[data-testid="stException"]')) return 'exception';
    const text = document.body.innerText;
    if (expect.url && !decodeURIComponent(location.search).includes(expect.url)) return false;
    if (expect.path && decodeURIComponent(location.pathname).split('/').pop() !== expect.path) return false;
    if (expect.text && !new RegExp(expect.text).test(text)) return false;
    const within = (selector, wanted) => Array.from(document.querySelectorAll(selector))
        .some((el) => el.innerText.includes(wanted));
    if (expect.code && !within('[data-testid="stCode"]', expect.code)) return false;
    if (expect.tag && !within('[data-testid="stMultiSelectTagsContainer"] [data-tag]', expect.tag)) return false;
    if (expect.key && !document.querySelector('.st-key-' + expect.key)) return false;
    return true;
}"""

# Records when the Streamlit script runs (data-test-script-state), to split each interaction
# into time the server spent running the page script and the rest (network, browser drawing).
RUN_OBSERVER_JS = """(() => {
    const runs = []; let start = null; window.__tmRuns = runs;
    const obs = new MutationObserver((mutations) => {
        for (const m of mutations) {
            const state = m.target.getAttribute('data-test-script-state');
            if (state === 'running' && start === null) start = performance.now();
            else if (state !== 'running' && start !== null) { runs.push([start, performance.now()]); start = null; }
        }
    });
    const attach = () => obs.observe(document.documentElement, {attributes: true, subtree: true,
                                                                 attributeFilter: ['data-test-script-state']});
    if (document.documentElement) attach(); else document.addEventListener('DOMContentLoaded', attach);
})()"""
SCRIPT_TIME_JS = """(since) => (window.__tmRuns || []).reduce(
    (sum, [a, b]) => sum + Math.max(0, b - Math.max(a, since)), 0)"""


# ----------------------------------------------------------------------------- server

def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@contextlib.contextmanager
def server(env: dict[str, str] | None = None, timeout: float = 120) -> Iterator[tuple[str, subprocess.Popen]]:
    """``streamlit run app.py`` on a free loopback port; yields (base URL, process)."""
    with streamlit_process("app.py", timeout=timeout, env=env) as (url, proc, _accepted_at):
        yield url, proc


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU time of one process (plus its exited, reaped children), in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:  # a closed context's renderer processes have exited: their time is here
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (here: the Playwright driver and Chromium's processes)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def tree_cpu_seconds(pid: int, exclude: int) -> float:
    total = 0.0
    for child in descendants(pid):
        if child != exclude:
            with contextlib.suppress(OSError):
                total += cpu_seconds(child, children=True)
    return total


class RssSampler(threading.Thread):
    """RSS of the server every ``every`` s; with several app processes (``make serve``) ``pid``
    is a callable giving their current ids, and RSS and CPU are their sums."""

    def __init__(self, pid: int | Callable[[], list[int]], every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self._pids = pid if callable(pid) else (lambda: [pid])
        self.pid, self.every = self._pids()[0], every
        self.samples: list[tuple[float, int, str]] = []  # (time, KiB, phase)
        self.phase = "idle"
        self.cpu: dict[str, float] = {}
        self._stop_event = threading.Event()
        self._t0 = time.monotonic()
        self._cpu_seen: dict[int, float] = {}

    def pids(self) -> list[int]:
        return list(self._pids())

    def rss(self) -> int:
        """KiB, summed over the server's processes; raises OSError when none is alive."""
        total, alive = 0, False
        for pid in self.pids():
            with contextlib.suppress(OSError):
                total += rss_kib(pid)
                alive = True
        if not alive:
            raise OSError("no server process alive")
        return total

    def server_cpu(self) -> float:
        """CPU seconds of the server's processes; a process that died counts with the time it
        had at the last sample (a killed process's counters go with it)."""
        for pid in self.pids():
            with contextlib.suppress(OSError):
                self._cpu_seen[pid] = cpu_seconds(pid)
        return sum(self._cpu_seen.values())

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.samples.append((time.monotonic() - self._t0, self.rss(), self.phase))
            except OSError:
                return
            self.server_cpu()  # keeps each process's last CPU time, should it die
            self._stop_event.wait(self.every)

    def sample_now(self) -> None:
        """One sample at once (a phase's last value must not depend on when the thread wakes)."""
        with contextlib.suppress(OSError):
            self.samples.append((time.monotonic() - self._t0, self.rss(), self.phase))

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def peak(self, phase: str) -> int:
        return max((kib for _, kib, p in self.samples if p == phase), default=0)

    def last(self, phase: str) -> int:
        values = [kib for _, kib, p in self.samples if p == phase]
        return values[-1] if values else 0


# ----------------------------------------------------------------------------- work plan

@dataclass
class Plan:
    seeds: list[list[str]]  # per session: a pool of seed IDs no other session has
    titles: list[list[str]]  # per session: titles that find exactly one track, no other session's


def make_plan(n_sessions: int, per_session: int = 60, seed: int = 0, titles_each: int = 12) -> Plan:
    """Disjoint seed pools and ``titles_each`` label titles per session, from the default catalog."""
    from recommender.catalog import load_default_catalog

    catalog = load_default_catalog()
    t = catalog.tracks
    rng = random.Random(seed)
    ids = t.loc[t["popularity"].fillna(0) > 20, "track_id"].tolist()
    rng.shuffle(ids)
    need = n_sessions * per_session
    pools = [ids[i:need:n_sessions] for i in range(n_sessions)]
    # Titles that are plain words, unique, and not part of any other title or artist name.
    names = t["track_name"].fillna("")
    haystack = (names + " — " + t["artists"].fillna("")).str.lower()
    counts = names.str.lower().value_counts()
    candidates = [n for n in names.unique().tolist() if re.fullmatch(r"[A-Za-z][A-Za-z ]{9,30}", n)
                  and counts.get(n.lower(), 0) == 1]
    rng.shuffle(candidates)
    titles: list[str] = []
    want = n_sessions * titles_each
    for name in candidates:
        if haystack.str.contains(name.lower(), regex=False).sum() == 1:
            titles.append(name)
            if len(titles) == want:
                break
    return Plan(seeds=pools, titles=[titles[i::n_sessions] for i in range(n_sessions)])


# ----------------------------------------------------------------------------- one session (either client)

@dataclass
class SessionStats:
    index: int
    times_ms: dict[str, list[float]] = field(default_factory=dict)
    script_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    isolation: list[str] = field(default_factory=list)
    labels_added: int = 0
    # Over a proxy (run(url=...)): each dropped connection's reconnect, until the page was served again.
    reconnect_ms: list[float] = field(default_factory=list)
    reconnect_connect_ms: list[float] = field(default_factory=list)  # of which the websocket handshake
    profile_reselected: int = 0  # times the Taste page showed another profile after a failover
    # The session's pause before each timed interaction (--think-ms); None: none.
    think: Callable[[], Awaitable[None]] | None = field(default=None, repr=False)

    def add(self, kind: str, ms: float) -> None:
        self.times_ms.setdefault(kind, []).append(ms)


def thinker(think_ms: float, seed: int) -> Callable[[], Awaitable[None]] | None:
    """A pause of ``think_ms`` on average (0.5x to 1.5x, uniform), like a person reading the page."""
    if think_ms <= 0:
        return None
    rng = random.Random(seed)

    async def think() -> None:
        await asyncio.sleep(think_ms / 1000 * rng.uniform(0.5, 1.5))

    return think


# ----------------------------------------------------------------------------- one session in Chromium

async def _until(page, expect: dict, timeout_ms: float) -> None:
    handle = await page.wait_for_function(IDLE_JS, arg=expect, timeout=timeout_ms, polling=50)
    if await handle.json_value() == "exception":
        raise RuntimeError("a stack trace is on the page")


async def _step(stats: SessionStats, kind: str, page, action, expect: dict, timeout_ms: float = STEP_TIMEOUT_MS,
                record: bool = True) -> bool:
    """One timed interaction: its think pause, the action, then a wait until the page shows
    ``expect`` (see IDLE_JS) with the script idle."""
    if record and stats.think is not None:
        await stats.think()
    since = await page.evaluate("performance.now()")
    start = time.perf_counter()
    try:
        await action()
        await _until(page, expect, timeout_ms)
    except Exception as exc:  # noqa: BLE001 - every failure counts as an error of this step
        stats.errors.append(f"{kind}: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
        return False
    if record:
        stats.add(kind, (time.perf_counter() - start) * 1000)
        stats.script_ms.setdefault(kind, []).append(await page.evaluate(SCRIPT_TIME_JS, since))
    return True


async def _goto_page(page, title: str) -> None:
    await page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()


def _by_key(page, key: str, inner: str = ""):
    """The widget with user key ``key`` (Streamlit gives its container the class st-key-<key>)."""
    return page.locator(f".st-key-{key} {inner}".strip()).first


# What each page shows once it is drawn: its URL path and a text only that page has.
RECOMMEND_READY = {"path": "Recommend", "text": "Seed tracks"}
TASTE_READY = {"path": "Taste", "text": r"labels? in profile '"}
RESULTS_TEXT = r"\d+ tracks"  # the results caption: "20 tracks by the hybrid method for 3 seed(s)…"


def _results_expect(seeds: list[str]) -> dict:
    """Recommendations for exactly ``seeds``: in the address bar and in the share link (drawn
    after the results table in the same run), with the results caption."""
    joined = "seeds=" + ",".join(seeds)
    return {"path": "Recommend", "url": joined, "code": joined, "text": RESULTS_TEXT}


def _saved_text(expected: int, profile: str) -> str:
    """The confirmation of a label and the profile's caption with its new count."""
    return rf"Labelled 1 track\(s\)[\s\S]*\b{expected} labels? in profile '{re.escape(profile)}'"


@dataclass
class RunState:
    """Shared by the sessions of one run: who has opened its page, when to start and stop."""
    rounds: int = 1  # every session does at least this many rounds...
    deadline: float = float("-inf")  # ...and goes on until this time (time.monotonic())
    ready: set = field(default_factory=set)
    start: asyncio.Event | None = None
    think_ms: float = 0.0  # mean pause before each timed interaction

    def another_round(self, done: int) -> bool:
        return done < self.rounds or time.monotonic() < self.deadline


async def run_session(index: int, browser, url: str, plan: Plan, state: RunState, taste: bool,
                      run_id: str, stats: SessionStats) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(STEP_TIMEOUT_MS)  # a click or fill waits as long as a step may take
    await context.add_init_script(RUN_OBSERVER_JS)
    # Loopback only: the Spotify player iframe and anything else off this machine is refused.
    await context.route(re.compile(r"^(?!https?://127\.0\.0\.1[:/])(https?|wss?)://"), lambda route: route.abort())
    page = await context.new_page()
    page.on("pageerror", lambda exc: stats.errors.append(f"browser: {str(exc)[:160]}"))
    stats.think = thinker(state.think_ms, index)
    others = {s for j, pool in enumerate(plan.seeds) if j != index for s in pool}
    pool = plan.seeds[index]
    titles = list(plan.titles[index])
    profile = f"load-{run_id}-{index}"
    try:
        # The first visit (not timed): Home, then Recommend from the sidebar, as a visitor goes.
        await page.goto(url + "/", timeout=FIRST_LOAD_TIMEOUT_MS)
        await _until(page, {}, FIRST_LOAD_TIMEOUT_MS)
        await _goto_page(page, "Recommend")
        await _until(page, RECOMMEND_READY, FIRST_LOAD_TIMEOUT_MS)
        state.ready.add(index)
        if state.start is not None:
            await state.start.wait()
        n = 0
        on_taste = False
        while state.another_round(n):
            if on_taste:
                if not await _step(stats, "open Recommend", page, lambda: _goto_page(page, "Recommend"),
                                   RECOMMEND_READY):
                    break
                on_taste = False
            seeds = [pool[(3 * n + k) % len(pool)] for k in range(3)]

            async def paste_and_press(text: str = "\n".join(seeds)) -> None:
                await _by_key(page, SEED_BOX_KEY, "textarea").fill(text)  # a draft until the button
                await _by_key(page, GET_BUTTON_KEY, "button").click()

            if await _step(stats, "paste seeds -> recommendations", page, paste_and_press, _results_expect(seeds)):
                await _check_seed_isolation(page, seeds, others, stats)
            n += 1
            if not taste or not titles:
                continue
            if not await _step(stats, "open Taste", page, lambda: _goto_page(page, "Taste"), TASTE_READY):
                break
            on_taste = True
            if stats.labels_added == 0 and not await _create_profile(page, profile, stats):
                break
            title = titles.pop(0)
            if await _label_one(page, title, profile, stats):
                stats.labels_added += 1
                await _check_label_isolation(page, profile, stats)
    except Exception as exc:  # noqa: BLE001
        stats.errors.append(f"session: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
    finally:
        await context.close()


async def _check_seed_isolation(page, seeds: list[str], others: set[str], stats: SessionStats) -> None:
    box_text = await _by_key(page, SEED_BOX_KEY, "textarea").input_value()
    shown = set(re.findall(r"[0-9A-Za-z]{22}", box_text))
    shown |= set(re.findall(r"[0-9A-Za-z]{22}", unquote(page.url)))
    for code in await page.locator('[data-testid="stCode"]').all_text_contents():
        shown |= set(re.findall(r"seeds=([0-9A-Za-z,]+)", code)[0].split(",")) if "seeds=" in code else set()
    _compare_seeds(shown, seeds, others, stats)


def _compare_seeds(shown: set[str], seeds: list[str], others: set[str], stats: SessionStats) -> None:
    leaked = shown & others
    if leaked:
        stats.isolation.append(f"another session's seeds on this page: {sorted(leaked)[:3]}")
    if set(seeds) - shown:
        stats.isolation.append(f"own seeds missing from the page: {sorted(set(seeds) - shown)[:3]}")


async def _create_profile(page, profile: str, stats: SessionStats) -> bool:
    field_ = _by_key(page, "taste_new_profile", "input")

    async def create() -> None:
        await field_.fill(profile)
        await field_.press("Enter")

    return await _step(stats, "create label profile", page, create,
                       {"path": "Taste", "text": rf"\b0 labels in profile '{re.escape(profile)}'"})


async def _label_one(page, title: str, profile: str, stats: SessionStats) -> bool:
    # A tab click draws nothing new (every tab is on the page already): no wait but for the
    # search box to be visible, which fill() waits for.
    await page.get_by_role("tab", name="Search the catalog").click()
    search = _by_key(page, "taste_search", "input")

    async def type_query() -> None:
        await search.fill(title)
        await search.press("Enter")

    # The track list appears only once a search has run (the page was opened with an empty box).
    if not await _step(stats, "label: search a title", page, type_query, {"path": "Taste", "key": "taste_search_pick"}):
        return False
    picker = _by_key(page, "taste_search_pick")

    async def pick() -> None:
        await picker.locator("input").first.click()
        await page.get_by_role("option").filter(has_text=title).first.click()
        await page.keyboard.press("Escape")

    if not await _step(stats, "label: pick the track", page, pick, {"path": "Taste", "tag": title}):
        return False
    liked = _by_key(page, "taste_search_1", "button")
    return await _step(stats, "label: Liked -> saved", page, liked.click,
                       {"path": "Taste", "text": _saved_text(stats.labels_added + 1, profile)})


async def _check_label_isolation(page, profile: str, stats: SessionStats) -> None:
    _compare_label_caption(await page.locator("body").inner_text(), profile, stats)


def _compare_label_caption(text: str, profile: str, stats: SessionStats) -> None:
    """The label caption names this session's profile and holds exactly the labels it added."""
    match = re.search(r"([\d,]+) labels? in profile '([^']*)'", text)
    if not match or match.group(2) != profile:
        stats.isolation.append(f"label caption names another profile: {match.group(0) if match else None}")
    elif int(match.group(1).replace(",", "")) != stats.labels_added:
        stats.isolation.append(f"profile {profile} holds {match.group(1)} labels, this session added "
                               f"{stats.labels_added}")


# ----------------------------------------------------------------------------- one session over the websocket

def _ws_problem(session: StreamlitSession, text: str | None, query: str | None) -> str | None:
    """What is wrong with the page after a run, if anything (same checks as IDLE_JS)."""
    if session.exceptions():
        return f"a stack trace is on the page: {session.exceptions()[0][:160]}"
    if session.compile_errors:
        return f"the page did not compile: {session.compile_errors[-1][:160]}"
    if session.page_not_found:
        return f"page not found: {session.page_not_found[-1]}"
    if query is not None and query not in unquote(session.query_string):
        return f"the address bar lacks {query!r}: {unquote(session.query_string)[:160]!r}"
    if text is not None and not re.search(text, session.page_text()):
        return f"the page lacks {text!r}"
    return None


def _ws_page_errors(session: StreamlitSession) -> str:
    """The st.error boxes on the page, to say why a step failed."""
    alerts = session.error_alerts()
    return f" (page shows: {' | '.join(a[:160] for a in alerts[:2])})" if alerts else ""


async def _ws_step(stats: SessionStats, kind: str, session: StreamlitSession,
                   action: Callable[[], Awaitable[object]], text: str | None = None, query: str | None = None,
                   path: str | None = None, check: Callable[[], str | None] | None = None) -> bool:
    """One timed interaction: its think pause, the action (which returns when the server has
    finished the run it asked for), the check of its result: ``text`` (a regex) on the page,
    ``query`` in the address bar, ``path`` the page's URL path, ``check()`` no problem."""
    if stats.think is not None:
        await stats.think()
    try:
        try:
            run_ = await action()
        except (SessionError, ConnectionClosed):
            if session.connected:
                raise
            # The connection dropped (its app process died behind the proxy): reconnect as the
            # frontend does, timed until the page is served again, then do the step again.
            started = time.perf_counter()
            await _reconnect(session)
            stats.reconnect_ms.append((time.perf_counter() - started) * 1000)
            stats.reconnect_connect_ms.append(session.connect_ms)
            run_ = await action()
    except Exception as exc:  # noqa: BLE001 - every failure counts as an error of this step
        stats.errors.append(f"{kind}: {type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
                            + _ws_page_errors(session))
        return False
    problem = _ws_problem(session, text, query)
    if problem is None and path is not None and session.page_path != path:
        problem = f"the page is {session.page_path!r}, not {path!r}"
    if problem is None and check is not None:
        problem = check()
    if problem:
        stats.errors.append(f"{kind}: {problem}" + _ws_page_errors(session))
        return False
    stats.add(kind, run_.wall_ms)
    stats.script_ms.setdefault(kind, []).append(run_.script_ms)
    return True


RECONNECT_ATTEMPTS = 5  # the frontend, too, tries again (with a back-off) before it gives up


async def _reconnect(session: StreamlitSession) -> None:
    """Reconnect; a refused handshake (the proxy's 502/503 while it learns a process died) is
    tried again after a short pause, as the frontend does."""
    for attempt in range(RECONNECT_ATTEMPTS):
        try:
            await session.reconnect()
            return
        except (OSError, InvalidStatus, ConnectionClosed):
            if attempt == RECONNECT_ATTEMPTS - 1:
                raise
            await asyncio.sleep(0.5 * (attempt + 1))


def _ws_has_code(session: StreamlitSession, wanted: str) -> Callable[[], str | None]:
    def check() -> str | None:
        if any(wanted in code.text for code in session.of_kind("code")):
            return None
        return f"no share link with {wanted!r}"
    return check


def _ws_has_widget(session: StreamlitSession, key: str) -> Callable[[], str | None]:
    def check() -> str | None:
        try:
            session.widget(key)
        except SessionError as exc:
            return str(exc)
        return None
    return check


async def run_ws_session(index: int, url: str, plan: Plan, state: RunState, taste: bool, run_id: str,
                         stats: SessionStats) -> None:
    """The flows of :func:`run_session`, over Streamlit's websocket protocol instead of a browser."""
    session = StreamlitSession(url, timeout=FIRST_LOAD_TIMEOUT_MS / 1000)
    stats.think = thinker(state.think_ms, index)
    others = {s for j, pool in enumerate(plan.seeds) if j != index for s in pool}
    pool = plan.seeds[index]
    titles = list(plan.titles[index])
    profile = f"load-{run_id}-{index}"
    recommend, taste_page = RECOMMEND_READY["path"], TASTE_READY["path"]
    try:
        await session.connect()
        # The first visit (not timed): Home, then Recommend from the sidebar, as a visitor goes.
        for first, ready in (("", None), (recommend, RECOMMEND_READY["text"])):
            await session.open_page(first)
            problem = _ws_problem(session, ready, None)
            if problem:
                raise SessionError(f"opening {first or 'Home'}: {problem}")
        session.timeout = STEP_TIMEOUT_MS / 1000
        state.ready.add(index)
        if state.start is not None:
            await state.start.wait()
        n = 0
        on_taste = False
        while state.another_round(n):
            if on_taste:
                if not await _ws_step(stats, "open Recommend", session, lambda: session.open_page(recommend),
                                      text=RECOMMEND_READY["text"], path=recommend):
                    break
                on_taste = False
            seeds = [pool[(3 * n + k) % len(pool)] for k in range(3)]

            async def paste_and_press(text: str = "\n".join(seeds)) -> object:
                await session.set_value(SEED_BOX_KEY, text, rerun=False)  # a draft in the form...
                return await session.click(GET_BUTTON_KEY)  # ...sent by its button

            joined = "seeds=" + ",".join(seeds)
            if await _ws_step(stats, "paste seeds -> recommendations", session, paste_and_press, text=RESULTS_TEXT,
                              query=joined, path=recommend, check=_ws_has_code(session, joined)):
                _check_ws_seed_isolation(session, seeds, others, stats)
            n += 1
            if not taste or not titles:
                continue
            if not await _ws_step(stats, "open Taste", session, lambda: session.open_page(taste_page),
                                  text=TASTE_READY["text"], path=taste_page):
                break
            on_taste = True
            if stats.reconnect_ms and not await _ws_own_profile(session, profile, stats):
                break
            if stats.labels_added == 0 and not await _ws_step(
                    stats, "create label profile", session, lambda: session.set_value("taste_new_profile", profile),
                    text=rf"\b0 labels in profile '{re.escape(profile)}'"):
                break
            if await _ws_label_one(session, titles.pop(0), profile, stats):
                stats.labels_added += 1
                _check_ws_label_isolation(session, profile, stats)
    except Exception as exc:  # noqa: BLE001
        stats.errors.append(f"session: {type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}")
    finally:
        await session.close()


async def _ws_own_profile(session: StreamlitSession, profile: str, stats: SessionStats) -> bool:
    """After a failover the new process knows nothing of the session's chosen profile (it was
    st.session_state): the Taste page shows the default one, and a person picks theirs again."""
    match = re.search(r"[\d,]+ labels? in profile '([^']*)'", session.page_text())
    if stats.labels_added == 0 or (match and match.group(1) == profile):
        return True
    stats.profile_reselected += 1
    return await _ws_step(stats, "re-open own profile after a failover", session,
                          lambda: session.set_value("taste_profile_select", profile),
                          text=rf"\b{stats.labels_added} labels? in profile '{re.escape(profile)}'")


async def _ws_label_one(session: StreamlitSession, title: str, profile: str, stats: SessionStats) -> bool:
    # The "Search the catalog" tab needs no request: every tab is on the page already.
    if not await _ws_step(stats, "label: search a title", session, lambda: session.set_value("taste_search", title),
                          check=_ws_has_widget(session, "taste_search_pick")):
        return False
    options = [o for o in session.widget("taste_search_pick").proto.options if o.startswith(title + " — ")]
    if len(options) != 1:
        stats.errors.append(f"label: search a title: {len(options)} options for {title!r}")
        return False
    if not await _ws_step(stats, "label: pick the track", session,
                          lambda: session.set_value("taste_search_pick", options)):
        return False
    if session.value("taste_search_pick") != options:
        stats.errors.append(f"label: pick the track: the page holds {session.value('taste_search_pick')}")
        return False
    return await _ws_step(stats, "label: Liked -> saved", session, lambda: session.click("taste_search_1"),
                          text=_saved_text(stats.labels_added + 1, profile))


def _check_ws_seed_isolation(session: StreamlitSession, seeds: list[str], others: set[str],
                             stats: SessionStats) -> None:
    """The seed box, the query string and the share link hold this session's seeds, no one else's."""
    shown = set(re.findall(r"[0-9A-Za-z]{22}", str(session.value(SEED_BOX_KEY) or "")))
    shown |= set(re.findall(r"[0-9A-Za-z]{22}", unquote(session.query_string)))
    for code in session.of_kind("code"):
        found = re.findall(r"seeds=([0-9A-Za-z,]+)", code.text)
        shown |= set(found[0].split(",")) if found else set()
    _compare_seeds(shown, seeds, others, stats)


def _check_ws_label_isolation(session: StreamlitSession, profile: str, stats: SessionStats) -> None:
    _compare_label_caption(session.page_text(), profile, stats)


# ----------------------------------------------------------------------------- the run

def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))]


SessionRunner = Callable[[int, Plan, RunState, bool, str, SessionStats], Awaitable[None]]


def client_cpu_seconds(server_pid: int, external: bool = False) -> float:
    """CPU time of the load client: this process (all threads) and its children but the server.
    ``external`` (a server given by URL, e.g. ``make serve``'s proxy): this process only, as the
    app processes, HAProxy and PostgreSQL may be its children (bench/serve_load.py)."""
    return time.process_time() + (0.0 if external else tree_cpu_seconds(os.getpid(), server_pid))


async def _drive_sessions(run_session_: SessionRunner, plan: Plan, sessions: int, duration: float, rounds: int,
                          taste: bool, sampler: RssSampler, run_id: str,
                          think_ms: float, external: bool = False,
                          on_start: Callable[[], None] | None = None
                          ) -> tuple[list[SessionStats], SessionStats, float]:
    # Warm-up: one session loads the catalog and fits the models (first visit, not timed), then
    # does three Recommend rounds (a count, not a time: the same work on any machine).
    sampler.phase = "1 session"
    warm = SessionStats(index=-1)
    warm_plan = Plan(seeds=[plan.seeds[0][-9:]], titles=[[]])
    await run_session_(0, warm_plan, RunState(rounds=3), False, run_id + "w", warm)
    await asyncio.sleep(1)
    sampler.sample_now()  # the settled value, whenever the sampling thread last woke
    sampler.phase = f"{sessions} sessions"
    stats = [SessionStats(index=i) for i in range(sessions)]
    state = RunState(rounds=rounds, start=asyncio.Event(), think_ms=think_ms)
    started = time.monotonic()
    tasks = [asyncio.create_task(run_session_(i, plan, state, taste, run_id, stats[i])) for i in range(sessions)]
    # Every session opens the Recommend page first; then all start together.
    while len(state.ready) < sessions and not all(t.done() for t in tasks):
        await asyncio.sleep(0.2)
        if time.monotonic() - started > FIRST_LOAD_TIMEOUT_MS / 1000:
            break
    opened = time.monotonic() - started
    state.deadline = time.monotonic() + duration
    cpu0 = (sampler.server_cpu(), client_cpu_seconds(sampler.pid, external), time.monotonic())
    state.start.set()
    if on_start is not None:  # e.g. kill an app process in the middle (bench/serve_load.py)
        threading.Thread(target=on_start, daemon=True).start()
    await asyncio.gather(*tasks)
    sampler.sample_now()
    cpu1 = (sampler.server_cpu(), client_cpu_seconds(sampler.pid, external), time.monotonic())
    sampler.cpu = {"server_cpu_s": round(cpu1[0] - cpu0[0], 1), "client_cpu_s": round(cpu1[1] - cpu0[1], 1),
                   "wall_s": round(cpu1[2] - cpu0[2], 1)}
    sampler.phase = "after"
    return stats, warm, opened


async def _drive(client: str, url: str, plan: Plan, sessions: int, duration: float, rounds: int, taste: bool,
                 sampler: RssSampler, run_id: str, think_ms: float, external: bool = False,
                 on_start: Callable[[], None] | None = None) -> tuple[list[SessionStats], SessionStats, float]:
    if client == "ws":
        async def over_ws(i: int, plan_: Plan, state: RunState, taste_: bool, run_id_: str, stats: SessionStats):
            await run_ws_session(i, url, plan_, state, taste_, run_id_, stats)

        return await _drive_sessions(over_ws, plan, sessions, duration, rounds, taste, sampler, run_id, think_ms,
                                     external, on_start)
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        async def in_chromium(i: int, plan_: Plan, state: RunState, taste_: bool, run_id_: str, stats: SessionStats):
            await run_session(i, browser, url, plan_, state, taste_, run_id_, stats)

        try:
            return await _drive_sessions(in_chromium, plan, sessions, duration, rounds, taste, sampler, run_id,
                                         think_ms, external, on_start)
        finally:
            await browser.close()


def run(sessions: int = 20, duration: float = 120.0, taste: bool = True, seed: int = 0,
        quiet: bool = False, write_json: bool = True, client: str = "ws", think_ms: float = 0.0,
        rounds: int = 1, url: str | None = None, server_pids: Callable[[], list[int]] | None = None,
        on_start: Callable[[], None] | None = None, label: str = "") -> dict:
    """Run the load test; returns the results (also written as JSON under bench/results/).

    Every session does at least ``rounds`` rounds (Recommend, then Taste) and goes on until
    ``duration`` seconds are up; ``duration=0``: exactly ``rounds`` rounds, on any machine.
    ``client``: ``"ws"`` (Streamlit's websocket protocol, no browser) or ``"browser"`` (Chromium).
    ``think_ms``: mean pause before each timed interaction of a session (0: back to back).
    ``url`` + ``server_pids``: drive a server that is already running (``make serve``'s proxy;
    RSS and CPU summed over the app processes) instead of starting one; a session whose
    connection drops reconnects (see :func:`run_ws_session`). ``on_start``: called in a thread
    when all sessions start (a fault to inject). ``label``: a word for the JSON file's name.
    """
    if client not in CLIENTS:
        raise ValueError(f"client must be one of {CLIENTS}, not {client!r}")
    if rounds < 1 or duration < 0:
        raise ValueError("rounds must be at least 1 and duration not negative")
    plan = make_plan(sessions, seed=seed, titles_each=max(12, rounds))
    run_id = f"{int(time.time()) % 100000}"
    load_before = os.getloadavg()
    external = url is not None
    if external and server_pids is None:
        raise ValueError("a server given by url needs server_pids (to sample its RSS and CPU)")
    with contextlib.ExitStack() as stack:
        if not external:
            data_dir = stack.enter_context(tempfile.TemporaryDirectory())
            url, proc = stack.enter_context(server(env={"TASTEMAP_DATA_DIR": data_dir}))
            server_pids = lambda: [proc.pid]  # noqa: E731
        sampler = RssSampler(server_pids)
        sampler.start()
        time.sleep(1.0)
        rss_bare = sampler.last("idle")
        t0 = time.monotonic()
        stats, warm, opened = asyncio.run(_drive(client, url, plan, sessions, duration, rounds, taste, sampler,
                                                  run_id, think_ms, external, on_start))
        wall = time.monotonic() - t0
        sampler.stop()
        server_alive = proc.poll() is None if not external else bool(sampler.pids())
    load_after = os.getloadavg()

    all_times = [ms for s in stats for v in s.times_ms.values() for ms in v]
    kinds = sorted({k for s in stats for k in s.times_ms})
    per_kind = {k: [ms for s in stats for ms in s.times_ms.get(k, [])] for k in kinds}
    per_kind_script = {k: [ms for s in stats for ms in s.script_ms.get(k, [])] for k in kinds}
    all_script = [ms for v in per_kind_script.values() for ms in v]
    result = {
        "client": client, "sessions": sessions, "duration_s": duration, "rounds_at_least": rounds,
        "think_ms": think_ms,
        "taste_flow": taste, "wall_s": round(wall, 1),
        "sessions_opened_in_s": round(opened, 1),
        "interactions": len(all_times),
        "errors": sum(len(s.errors) for s in stats),
        "error_examples": [e for s in stats for e in s.errors][:20],
        "warmup_errors": warm.errors,
        "isolation_violations": sum(len(s.isolation) for s in stats),
        "isolation_examples": [e for s in stats for e in s.isolation][:20],
        "server": url if external else "one streamlit run", "server_processes": len(sampler.pids()),
        "dropped_connections": sum(len(s.reconnect_ms) for s in stats),
        "reconnect_ms": sorted(round(ms) for s in stats for ms in s.reconnect_ms),
        "profile_reselected_after_failover": sum(s.profile_reselected for s in stats),
        "reconnect_handshake_ms": sorted(round(ms) for s in stats for ms in s.reconnect_connect_ms),
        "profiles": {f"load-{run_id}-{s.index}": s.labels_added for s in stats if s.labels_added},
        "labels_added": sum(s.labels_added for s in stats),
        "p50_ms": round(percentile(all_times, 50), 0), "p95_ms": round(percentile(all_times, 95), 0),
        "max_ms": round(max(all_times), 0) if all_times else None,
        "script_p50_ms": round(percentile(all_script, 50), 0),
        "script_p95_ms": round(percentile(all_script, 95), 0),
        "per_kind": {k: {"n": len(v), "p50_ms": round(percentile(v, 50)), "p95_ms": round(percentile(v, 95)),
                         "script_p50_ms": round(percentile(per_kind_script[k], 50)),
                         "script_p95_ms": round(percentile(per_kind_script[k], 95))}
                     for k, v in per_kind.items()},
        "per_session_interactions": [sum(len(v) for v in s.times_ms.values()) for s in stats],
        "rss_mib": {"bare server": round(rss_bare / 1024, 1),
                    "1 session (catalog + models loaded)": round(sampler.peak("1 session") / 1024, 1),
                    "1 session, settled after the warm-up": round(sampler.last("1 session") / 1024, 1),
                    f"peak with {sessions} sessions": round(sampler.peak(f"{sessions} sessions") / 1024, 1)},
        "rss_samples": [(round(t, 1), kib, phase) for t, kib, phase in sampler.samples[::4]],
        "cpu_during_load": sampler.cpu,
        "server_alive_after": server_alive,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(),
    }
    # Per extra session: from the settled warm-up (the warm-up's peak holds transient fitting memory).
    one, many = result["rss_mib"]["1 session, settled after the warm-up"], result["rss_mib"][f"peak with {sessions} sessions"]
    result["rss_mib_per_extra_session"] = round((many - one) / max(1, sessions - 1), 1)
    if not quiet:
        print_table(result)
    if not write_json:
        return result
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    think = f"-think{int(think_ms)}ms" if think_ms > 0 else ""
    path = RESULTS / f"load-{client}{'-' + label if label else ''}-{sessions}x{int(duration)}s-{rounds}r{think}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    result["json"] = str(path.relative_to(ROOT))
    if not quiet:
        print(f"results: {result['json']}")
    return result


def print_table(r: dict) -> None:
    la = lambda xs: ", ".join(f"{x:.1f}" for x in xs)  # noqa: E731
    client = r.get("client", "browser")
    who = "websocket (no browser)" if client == "ws" else "Chromium"
    pace = (f"a pause of {r['think_ms']:.0f} ms on average before each interaction" if r.get("think_ms")
            else "interactions back to back")
    span = (f"for {r['duration_s']:.0f} s and at least {r.get('rounds_at_least', 1)} round(s) each" if r["duration_s"]
            else f"for {r.get('rounds_at_least', 1)} round(s) each")
    print(f"Load test: {r['sessions']} concurrent {who} sessions {span} against one "
          f"streamlit server, {pace} ({r['cpus']} CPUs; load average before {la(r['load_average_before'])}, "
          f"after {la(r['load_average_after'])})")
    print(f"{'measure':58s} {'value':>10s}  goal")
    goal = "ok" if r["p95_ms"] <= P95_GOAL_MS else "MISSED"
    rows = [
        ("interactions done", f"{r['interactions']:,}", ""),
        ("errors", f"{r['errors']}", "0 " + ("ok" if r["errors"] == 0 else "MISSED")),
        ("isolation violations", f"{r['isolation_violations']}", "0 " + ("ok" if r["isolation_violations"] == 0 else "MISSED")),
        ("labels saved", f"{r['labels_added']}", ""),
        ("interaction time p50 (ms)", f"{r['p50_ms']:.0f}", ""),
        ("interaction time p95 (ms)", f"{r['p95_ms']:.0f}", f"< {P95_GOAL_MS:.0f} {goal}"),
        ("interaction time max (ms)", f"{r['max_ms']:.0f}" if r["max_ms"] is not None else "-", ""),
        ("  of which page script running, p50 (ms)", f"{r['script_p50_ms']:.0f}", ""),
        ("  of which page script running, p95 (ms)", f"{r['script_p95_ms']:.0f}", ""),
    ]
    for name, mib in r["rss_mib"].items():
        rows.append((f"server RSS, {name} (MiB)", f"{mib:,.0f}", ""))
    rows.append(("server RSS per extra session (MiB, peak minus settled)", f"{r['rss_mib_per_extra_session']:.1f}", ""))
    cpu = r.get("cpu_during_load") or {}
    if cpu:
        wall = max(cpu["wall_s"], 1e-9)
        rows.append(("CPU during the load: server (cores busy)", f"{cpu['server_cpu_s'] / wall:.2f}", ""))
        client_cpu = cpu.get("client_cpu_s", cpu.get("browser_cpu_s", 0.0))
        rows.append((f"CPU during the load: load client, {client} (cores busy)", f"{client_cpu / wall:.2f}", ""))
    for name, value, g in rows:
        print(f"{name:58s} {value:>10s}  {g}")
    print("(page script running: " + (
        "from each run's new_session to its script_finished, as this client received them; both pass\n"
        " through the server's event loop, which busy script threads hold back, so under load this understates)"
        if client == "ws" else "while the app's data-test-script-state said 'running', the browser's view)"))
    print(f"\n{'interaction':34s} {'n':>6s} {'p50 ms':>8s} {'p95 ms':>8s} {'script p50':>11s} {'script p95':>11s}")
    for kind, v in r["per_kind"].items():
        print(f"{kind:34s} {v['n']:6d} {v['p50_ms']:8.0f} {v['p95_ms']:8.0f} {v['script_p50_ms']:11.0f} "
              f"{v['script_p95_ms']:11.0f}")
    if r["error_examples"]:
        print("\nerrors (first 20):\n  " + "\n  ".join(r["error_examples"]))
    if r["isolation_examples"]:
        print("\nisolation (first 20):\n  " + "\n  ".join(r["isolation_examples"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--duration", type=float, default=120.0,
                        help="seconds of load after warm-up (0: just the --rounds)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds (Recommend, then Taste) every session does at least, however long they take")
    parser.add_argument("--no-taste", action="store_true", help="Recommend flow only")
    parser.add_argument("--client", choices=CLIENTS, default="ws",
                        help="ws: Streamlit's websocket protocol from this process (default); browser: Chromium")
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="mean pause before each interaction of a session, like a person reading the "
                             "result (uniform 0.5x-1.5x; default 0: back to back)")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 50 or not 0 <= args.duration <= 600 or not 1 <= args.rounds <= 100:
        parser.error("keep it bounded: 1-50 sessions, 0-600 seconds, 1-100 rounds")
    if not 0 <= args.think_ms <= 60_000:
        parser.error("--think-ms: 0-60000")
    if args.client == "browser" and not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium (make browser).")
        return 2
    r = run(args.sessions, args.duration, taste=not args.no_taste, client=args.client, think_ms=args.think_ms,
            rounds=args.rounds)
    return 0 if r["errors"] == 0 and r["isolation_violations"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
