"""`make serve`: two app processes behind HAProxy, with a real PostgreSQL, on free loopback ports.

Started as `make serve` starts it (`python -m recommender serve`), here with `--no-restart`
so a killed process stays down. Checked through the proxy with the project's websocket client
(bench/ws_session.py): both processes healthy, a session kept on one process by the sticky
cookie, and after `kill -9` of that process the same session, reconnecting with its old cookie,
is served by the other. Every wait is on readiness (the launcher's "Tastemap on" line, a page
drawn); the timeouts only guard against a hang. Needs HAProxy (`make haproxy`) and PostgreSQL's
server binaries (`make postgres`); skipped without them.
"""
from __future__ import annotations

import asyncio
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from recommender.cli.serve import COOKIE, haproxy_config, healthy
from tests.support.paths import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists(),
                       reason="HAProxy is missing: run `make haproxy`"),
    pytest.mark.skipif(not glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                       reason="PostgreSQL's server binaries are missing: run `make postgres`"),
]
READY_GUARD_S = 600  # a hang guard on a busy machine, not a speed goal


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    def __init__(self, proc: subprocess.Popen, url: str, run_dir: Path) -> None:
        self.proc, self.url, self.run_dir = proc, url, run_dir

    def stats(self) -> dict[str, dict[str, str]]:
        """HAProxy's `show stat` for the app processes: name -> row (status, stot ...)."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.run_dir / "haproxy.sock"))
            s.sendall(b"show stat\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:] if line]
        return {r["svname"]: r for r in rows if r["pxname"] == "streamlit" and r["svname"].startswith("app")}

    def backend_ports(self) -> dict[str, int]:
        text = (self.run_dir / "haproxy.cfg").read_text()
        return {name: int(port) for name, port in re.findall(r"server (app\d+) 127\.0\.0\.1:(\d+)", text)}

    def backend_pid(self, name: str) -> int:
        port = str(self.backend_ports()[name])
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if b"streamlit" in b" ".join(argv) and port.encode() in argv:
                    return int(entry)
        raise LookupError(f"no process for {name}")


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    data = Path(tempfile.mkdtemp(prefix="tastemap-serve-"))
    data.chmod(0o711)  # PostgreSQL runs as nobody under root and must reach its folder
    port = _free_port()
    env = {**os.environ, "TASTEMAP_DATA_DIR": str(data)}
    env.pop("TASTEMAP_DATABASE_URL", None)  # the launcher starts its own PostgreSQL
    proc = subprocess.Popen([sys.executable, "-m", "recommender", "serve", "-n", "2", "--no-restart",
                             "--bind", f"127.0.0.1:{port}"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line)
            if "Tastemap on" in line:
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        ready.wait(READY_GUARD_S)
        assert proc.poll() is None and any("Tastemap on" in line for line in lines), "".join(lines)[-3000:]
        yield Served(proc, f"http://127.0.0.1:{port}", data / "serve")
    finally:
        proc.send_signal(signal.SIGINT)  # as Ctrl-C: it stops what it started
        try:
            proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
            shutil.rmtree(data, ignore_errors=True)
    assert proc.returncode == 0, "".join(lines)[-3000:]
    assert "serve: stopped" in "".join(lines)


def test_both_app_processes_are_healthy_through_the_proxy(served: Served):
    assert healthy(served.url)
    for port in served.backend_ports().values():
        assert healthy(f"http://127.0.0.1:{port}")
    # "UP", or "UP 1/3" after a check answered late on a busy machine: still in service.
    status = {name: row["status"].split()[0] for name, row in served.stats().items()}
    assert status == {"app1": "UP", "app2": "UP"}


def test_a_session_stays_on_its_process_and_moves_when_that_process_dies(served: Served):
    # Imported here: they need `websockets` (see FAST_TESTS in the Makefile).
    from bench.load_test import _reconnect
    from bench.ws_session import StreamlitSession

    async def scenario() -> None:
        session = StreamlitSession(served.url, timeout=READY_GUARD_S)
        await session.connect()
        try:
            home = await session.open_page("")
            assert home.runs >= 1 and not session.exceptions()
            first = session.backend
            assert first in {"app1", "app2"}, session.cookies
            other = ({"app1", "app2"} - {first}).pop()
            # Sticky: reconnecting with the cookie lands on the same process every time.
            before = served.stats()
            for _ in range(3):
                await session.reconnect()
                assert session.backend == first and not session.exceptions()
            after = served.stats()
            assert int(after[first]["stot"]) >= int(before[first]["stot"]) + 3
            assert after[other]["stot"] == before[other]["stot"]

            # kill -9 of that process: the session's connection drops...
            os.kill(served.backend_pid(first), signal.SIGKILL)
            with pytest.raises(Exception, match="closed"):
                await session.open_page("Recommend")
            # ...and reconnecting with the old cookie is served by the other process (a refused
            # handshake is tried again, as the frontend does: bench.load_test._reconnect).
            await _reconnect(session)
            await session.open_page("Recommend")
            assert session.backend == other
            assert "Seed tracks" in session.page_text() and not session.exceptions()
        finally:
            await session.close()

    asyncio.run(scenario())


def test_the_compose_proxy_config_matches_the_one_serve_writes():
    """docs/deploy/haproxy.cfg (compose) keeps what makes `make serve` work."""
    written = haproxy_config("127.0.0.1:8501", [("app1", 9001)], Path("/tmp/x.sock"))
    deployed = (ROOT / "docs" / "deploy" / "haproxy.cfg").read_text()
    for line in ("timeout tunnel 1h", "option redispatch 1",
                 "retry-on conn-failure empty-response response-timeout", f"cookie {COOKIE} insert indirect nocache httponly",
                 "option httpchk GET /_stcore/health", "http-check expect status 200", "balance leastconn",
                 "timeout check 5s", "check inter 2s fall 3 rise 2"):
        assert line in written and line in deployed, line
