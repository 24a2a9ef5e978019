"""Settings reload in a real process: a service generated from a config
schema with ``x-svcforge-reload`` settings runs as a subprocess; its ``.env``
changes and it gets SIGHUP.  A valid change applies within a second (the
subscriber prints the new values); an invalid one keeps the running values
and logs every problem; a changed setting that is not reloadable is logged
as needing a restart; no secret reaches the output."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from generator.pipeline import generate
from generator.writer import write_tree

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "greeting": {
            "type": "string",
            "minLength": 3,
            "default": "hello",
            "x-svcforge-reload": True,
        },
        "max_items": {
            "type": "integer",
            "maximum": 100,
            "default": 10,
            "x-svcforge-reload": True,
        },
        "region": {"type": "string", "default": "eu"},
        "api_token": {
            "type": "string",
            "writeOnly": True,
            "minLength": 8,
            "x-svcforge-reload": True,
        },
    },
    "required": ["api_token"],
}

MAIN = """\
import asyncio
import sys

sys.path.insert(0, "src")

from reloady.generated.settings import Settings
from reloady.generated.wiring import build

app = build()


@app.reloader.subscribe
def applied(settings: Settings) -> None:
    print(
        f"APPLIED greeting={settings.greeting} max_items={settings.max_items} "
        f"region={settings.region} token_len={len(settings.api_token.get_secret_value())}",
        flush=True,
    )


if "--no-watch" in sys.argv:
    app.reloader.watch_interval_s = None
