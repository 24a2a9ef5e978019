"""Settings at run time, on the accounts example's generated ``Settings``:
environment variables and a ``.env`` file, types, nesting, defaults, secrets
hidden in repr, logs and errors, and one list of every problem."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from svcforge.settings import SettingsBase, SettingsError, redacted

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = ROOT / "generated-examples" / "accounts"
sys.path.insert(0, str(ACCOUNTS / "src"))

from accounts.generated.settings import (  # noqa: E402
    ApiKeysSettings,
    JwtSettings,
    Settings,
)

SIGNING = "0123456789abcdef0123456789abcdef-signing"
PEPPER = "pepper-pepper-pepper"
REQUIRED = {
    "ACCOUNTS_JWT__SIGNING_SECRET": SIGNING,
    "ACCOUNTS_API_KEYS__HASH_PEPPER": PEPPER,
}


def test_the_prefix_comes_from_the_service_name() -> None:
    assert Settings.model_config.get("env_prefix") == "ACCOUNTS_"
    assert "ACCOUNTS_JWT__SIGNING_SECRET" in Settings.variables()
    assert "ACCOUNTS_DATABASE__URL" in Settings.variables()
    assert "ACCOUNTS_KAFKA__BOOTSTRAP_SERVERS" in Settings.variables()


def test_environment_variables_are_typed_and_nested() -> None:
    environ = {
        **REQUIRED,
        "ACCOUNTS_JWT__ACCESS_TOKEN_TTL_S": "600",
        "ACCOUNTS_JWT__ALGORITHM": "HS512",
        "ACCOUNTS_REGISTRATION_OPEN": "false",
        "ACCOUNTS_ALLOWED_EMAIL_DOMAINS": '["example.com", "example.org"]',
        "ACCOUNTS_API_KEYS__DEFAULT_TTL_DAYS": "30",
        "ACCOUNTS_DATABASE__MAX_SIZE": "4",
        "ACCOUNTS_KAFKA__BOOTSTRAP_SERVERS": "kafka-1:9092,kafka-2:9092",
        "accounts_logging__level": "DEBUG",
    }
    settings = Settings.load(environ=environ, env_file=None)
    assert isinstance(settings.jwt, JwtSettings)
    assert settings.jwt.access_token_ttl_s == 600
    assert settings.jwt.algorithm == "HS512"
    assert isinstance(settings.jwt.signing_secret, SecretStr)
    assert settings.jwt.signing_secret.get_secret_value() == SIGNING
    assert settings.registration_open is False
    assert settings.allowed_email_domains == ["example.com", "example.org"]
    assert isinstance(settings.api_keys, ApiKeysSettings)
    assert settings.api_keys.default_ttl_days == 30
    assert settings.database.max_size == 4
    assert settings.kafka.bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert settings.logging.level == "DEBUG"
    assert settings.service.logging.level == "DEBUG"


def test_a_whole_group_may_be_given_as_json() -> None:
    environ = {
        **REQUIRED,
        "ACCOUNTS_JWT": f'{{"signing_secret": "{SIGNING}", "issuer": "https://id.test"}}',
    }
    settings = Settings.load(environ=environ, env_file=None)
    assert settings.jwt.issuer == "https://id.test"


def test_defaults() -> None:
    settings = Settings.load(environ=REQUIRED, env_file=None)
    assert settings.jwt.algorithm == "HS256"
    assert settings.jwt.access_token_ttl_s == 900
    assert settings.jwt.refresh_token_ttl_s == 2592000
    assert settings.registration_open is True
    assert settings.allowed_email_domains == []
    assert settings.support_email is None
    assert settings.api_keys.max_per_user == 10
    assert settings.api_keys.default_ttl_days == 90
    assert settings.http.port == 8080


def test_an_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# the service's .env\n"
        f"ACCOUNTS_JWT__SIGNING_SECRET={SIGNING}\n"
        f"ACCOUNTS_API_KEYS__HASH_PEPPER='{PEPPER}'\n"
        "ACCOUNTS_HTTP__PORT=9000\n"
        "ACCOUNTS_JWT__ACCESS_TOKEN_TTL_S=120\n"
    )
    settings = Settings.load(environ={"ACCOUNTS_HTTP__PORT": "9100"}, env_file=env_file)
    assert settings.api_keys.hash_pepper.get_secret_value() == PEPPER
    assert settings.jwt.access_token_ttl_s == 120
    assert settings.http.port == 9100


def test_the_working_directory_env_file_and_os_environ_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(f"ACCOUNTS_JWT__SIGNING_SECRET={SIGNING}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ACCOUNTS_API_KEYS__HASH_PEPPER", PEPPER)
    settings = Settings.load()
    assert settings.jwt.signing_secret.get_secret_value() == SIGNING


def test_a_typo_in_the_env_file_is_an_unknown_variable(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "".join(f"{k}={v}\n" for k, v in REQUIRED.items())
        + "ACCOUNTS_JWT_ACCESS_TOKEN_TTL=60\n"
    )
    with pytest.raises(SettingsError) as error:
        Settings.load(environ={}, env_file=env_file)
    assert [str(p) for p in error.value.problems] == [
        "ACCOUNTS_JWT_ACCESS_TOKEN_TTL: unknown variable (no such setting)"
    ]


def test_every_problem_is_listed_once_by_variable_name() -> None:
    environ = {
        "ACCOUNTS_JWT__ACCESS_TOKEN_TTL_S": "10",
        "ACCOUNTS_JWT__ALGORITHM": "none",
        "ACCOUNTS_HTTP__PORT": "http",
        "ACCOUNTS_API_KEYS__MAX_PER_USER": "1000",
        "ACCOUNTS_REGISTRATION_OPEN": "perhaps",
    }
    with pytest.raises(SettingsError) as error:
        Settings.load(environ=environ, env_file=None)
    text = str(error.value)
    assert text.splitlines()[0] == "invalid accounts settings: 7 problems"
    assert [p.variable for p in error.value.problems] == [
        "ACCOUNTS_API_KEYS__HASH_PEPPER",
        "ACCOUNTS_API_KEYS__MAX_PER_USER",
        "ACCOUNTS_HTTP__PORT",
        "ACCOUNTS_JWT__ACCESS_TOKEN_TTL_S",
        "ACCOUNTS_JWT__ALGORITHM",
        "ACCOUNTS_JWT__SIGNING_SECRET",
        "ACCOUNTS_REGISTRATION_OPEN",
    ]
    lines = dict(line.strip().split(": ", 1) for line in text.splitlines()[1:])
    assert lines["ACCOUNTS_JWT__SIGNING_SECRET"] == "required, not set"
    assert lines["ACCOUNTS_API_KEYS__HASH_PEPPER"] == "required, not set"
    assert (
        "greater than or equal to 60 (found '10')"
        in lines["ACCOUNTS_JWT__ACCESS_TOKEN_TTL_S"]
    )
    assert (
        "'HS256', 'HS384' or 'HS512' (found 'none')" in lines["ACCOUNTS_JWT__ALGORITHM"]
    )
    assert "(found 'http')" in lines["ACCOUNTS_HTTP__PORT"]
    assert "(found 'perhaps')" in lines["ACCOUNTS_REGISTRATION_OPEN"]


def test_a_missing_variable_gets_a_hint_when_a_similar_one_is_set() -> None:
    environ = {**REQUIRED}
    environ["ACCOUNTS_JWT_SIGNING_SECRET"] = environ.pop("ACCOUNTS_JWT__SIGNING_SECRET")
    with pytest.raises(SettingsError) as error:
        Settings.load(environ=environ, env_file=None)
    (problem,) = error.value.problems
    assert problem.variable == "ACCOUNTS_JWT__SIGNING_SECRET"
    assert "did you mean to set it, not ACCOUNTS_JWT_SIGNING_SECRET?" in problem.message


def test_bad_json_in_a_list_variable_is_a_problem_too() -> None:
    environ = {**REQUIRED, "ACCOUNTS_ALLOWED_EMAIL_DOMAINS": "example.com"}
    with pytest.raises(SettingsError) as error:
        Settings.load(environ=environ, env_file=None)
    (problem,) = error.value.problems
    assert problem.variable == "ACCOUNTS_ALLOWED_EMAIL_DOMAINS"
    assert "not valid JSON" in problem.message


def test_secrets_never_appear_in_repr_str_logs_or_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    kafka_password = "kafka-sasl-password"
    db_password = "db-password-in-url"
    environ = {
        **REQUIRED,
        "ACCOUNTS_KAFKA__SASL_PASSWORD": kafka_password,
        "ACCOUNTS_DATABASE__URL": f"postgresql://accounts:{db_password}@db:5432/accounts",
    }
    settings = Settings.load(environ=environ, env_file=None)
    with caplog.at_level(logging.INFO):
        logging.getLogger("accounts").info("settings: %s", settings.redacted())
        logging.getLogger("accounts").info("settings: %r", settings)
    shown = [repr(settings), str(settings), str(settings.redacted()), caplog.text]
    for text in shown:
        for secret in (SIGNING, PEPPER, kafka_password, db_password):
            assert secret not in text
    assert "postgresql://accounts:***@db:5432/accounts" in repr(settings)
    assert settings.redacted()["jwt"]["signing_secret"] == "**********"
    assert settings.redacted()["kafka"]["sasl_password"] == "**********"
    # Errors about secrets say what is wrong, never what was given.
    bad = {
        "ACCOUNTS_JWT__SIGNING_SECRET": "too-short-secret",
        "ACCOUNTS_API_KEYS__HASH_PEPPER": "short",
        "ACCOUNTS_KAFKA__SASL_PASSWORD": "x" * 3,
        "ACCOUNTS_KAFKA__LINGER_MS": "-1",
    }
    with pytest.raises(SettingsError) as error:
        Settings.load(environ=bad, env_file=None)
    text = str(error.value)
    assert "ACCOUNTS_JWT__SIGNING_SECRET" in text
    assert "ACCOUNTS_API_KEYS__HASH_PEPPER" in text
    for secret in ("too-short-secret", "'short'"):
        assert secret not in text
    assert "(found '-1')" in text


def test_settings_are_frozen() -> None:
    settings = Settings.load(environ=REQUIRED, env_file=None)
    with pytest.raises(ValueError, match="frozen"):
        settings.registration_open = False  # type: ignore[misc]


def test_redacted_masks_urls_and_secret_names_in_plain_data() -> None:
    data = {
        "url": "redis://:hunter2@cache:6379/0",
        "token": "abc",
        "nested": {"password": "p", "host": "h"},
        "items": [SecretStr("s")],
    }
    assert redacted(data) == {
        "url": "redis://:***@cache:6379/0",
        "token": "**********",
        "nested": {"password": "**********", "host": "h"},
        "items": ["**********"],
    }


class Small(SettingsBase):
    service_name = "small"
    model_config = SettingsConfigDict(env_prefix="SMALL_")

    port: int = 1
    api_token: SecretStr


def test_a_hand_written_subclass_gets_the_same_behaviour() -> None:
    with pytest.raises(SettingsError) as error:
        Small.load(environ={"SMALL_PORT": "x", "SMALL_API_TOKEN": ""}, env_file=None)
    assert [p.variable for p in error.value.problems] == ["SMALL_PORT"]
    assert Small.load(environ={"SMALL_API_TOKEN": "t"}, env_file=None).port == 1


def test_the_generated_settings_and_json_message_tests_of_accounts_pass() -> None:
    """The example's own generated tests (no servers needed), run as its
    developers run them."""
    env = {**os.environ, "PYTHONPATH": str(ACCOUNTS / "src")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/generated/test_settings.py",
            "tests/generated/test_json_messages.py",
        ],
        cwd=ACCOUNTS,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout


def test_error_text_is_one_readable_block() -> None:
    stream = io.StringIO()
    try:
        Settings.load(environ={}, env_file=None)
    except SettingsError as exc:
        print(exc, file=stream)
    assert stream.getvalue() == (
        "invalid accounts settings: 2 problems\n"
        "  ACCOUNTS_API_KEYS__HASH_PEPPER: required, not set\n"
        "  ACCOUNTS_JWT__SIGNING_SECRET: required, not set\n"
    )


def test_the_accounts_service_stops_at_start_up_listing_every_problem() -> None:
    """``python -m accounts`` with a bad configuration exits 2 before doing
    anything, with one readable list and no secret in it."""
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ACCOUNTS / "src"),
        "ACCOUNTS_JWT__SIGNING_SECRET": "short-secret",
        "ACCOUNTS_HTTP__PORT": "99999",
    }
    result = subprocess.run(
        [sys.executable, "-m", "accounts"],
        env=environ,
        cwd=ACCOUNTS,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "invalid accounts settings: 3 problems"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "ACCOUNTS_API_KEYS__HASH_PEPPER",
        "ACCOUNTS_HTTP__PORT",
        "ACCOUNTS_JWT__SIGNING_SECRET",
    ]
    assert "short-secret" not in result.stderr
    assert "(found '99999')" in result.stderr


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u:p@ss w0rd@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("redis://:secret@h:6379/0", "redis://:***@h:6379/0"),
        (
            "postgresql://h/db?user=u&password=pw&sslmode=require",
            "postgresql://h/db?user=u&password=***&sslmode=require",
        ),
        ("redis://h:6379/0?sslpassword=x", "redis://h:6379/0?sslpassword=***"),
        ("redis://h:6379/0", "redis://h:6379/0"),
        ("https://user@h/x", "https://user@h/x"),
    ],
)
def test_url_settings_mask_their_credentials(url: str, shown: str) -> None:
    from svcforge.db import DatabaseSettings
    from svcforge.messaging import RedisSettings
    from svcforge.settings import mask_url

    assert mask_url(url) == shown
    for settings in (DatabaseSettings(url=url), RedisSettings(url=url)):
        assert settings.url == url  # the client gets it whole
        for text in (
            repr(settings),
            str(settings),
            repr(settings.model_dump()),
            settings.model_dump_json(),
        ):
            assert shown in text or json_escaped(shown) in text
            assert url == shown or url not in text


def json_escaped(text: str) -> str:
    import json

    return json.dumps(text)[1:-1]


def test_scrub_masks_remembered_secrets_and_url_passwords_in_any_text() -> None:
    from svcforge.settings import describe, remember, scrub

    remember("hunter2-remembered")
    assert scrub("login with hunter2-remembered failed") == "login with *** failed"
    assert (
        scrub("dsn postgresql://u:pw@h/db is down")
        == "dsn postgresql://u:***@h/db is down"
    )
    assert scrub("GET /x?token=abc&y=1") == "GET /x?token=***&y=1"
    assert describe(ValueError("bad hunter2-remembered")) == "ValueError: bad ***"


def test_a_wrongly_typed_secret_is_not_echoed_by_validation() -> None:
    from pydantic import ValidationError

    from svcforge.db import DatabaseSettings
    from svcforge.messaging import KafkaSettings

    for cls, field in ((DatabaseSettings, "url"), (KafkaSettings, "sasl_password")):
        with pytest.raises(ValidationError) as info:
            cls.model_validate({field: ["s3cr3t-in-a-list"]})
        assert "s3cr3t-in-a-list" not in str(info.value)
