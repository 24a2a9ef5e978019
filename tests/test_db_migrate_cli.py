"""``svcforge migrate``: the service's migrations applied to a real database,
each once; bad SQL refused before anything runs (exit 2); a migration the
server rejects stops the run (exit 1) and leaves nothing half-done."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import asyncpg
import pytest

from generator.cli import main

ROOT = Path(__file__).resolve().parent.parent


def tables(dsn: str) -> list[str]:
    async def run() -> list[str]:
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(
                "SELECT schemaname || '.' || tablename FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') "
                "ORDER BY 1"
            )
            return [r[0] for r in rows]
        finally:
            await conn.close()

    return asyncio.run(run())


@pytest.fixture
def service(tmp_path: Path) -> Path:
    root = tmp_path / "iot-energy"
    shutil.copytree(
        ROOT / "generated-examples" / "iot-energy",
        root,
        symlinks=False,
        ignore=shutil.ignore_patterns("__pycache__", ".*_cache"),
    )
    return root


def test_migrate_applies_each_migration_once(
    service: Path, postgres_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", str(service), "--dsn", postgres_dsn]) == 0
    out = capsys.readouterr().out
    assert "applied 001_devices.sql" in out and "6 applied, 0 already applied" in out
    # The service publishes alerts through the outbox: svcforge's own
    # migration of its table comes after the service's.
    assert out.splitlines()[-2] == "applied svcforge_outbox_001.sql"
    assert tables(postgres_dsn) == [
        "public.alerts",
        "public.devices",
        "public.svcforge_migrations",
        "public.svcforge_outbox",
        "telemetry.readings",
    ]
    assert main(["migrate", str(service), "--dsn", postgres_dsn]) == 0
    assert "0 applied, 6 already applied" in capsys.readouterr().out


def test_migrate_reads_the_variable_the_settings_read(
    service: Path, postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One name per setting: the service's own ``<PREFIX>_DATABASE__URL``."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("IOT_ENERGY_DATABASE__URL", postgres_dsn)
    assert main(["migrate", str(service)]) == 0
    assert "public.devices" in tables(postgres_dsn)


def test_migrate_without_a_database_is_a_usage_error(
    service: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("IOT_ENERGY_DATABASE__URL", raising=False)
    assert main(["migrate", str(service)]) == 2
    assert (
        "no database: give --dsn or set IOT_ENERGY_DATABASE__URL"
        in capsys.readouterr().err
    )


def test_the_former_database_url_gets_a_helpful_error(
    service: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("IOT_ENERGY_DATABASE__URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/x")
    assert main(["migrate", str(service)]) == 2
    err = capsys.readouterr().err
    assert "DATABASE_URL is no longer read" in err
    assert "rename DATABASE_URL to IOT_ENERGY_DATABASE__URL" in err


def test_bad_sql_is_refused_before_anything_runs(
    service: Path, postgres_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tables_dir = service / "schemas" / "tables"
    (tables_dir / "005_bad.sql").write_text(
        "CREATE INDEX CONCURRENTLY x ON devices (site_code);\n"
    )
    assert main(["migrate", str(service), "--dsn", postgres_dsn]) == 2
    assert "schemas/tables/005_bad.sql:1:1:" in capsys.readouterr().err
    assert tables(postgres_dsn) == []


def test_a_migration_the_server_rejects_stops_the_run(
    service: Path, postgres_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """svcforge does not run data statements while replaying; PostgreSQL
    refuses this one, and its whole file is rolled back."""
    tables_dir = service / "schemas" / "tables"
    (tables_dir / "005_seed.sql").write_text(
        "ALTER TABLE alerts ADD COLUMN note text;\n"
        "INSERT INTO devices (serial_number) VALUES ('no-kind');\n"
    )
    assert main(["migrate", str(service), "--dsn", postgres_dsn]) == 1
    assert "005_seed.sql failed" in capsys.readouterr().err
    assert main(["migrate", str(service), "--dsn", postgres_dsn]) == 1

    async def columns() -> list[str]:
        conn = await asyncpg.connect(postgres_dsn)
        try:
            rows = await conn.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'alerts' ORDER BY ordinal_position"
            )
            return [r[0] for r in rows]
        finally:
            await conn.close()

    assert "note" not in asyncio.run(columns())
