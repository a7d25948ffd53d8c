"""Several app processes behind one port: ``python -m recommender serve -n 4`` (``make serve N=4``).

What it starts, in order, and stops again on Ctrl-C (or SIGTERM):

1. PostgreSQL for the labels, unless ``TASTEMAP_DATABASE_URL`` is set: Debian's ``initdb`` /
   ``pg_ctl`` on a cluster kept in ``.tastemap/postgres`` (created once, with a random password
   in ``.tastemap/postgres/password``), listening on a free 127.0.0.1 port. Every app process
   gets its URL, so all of them share one label store.
2. The fitted-model disk cache, warmed once in a child process (the default catalog and every
   method the Recommend page offers), so the app processes load fits from disk, not refit each.
3. N ``streamlit run app.py`` processes on free 127.0.0.1 ports, waited for until each answers
   ``/_stcore/health``. They share one cookie secret (XSRF tokens stay valid on any of them).
4. HAProxy on one port (default 127.0.0.1:8501; ``--bind 0.0.0.0:8501`` serves others, an
   explicit choice): an inserted cookie keeps a browser session on one process for its
   websocket, ``timeout tunnel`` keeps websockets open, health checks on ``/_stcore/health``
   take a dead process out, and ``option redispatch`` sends its sessions to another one.

A process that dies is started again (``--no-restart`` leaves it down). HAProxy's runtime
socket (``show stat``) is ``.tastemap/serve/haproxy.sock``. This module only starts processes:
it imports no Streamlit. Documented in docs/reliability.md ("Several app processes").
"""
from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from ..files import data_dir
from .local_postgres import LocalPostgres, free_port

ROOT = Path(__file__).resolve().parents[2]
COOKIE = "TASTEMAP_BACKEND"  # HAProxy's sticky-session cookie: its value names the app process
HEALTH = "/_stcore/health"
READY_TIMEOUT_S = 300.0  # a hang guard on a busy machine, not a speed goal


def healthy(url: str, timeout: float = 2.0) -> bool:
    """True when ``url`` + ``/_stcore/health`` answers 200."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + HEALTH, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def wait_healthy(url: str, proc: subprocess.Popen, what: str, timeout: float = READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not healthy(url):
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} before it answered {HEALTH}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer {url}{HEALTH} within {timeout:.0f} s")
        time.sleep(0.2)


# ----------------------------------------------------------------------------- the fit cache

def warm_fit_cache() -> list[str]:
    """Load the default catalog and fit every dashboard method through the disk cache, with the
    keys ``ui/data.py`` uses, so app processes find them there. Returns what was warmed."""
    import hashlib

    from ..cache import FitCache
    from ..catalog import DEFAULT_CATALOG_PATH, load_default_catalog
    from ..recommenders import METHODS
    from .fit import fit_into_cache

    cache = FitCache()
    digest = hashlib.sha256(DEFAULT_CATALOG_PATH.read_bytes()).hexdigest()
    catalog = cache.get_or_build(cache.key("default_catalog", digest, {}), load_default_catalog)
    # "sound" needs a scanned audio library (the default catalog has none): the app says so itself.
    ready = fit_into_cache(catalog, METHODS, cache=cache, say=lambda line: print(f"serve: {line}", file=sys.stderr))
    return ["default catalog", *(method for method, ok in ready.items() if ok)]


# ----------------------------------------------------------------------------- HAProxy

def haproxy_config(bind: str, backends: list[tuple[str, int]], stats_socket: Path) -> str:
    """The proxy's configuration; docs/deploy/haproxy.cfg is the same for compose."""
    servers = "\n".join(f"    server {name} 127.0.0.1:{port} cookie {name} check inter 2s fall 3 rise 2"
                        for name, port in backends)
    return f"""# Written by recommender/cli/serve.py; docs/deploy/haproxy.cfg is the compose version.
global
    maxconn 4096
    stats socket {stats_socket} mode 600 level admin

defaults
    mode http
    option httplog
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    # A websocket lives as long as its browser tab: after the upgrade this timeout applies.
    timeout tunnel 1h
    timeout client-fin 5s
    # A session whose process died (its cookie names a dead server) goes to another one at the
    # first retry, not after every retry on the dead one (about 1 s each).
    option redispatch 1
    retries 3
    # Also when a process dying right then accepted the connection and closed it unanswered.
    retry-on conn-failure empty-response response-timeout
    # A process busy with a long script run answers its health check late, not never.
    timeout check 5s

frontend tastemap
    bind {bind}
    default_backend streamlit

backend streamlit
    balance leastconn
    # One browser session stays on one process (its websocket and its uploads live there).
    cookie {COOKIE} insert indirect nocache httponly
    option httpchk GET {HEALTH}
    http-check expect status 200
{servers}
"""


def find_haproxy() -> str:
    found = shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy",) if Path(p).exists()), None)
    if found is None:
        raise RuntimeError("HAProxy is missing: run `make haproxy` (apt-get install haproxy).")
    return found


# ----------------------------------------------------------------------------- the group

