"""``svcforge dev up`` / ``down``: real servers on loopback for a manual run,
the variables that point the service's settings at them, and a state file so
that ``down`` stops exactly what ``up`` started."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from generator.cli import main

BIN = Path(sys.executable).parent
MANIFEST = """[project]
name = "dev-svc"

[tool.svcforge]
package = "dev_svc"
uses = [{uses}]
"""
SETTINGS = '{"type": "object", "properties": {"level": {"type": "string", "default": "info"}}}\n'


def svcforge(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [str(BIN / "svcforge"), *args],
        cwd=cwd,
        env={**environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def make_service(root: Path, uses: str) -> Path:
    (root / "schemas/config").mkdir(parents=True)
    (root / "pyproject.toml").write_text(MANIFEST.format(uses=uses))
    (root / "schemas/config/settings.json").write_text(SETTINGS)
    return root


def exports(stdout: str) -> dict[str, str]:
    pairs = re.findall(r"^export ([A-Z_]+)=(\S+)$", stdout, re.MULTILINE)
    assert len(pairs) == len(stdout.splitlines()), stdout
    return dict(pairs)


def running(pid: int) -> bool:
    """Alive and not a zombie (the servers outlive ``up``, their parent)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def started_pids(stderr: str) -> dict[str, int]:
    return {
        name: int(pid)
        for name, pid in re.findall(r"started (\w+) \(pid (\d+)\)", stderr)
    }


def port_answers(address: str, payload: bytes, expect: bytes) -> bool:
    host, port = re.findall(r"(127\.0\.0\.1):(\d+)", address)[0]
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(payload)
        return s.recv(64).startswith(expect) if payload else True


def test_up_starts_all_three_and_down_stops_exactly_them(tmp_path: Path) -> None:
    svc = make_service(tmp_path / "dev-svc", '"kafka", "postgres", "redis"')
    sub = svc / "schemas/config"
    up = svcforge("dev", "up", cwd=sub)  # from a subfolder: the root's state
    assert up.returncode == 0, up.stderr
    env = exports(up.stdout)
    # One name per setting: svcforge migrate reads DEV_SVC_DATABASE__URL too.
    assert sorted(env) == [
        "DEV_SVC_DATABASE__URL",
        "DEV_SVC_KAFKA__BOOTSTRAP_SERVERS",
        "DEV_SVC_REDIS__URL",
    ]
    pids = started_pids(up.stderr)
    assert sorted(pids) == ["kafka", "postgres", "redis"]
    assert all(running(p) for p in pids.values())
    assert port_answers(env["DEV_SVC_REDIS__URL"], b"PING\r\n", b"+PONG")
    assert port_answers(env["DEV_SVC_KAFKA__BOOTSTRAP_SERVERS"], b"", b"")

    async def select_one() -> int:
        conn = await asyncpg.connect(env["DEV_SVC_DATABASE__URL"])
        try:
            return int(await conn.fetchval("SELECT 1"))
        finally:
            await conn.close()

    assert asyncio.run(select_one()) == 1
    state = json.loads((svc / ".svcforge/dev.json").read_text())
    assert {s["name"]: s["pid"] for s in state["servers"]} == pids
    workdirs = [Path(s["workdir"]) for s in state["servers"]]
    assert all(w.is_dir() for w in workdirs)

    # The variables are the ones the generated settings read.
    assert main(["regen", str(svc)]) == 0
    documented = (svc / "src/dev_svc/generated/.env.example").read_text()
    for name in env:
        assert re.search(rf"^#? ?{name}=", documented, re.MULTILINE), name

    again = svcforge("dev", "up", cwd=svc)
    assert again.returncode == 0
    assert again.stdout == up.stdout
    assert again.stderr == "svcforge dev: already up (.svcforge/dev.json)\n"

    down = svcforge("dev", "down", cwd=svc)
    assert down.returncode == 0, down.stderr
    assert down.stderr.splitlines() == [
        f"svcforge dev: stopped {name} (pid {pids[name]})"
        for name in ("kafka", "redis", "postgres")
    ]
    assert not any(running(p) for p in pids.values())
    assert not any(w.exists() for w in workdirs)
    assert not (svc / ".svcforge").exists()
    twice = svcforge("dev", "down", cwd=svc)
    assert (twice.returncode, twice.stdout) == (0, "")
    assert twice.stderr == "svcforge dev: nothing to stop (no .svcforge/dev.json)\n"


def test_down_leaves_a_process_that_reused_a_recorded_pid_alone(
    tmp_path: Path,
) -> None:
    """A state file whose PID now names another process (a different start
    time): down must not signal it."""
    svc = make_service(tmp_path / "dev-svc", '"redis"')
    other = subprocess.Popen(["sleep", "60"])
    try:
        (svc / ".svcforge").mkdir()
        (svc / ".svcforge/dev.json").write_text(
            json.dumps(
                {
                    "servers": [
                        {
                            "name": "redis",
                            "pid": other.pid,
                            "started": "1",
                            "address": "redis://127.0.0.1:1/0",
                            "workdir": str(tmp_path / "gone"),
                            "stop_signal": 15,
                        }
                    ],
                    "exports": "",
                }
            )
        )
        down = svcforge("dev", "down", cwd=svc)
        assert down.returncode == 0
        assert down.stderr == (
            f"svcforge dev: redis (pid {other.pid}) had already stopped\n"
        )
        assert other.poll() is None
        assert not (svc / ".svcforge").exists()
    finally:
        other.kill()
        other.wait()


def test_up_starts_what_the_service_uses_and_undoes_a_failed_start(
    tmp_path: Path,
) -> None:
    """uses = ["redis", "kafka"]: redis starts, the broker cannot (no binary),
    so up stops redis again, writes no state and exits 2."""
    svc = make_service(tmp_path / "dev-svc", '"redis", "kafka"')
    up = svcforge("dev", "up", cwd=svc, env={"SVCFORGE_TANSU": "/nonexistent/tansu"})
    assert (up.returncode, up.stdout) == (2, "")
    pids = started_pids(up.stderr)
    assert list(pids) == ["redis"]
    lines = up.stderr.splitlines()
    assert lines[0].startswith(f"svcforge dev: started redis (pid {pids['redis']})")
    assert lines[1] == f"svcforge dev: stopped redis (pid {pids['redis']})"
    assert lines[2].startswith("svcforge: dev up: ")
    assert len(lines) == 3
    assert not running(pids["redis"])
    assert not (svc / ".svcforge").exists()


def test_outside_a_service_the_variables_have_no_prefix(tmp_path: Path) -> None:
    up = svcforge("dev", "up", "--servers", "redis", cwd=tmp_path)
    try:
        assert up.returncode == 0, up.stderr
        assert list(exports(up.stdout)) == ["REDIS_URL"]
    finally:
        down = svcforge("dev", "down", cwd=tmp_path)
    assert down.returncode == 0 and "stopped redis" in down.stderr


@pytest.mark.parametrize("bad", ["mysql", ""])
def test_unknown_servers_are_a_usage_error(
    bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["dev", "up", "--servers", bad])
    assert exc.value.code == 2
    assert "expected some of postgres,redis,kafka" in capsys.readouterr().err