asyncio.run(app.run())
"""

FIRST_TOKEN = "first-secret-token-1"
SECOND_TOKEN = "second-secret-token-2"
SHORT_TOKEN = "short77"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reloady")
    (root / "schemas" / "config").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "reloady"\n\n[tool.svcforge]\npackage = "reloady"\n'
    )
    (root / "schemas" / "config" / "settings.json").write_text(
        json.dumps(SETTINGS_SCHEMA)
    )
    manifest, files = generate(root)
    write_tree(root, manifest, files)
    (root / "main.py").write_text(MAIN)
    return root


class Running:
    """The service's process, its output lines collected as they come."""

    def __init__(self, root: Path, *args: str) -> None:
        env = {
            **os.environ,
            "RELOADY_HTTP__HOST": "127.0.0.1",
            "RELOADY_HTTP__PORT": "0",
            "RELOADY_LOGGING__FORMAT": "json",
        }
        self.process = subprocess.Popen(
            [sys.executable, "main.py", *args],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        for stream in (self.process.stdout, self.process.stderr):
            assert stream is not None
            threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float) -> float:
        """Seconds until a line holding ``text`` came (failing after
        ``timeout``)."""
        start = time.monotonic()
        while True:
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                pytest.fail(f"no line with {text!r} in {timeout} s:\n" + self.output)
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(line)
            if text in line:
                return time.monotonic() - start

    def drain(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                self.seen.append(self.lines.get(timeout=left))
            except queue.Empty:
                return

    @property
    def output(self) -> str:
        return "\n".join(self.seen)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.drain(0.2)


@pytest.fixture
def env_file(service: Path) -> Iterator[Path]:
    path = service / ".env"
    path.write_text(f"RELOADY_API_TOKEN={FIRST_TOKEN}\n")
    yield path
    path.unlink(missing_ok=True)


def _events(run: Running, event: str) -> list[dict[str, object]]:
    out = []
    for line in run.seen:
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("event") == event:
                out.append(record)
    return out


def test_sighup_applies_a_valid_change_within_a_second(
    service: Path, env_file: Path
) -> None:
    run = Running(service, "--no-watch")
    try:
        run.wait_for("service started", 30)
        env_file.write_text(
            f"RELOADY_API_TOKEN={SECOND_TOKEN}\nRELOADY_GREETING=bonjour\n"
            "RELOADY_MAX_ITEMS=42\nRELOADY_REGION=us\n"
        )
        sent = time.monotonic()
        run.process.send_signal(signal.SIGHUP)
        run.wait_for("APPLIED greeting=bonjour max_items=42 region=eu", 5)
        elapsed = time.monotonic() - sent
        assert elapsed < 1.0, f"applied after {elapsed:.2f} s"
        assert "token_len=21" in run.output
        run.drain(0.3)
        restart = _events(run, "setting changed; needs a restart")
        assert [r["variable"] for r in restart] == ["RELOADY_REGION"]
    finally:
        run.stop()
    assert FIRST_TOKEN not in run.output and SECOND_TOKEN not in run.output


def test_an_invalid_change_keeps_the_running_values_and_logs_every_error(
    service: Path, env_file: Path
) -> None:
    run = Running(service, "--no-watch")
    try:
        run.wait_for("service started", 30)
        env_file.write_text(
            f"RELOADY_API_TOKEN={SHORT_TOKEN}\nRELOADY_GREETING=hi\n"
            "RELOADY_MAX_ITEMS=1000\n"
        )
        run.process.send_signal(signal.SIGHUP)
        run.wait_for("the running values are kept", 5)
        problems = _events(run, "settings reload: invalid setting")
        assert sorted(str(p["variable"]) for p in problems) == [
            "RELOADY_API_TOKEN",
            "RELOADY_GREETING",
            "RELOADY_MAX_ITEMS",
        ]
        assert "APPLIED" not in run.output
        # The old values stayed: a later valid change of one setting shows them.
        env_file.write_text(f"RELOADY_API_TOKEN={FIRST_TOKEN}\nRELOADY_MAX_ITEMS=7\n")
        run.process.send_signal(signal.SIGHUP)
        run.wait_for("APPLIED greeting=hello max_items=7 region=eu token_len=20", 5)
    finally:
        run.stop()
    assert SHORT_TOKEN not in run.output and FIRST_TOKEN not in run.output


def test_a_changed_env_file_is_reloaded_without_a_signal(
    service: Path, env_file: Path
) -> None:
    run = Running(service)
    try:
        run.wait_for("service started", 30)
        env_file.write_text(
            f"RELOADY_API_TOKEN={FIRST_TOKEN}\nRELOADY_GREETING=salut\n"
        )
        run.wait_for("APPLIED greeting=salut", 5)
    finally:
        run.stop()


def test_a_setting_of_a_group_reloads_in_place() -> None:
    """In process: ``api_keys.max_per_user`` of the accounts example is
    reloadable, ``jwt.issuer`` is not; the subscriber gets the new object."""
    import asyncio

    sys.path.insert(0, str(ROOT / "generated-examples" / "accounts" / "src"))
    from accounts.generated.settings import Settings

    from svcforge.service import SettingsReloader, reloadable_paths

    env = {
        "ACCOUNTS_JWT__SIGNING_SECRET": "s" * 32,
        "ACCOUNTS_API_KEYS__HASH_PEPPER": "p" * 16,
    }
    first = Settings.load(env_file=None, environ=env)
    changed = {
        **env,
        "ACCOUNTS_API_KEYS__MAX_PER_USER": "3",
        "ACCOUNTS_JWT__ISSUER": "https://other.example.com",
    }
    reloader = SettingsReloader(
        first,
        env_file=None,
        load=lambda: Settings.load(env_file=None, environ=changed),
    )
    got: list[Settings] = []
    reloader.subscribe(got.append)
    assert asyncio.run(reloader.reload())
    assert reloader.current.api_keys.max_per_user == 3
    assert reloader.current.jwt.issuer == first.jwt.issuer
    assert got == [reloader.current] and type(got[0]) is Settings
    assert first.api_keys.max_per_user == 10  # the old object is untouched
    assert reloadable_paths(Settings) == {
        ("registration_open",),
        ("allowed_email_domains",),
        ("api_keys", "max_per_user"),
    }
