"""``svcforge dev up`` / ``svcforge dev down``: PostgreSQL, Redis and the
Kafka-protocol broker on loopback for a manual run of a service.

``up`` starts them with the launchers the test fixtures use
(``svcforge.testing.servers``), prints the environment variables that point
the service's generated ``Settings`` at them (``eval "$(svcforge dev up)"``)
and writes what it started to a state file in the service root.  ``down``
stops exactly those processes: each PID is checked against the start time
``up`` recorded, so a PID the system has since given to another process is
left alone.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from generator.errors import UsageError
from generator.frontends.jsonschema.config import env_prefix
from generator.frontends.jsonschema.config_runtime import RUNTIME_GROUPS
from generator.manifest import PYPROJECT, declares_service, find_root, load_manifest

STATE = ".svcforge/dev.json"
"""Where ``up`` records what it started, relative to the service root."""
SERVERS = ("postgres", "redis", "kafka")
_FIELDS = {"postgres": "url", "redis": "url", "kafka": "bootstrap_servers"}
"""The runtime setting that says where each server is."""


@dataclass(frozen=True, slots=True)
class Started:
    name: str
    pid: int
    started: str
    """The process's start time (``/proc/<pid>/stat``), "" where unknown."""
    address: str
    workdir: str
    stop_signal: int


def dev_up(start: Path, only: tuple[str, ...] | None) -> int:
    root, prefix, uses = _service(start)
    state = root / STATE
    running = _read_state(state)
    if running and all(_alive(s) for s in running["servers"]):
        print(f"svcforge dev: already up ({_shown(state)})", file=sys.stderr)
        print(running["exports"], end="")
        return 0
    if running:
        _stop_all(running["servers"])
    wanted = only or uses or SERVERS
    names = [n for n in SERVERS if n in wanted]
    started: list[Started] = []
    try:
        for name in names:
            started.append(_start(name))
            print(
                f"svcforge dev: started {name} (pid {started[-1].pid}) on "
                f"{started[-1].address}",
                file=sys.stderr,
            )
    except Exception as exc:
        _stop_all([asdict(s) for s in started])
        raise UsageError(f"dev up: {exc}") from None
    exports = "".join(f"export {k}={v}\n" for k, v in _variables(prefix, started))
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(
        json.dumps({"servers": [asdict(s) for s in started], "exports": exports})
    )
    print(exports, end="")
    print(
        f"svcforge dev: `svcforge dev down` stops them ({_shown(state)})",
        file=sys.stderr,
    )
    return 0


def dev_down(start: Path) -> int:
    root, _, _ = _service(start)
    state = root / STATE
    running = _read_state(state)
    if running is None:
        print(f"svcforge dev: nothing to stop (no {_shown(state)})", file=sys.stderr)
        return 0
    _stop_all(running["servers"])
    state.unlink()
    with_files = state.parent
    if with_files.is_dir() and not any(with_files.iterdir()):
        with_files.rmdir()
    return 0


def _service(start: Path) -> tuple[Path, str, tuple[str, ...]]:
    """The service root, its variables' prefix and the servers it uses; a
    folder outside any service gets unprefixed variables and every server."""
    root = find_root(start)
    if not declares_service(root / PYPROJECT):
        return root, "", ()
    manifest = load_manifest(root)
    return root, env_prefix(manifest.name), manifest.uses


def _start(name: str) -> Started:
    from svcforge.testing import servers

    if name == "postgres":
        pg = servers.start_postgres()
        return _record(name, pg, pg.dsn(), signal.SIGINT)  # fast shutdown
    if name == "redis":
        redis = servers.start_redis()
        return _record(name, redis, redis.url, signal.SIGTERM)
    kafka = servers.start_kafka()
    return _record(name, kafka, kafka.bootstrap, signal.SIGTERM)


def _record(name: str, server: Any, address: str, sig: int) -> Started:
    return Started(
        name, server.pid, _start_time(server.pid), address, str(server.workdir), sig
    )


def _variables(prefix: str, started: list[Started]) -> list[tuple[str, str]]:
    groups = {part: attr for attr, part, *_ in RUNTIME_GROUPS if part}
    # Nested settings are joined by "__" after the service's prefix; outside
    # a service, the names are the usual ones (DATABASE_URL, REDIS_URL).
    joint = "__" if prefix else "_"
    # One name per setting: svcforge migrate reads the service's own
    # variable (<PREFIX>_DATABASE__URL) too.
    return [
        (f"{prefix}{groups[s.name]}{joint}{_FIELDS[s.name]}".upper(), s.address)
        for s in started
    ]


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: unreadable ({exc}); remove it") from None
    if not isinstance(data, dict) or not isinstance(data.get("servers"), list):
        raise UsageError(f"{path}: not a svcforge dev state file; remove it")
    return data


def _start_time(pid: int) -> str:
    """Field 22 of ``/proc/<pid>/stat``: when the process started, in clock
    ticks since boot; with the PID it names one process for good."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name (field 2) may hold spaces; it ends at the last ')'.
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(server: dict[str, Any]) -> bool:
    """Whether the process ``up`` started is still running (not a zombie)."""
    pid = int(server["pid"])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if not server.get("started"):
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat.rsplit(")", 1)[1].split()
    return fields[19] == server["started"] and fields[0] != "Z"


def _stop_all(servers: list[dict[str, Any]]) -> None:
    for server in reversed(servers):
        _stop(server)


def _stop(server: dict[str, Any]) -> None:
    name, pid = server["name"], int(server["pid"])
    if _alive(server):
        os.kill(pid, int(server["stop_signal"]))
        if not _wait(lambda: not _alive(server) or _reaped(pid), 10.0):
            os.kill(pid, signal.SIGKILL)
            _wait(lambda: not _alive(server) or _reaped(pid), 5.0)
        print(f"svcforge dev: stopped {name} (pid {pid})", file=sys.stderr)
    else:
        print(f"svcforge dev: {name} (pid {pid}) had already stopped", file=sys.stderr)
    shutil.rmtree(server["workdir"], ignore_errors=True)


def _reaped(pid: int) -> bool:
    """Reap ``pid`` if it is a child of this process that has exited."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == pid


def _wait(done: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.05)
    return done()


def _shown(path: Path) -> str:
    rel = os.path.relpath(path)
    return rel if len(rel) < len(str(path)) else str(path)
