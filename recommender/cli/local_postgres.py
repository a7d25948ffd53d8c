"""PostgreSQL for ``make serve``: Debian's ``initdb`` / ``pg_ctl`` on a cluster in a folder.

Created once (with a random password kept beside it, readable only by its owner), then started
on a free 127.0.0.1 port each time. ``recommender.cli.serve`` starts it when
``TASTEMAP_DATABASE_URL`` is not set.
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import socket
import subprocess
from pathlib import Path

PG_USER, PG_DATABASE = "tastemap", "tastemap"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class LocalPostgres:
    """A PostgreSQL cluster in ``folder`` (created on first use), on a free loopback port.

    PostgreSQL refuses to run as root; under root the server runs as ``nobody``.
    """

    def __init__(self, folder: Path) -> None:
        found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
        if not found:
            raise RuntimeError("PostgreSQL's server binaries are missing (/usr/lib/postgresql/*/bin): "
                               "run `make postgres`, or set TASTEMAP_DATABASE_URL to a server you have.")
        self.bindir = max(found, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)
        self.folder, self.data, self.sockets = folder, folder / "data", folder / "sock"
        self.log, self.password_file = folder / "server.log", folder / "password"
        self.port = 0
        self._as: dict = {}
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self._as = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}

    def _own(self, *paths: Path) -> None:
        for path in paths:
            if self._as:
                os.chown(path, self._as["user"], self._as["group"])

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([str(self.bindir / tool), *args], cwd=self.folder, capture_output=True, text=True,
                              env={**os.environ, "LC_ALL": "C"}, **self._as)
        if done.returncode != 0:
            tail = self.log.read_text(errors="replace")[-1500:] if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}\n{tail}")

    def _initdb(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o711)  # the server's user may pass through; only we read the password
        password = secrets.token_urlsafe(24)
        for folder in (self.data, self.sockets):
            folder.mkdir(mode=0o700, exist_ok=True)
            self._own(folder)
        pwfile = self.sockets / "initdb-password"
        pwfile.write_text(password + "\n")
        self._own(pwfile)
        try:
            self._run("initdb", "-D", str(self.data), "-U", PG_USER, f"--pwfile={pwfile}", "-E", "UTF8",
                      "--locale=C", "--auth-host=scram-sha-256", "--auth-local=scram-sha-256")
        finally:
            pwfile.unlink(missing_ok=True)
        self.password_file.touch(mode=0o600)
        self.password_file.write_text(password + "\n")

    def start(self) -> str:
        """Start (creating the cluster the first time); returns the database URL."""
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        self.log.touch()
        self._own(self.log)
        self.port = free_port()
        options = f"-p {self.port} -h 127.0.0.1 -k {self.sockets}"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "120", "start")
        self._create_database()
        return self.url()

    def url(self, database: str = PG_DATABASE) -> str:
        password = self.password_file.read_text().strip()
        return f"postgresql://{PG_USER}:{password}@127.0.0.1:{self.port}/{database}"

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,)).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')

    def restart(self) -> None:
        """Stop and start on the same port (bench/serve_load.py restarts it mid-run)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "120", "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "120", "stop")