class Group:
    """Everything ``serve`` started, stopped in reverse order by :meth:`stop`."""

    def __init__(self, processes: int, bind: str, run_dir: Path, restart: bool = True) -> None:
        self.n, self.bind, self.run_dir, self.restart_dead = processes, bind, run_dir, restart
        self.postgres: LocalPostgres | None = None
        self.env = dict(os.environ)
        self.backends: dict[str, tuple[int, subprocess.Popen]] = {}
        self.haproxy: subprocess.Popen | None = None
        self.stats_socket = run_dir / "haproxy.sock"

    @property
    def url(self) -> str:
        host, port = self.bind.rsplit(":", 1)
        return f"http://{'127.0.0.1' if host in ('', '0.0.0.0', '*') else host}:{port}"

    def start(self, warm: bool = True) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if not self.env.get("TASTEMAP_DATABASE_URL"):
            self.postgres = LocalPostgres(data_dir() / "postgres")
            self.env["TASTEMAP_DATABASE_URL"] = self.postgres.start()
            print(f"serve: PostgreSQL on 127.0.0.1:{self.postgres.port} (cluster in {self.postgres.folder})")
        # One secret for every process, so a browser's XSRF cookie is valid on any of them.
        self.env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_urlsafe(32))
        if warm:
            done = subprocess.run([sys.executable, "-m", "recommender.cli.serve", "--warm-only"], cwd=ROOT,
                                  env=self.env)
            if done.returncode != 0:
                print("serve: warming the fit cache failed; each process will fit on first use", file=sys.stderr)
        for i in range(1, self.n + 1):
            self._start_backend(f"app{i}")
        for name, (port, proc) in self.backends.items():
            wait_healthy(f"http://127.0.0.1:{port}", proc, f"app process {name}")
        self._start_haproxy()
        print(f"serve: Tastemap on {self.url} ({self.n} app processes behind HAProxy). Ctrl-C stops it.",
              flush=True)

    def _start_backend(self, name: str, port: int | None = None) -> None:
        port = port or free_port()
        log = open(self.run_dir / f"{name}.log", "ab")  # noqa: SIM115 - kept open by the child
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.backends[name] = (port, proc)

    def _start_haproxy(self) -> None:
        config = self.run_dir / "haproxy.cfg"
        config.write_text(haproxy_config(self.bind, [(n, p) for n, (p, _) in self.backends.items()],
                                         self.stats_socket))
        haproxy = find_haproxy()
        check = subprocess.run([haproxy, "-c", "-q", "-f", str(config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"HAProxy refused {config}: {check.stderr.strip()[:1500]}")
        log = open(self.run_dir / "haproxy.log", "ab")  # noqa: SIM115
        self.haproxy = subprocess.Popen([haproxy, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_healthy(self.url, self.haproxy, "HAProxy")

    def check(self) -> None:
        """Start again any app process that died (same name and port); HAProxy puts it back in
        service once its health check answers. Raises when HAProxy itself died."""
        if self.haproxy is not None and self.haproxy.poll() is not None:
            raise RuntimeError(f"HAProxy exited (code {self.haproxy.returncode}); see {self.run_dir}/haproxy.log")
        for name, (port, proc) in list(self.backends.items()):
            if proc.poll() is not None and self.restart_dead:
                print(f"serve: {name} exited (code {proc.returncode}); starting it again", flush=True)
                self._start_backend(name, port)

    def pids(self) -> list[int]:
        """The app processes' ids (for RSS and CPU sampling)."""
        return [proc.pid for _, proc in self.backends.values()]

    def watch(self) -> None:
        """Forever (until Ctrl-C): :meth:`check` every second."""
        while True:
            self.check()
            time.sleep(1.0)

    def stop(self) -> None:
        procs = [p for _, p in self.backends.values()] + ([self.haproxy] if self.haproxy else [])
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.postgres is not None:
            self.postgres.stop()


@contextlib.contextmanager
def running_group(processes: int = 2, bind: str = "127.0.0.1:8501", run_dir: Path | None = None,
                  restart: bool = True, warm: bool = True) -> Iterator[Group]:
    group = Group(processes, bind, run_dir or data_dir() / "serve", restart=restart)
    try:
        group.start(warm=warm)
        yield group
    finally:
        group.stop()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", "--processes", type=int, default=2, help="app processes (default 2)")
    parser.add_argument("--bind", default=None,
                        help="HAProxy's address, HOST:PORT (default 127.0.0.1:8501; 0.0.0.0:8501 serves others)")
    parser.add_argument("--run-dir", type=Path, default=None, help="logs, config and socket (.tastemap/serve)")
    parser.add_argument("--no-restart", action="store_true", help="leave a process that died down")
    parser.add_argument("--no-warm", action="store_true", help="do not warm the fit cache first")
    parser.add_argument("--warm-only", action="store_true", help=argparse.SUPPRESS)


def register(sub: argparse._SubParsersAction) -> None:
    """``python -m recommender serve``: the same as ``python -m recommender.cli.serve``."""
    parser = sub.add_parser("serve", help="several app processes behind HAProxy on one port, labels in PostgreSQL")
    add_arguments(parser)
    parser.set_defaults(func=lambda args: run(_checked(parser, args)))


def _checked(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    if not 1 <= args.processes <= 64:
        parser.error("--processes: 1-64")
    if args.bind is None:
        args.bind = f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or 8501}"
    if ":" not in args.bind:
        parser.error("--bind takes HOST:PORT")
    return args


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m recommender.cli.serve", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return _checked(parser, parser.parse_args(argv))


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


def run(args: argparse.Namespace) -> int:
    if args.warm_only:
        print("serve: fit cache warm: " + ", ".join(warm_fit_cache()), flush=True)
        return 0

    def on_signal(signum: int, _frame: object) -> None:
        # Once: the stopping itself (in running_group) must not be interrupted.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        with running_group(args.processes, args.bind, args.run_dir, restart=not args.no_restart,
                           warm=not args.no_warm) as group:
            group.watch()
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 2
    print("serve: stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
