"""``generated/wiring.py``: a service's runtime parts made from its generated
``Settings`` in one call (``build()``): brokers, database, channels, the
stores of ``store`` channels, the outbox channels and the runner."""

from __future__ import annotations

import textwrap

from jinja2 import Environment

from generator import ir
from generator.emitters.pysrc import (
    INDENT,
    docstring,
    header,
    imports,
    py_str,
    tuple_expr,
)
from generator.emitters.wiring.policies import channel_guards, policy_code

_I2 = INDENT * 2


def emit_wiring(service: ir.Service, env: Environment) -> dict[str, str]:
    """``wiring.py`` and its test, for a service with settings."""
    settings = service.settings
    if settings is None:
        return {}
    return {
        f"{service.generated_dir}/wiring.py": _module(service, settings, env),
        f"{service.generated_tests_dir}/test_wiring.py": _tests(service, settings, env),
    }


def _groups(settings: ir.Settings) -> set[str]:
    return {s.name for s in settings.root.settings if s.type.kind == "group"}


def _module(service: ir.Service, settings: ir.Settings, env: Environment) -> str:
    groups = _groups(settings)
    needed = {
        "import asyncio",
        "from collections.abc import Awaitable, Callable",
        "from typing import Final",
        "from svcforge.service import ServiceParts, settings_or_exit",
        "from .settings import Settings",
    }
    args = ["settings"]
    if service.migrations:
        needed.add("from .db import ENUM_TYPES, MIGRATIONS")
        args += ["enums=ENUM_TYPES", "migrations=MIGRATIONS"]
    attributes = []
    parts = []
    if "database" in groups:
        attributes.append("self.database: Final = self.parts.require_database()")
        parts.append("the database")
    if any(t.cache is not None for t in service.tables):
        attributes.append("self.cache: Final = self.parts.row_cache()")
        parts.append("the row cache (give it to the repositories of cached tables)")
    needed.add("from svcforge.service import SettingsReloader")
    attributes += [
        "self.reloader: Final[SettingsReloader[Settings]] = self.parts.reloader",
        "self.messaging: Final = self.parts.messaging",
        "self.service: Final = self.parts.service",
    ]
    parts.append("the brokers")
    policies = policy_code(service, needed)
    attributes += policies.attributes
    blocks = [b for b in (policies.constants, policies.policies_class) if b]
    if policies.constants:
        parts.append("the resilience policies")
    if service.channels:
        needed.add("from .channels import Channels")
        attributes.append("self.channels: Final = Channels(self.messaging)")
        attributes += policies.guards
        parts.append("the channels")
        for kind, block in (
            ("stores", _stores(service, needed)),
            ("outbox", _outbox(service)),
        ):
            if block:
                blocks.append(block)
                cls = "Stores" if kind == "stores" else "Outbox"
                attributes.append(
                    f"self.{kind}: Final = {cls}(self.parts, self.channels)"
                )
                parts.append(
                    "the stores" if kind == "stores" else "the outbox channels"
                )
    prefix = settings.env_prefix
    intro = _wrap(
        f"{service.name} assembled from its settings.",
        f"``build()`` reads the settings (``{prefix}*`` variables, then ``.env``) "
        "and makes everything the service runs on, in one call: "
        f"{', '.join(parts)} and the runner (HTTP port, logging, shutdown).  "
        "``reloader.current`` holds the settings in force: those marked "
        "reloadable change on SIGHUP or a changed ``.env`` "
        "(``reloader.subscribe(callback)``).  A "
        "server none of whose variables is set runs embedded while "
        f"``{prefix}RUNNER__ENVIRONMENT`` is ``development`` (the default): the "
        "in-memory broker, a throwaway PostgreSQL; ``production`` requires "
        "every one.  ``python -m`` style::",
    )
    return env.get_template("wiring.py.j2").render(
        header=header([*settings.sources, *_sources(service)]),
        service=service.name,
        intro=intro,
        import_block=imports(needed),
        blocks=blocks,
        parts_call=f"ServiceParts({', '.join(args)})",
        attributes=attributes,
    )


def _wrap(*paragraphs: str) -> str:
    return "\n\n".join(textwrap.fill(p, 76) for p in paragraphs)


def _sources(service: ir.Service) -> list[str]:
    out = [m.path for m in service.migrations]
    if service.channels or any(t.cache is not None for t in service.tables):
        out.append("pyproject.toml")
    return out


def _stores(service: ir.Service, needed: set[str]) -> str:
    stored = [c for c in service.channels if c.store is not None]
    if not stored:
        return ""
    lines = [
        "class Stores:",
        *docstring(
            _wrap(
                "The store of each channel declared with ``store``: it consumes "
                "the channel, each fetched batch in one transaction.  ``also`` "
                "adds a hook to that transaction, called with the messages "
                "whose rows were new."
            ),
            INDENT,
        ),
        "",
        f"{INDENT}def __init__(self, parts: ServiceParts, channels: Channels) -> None:",
    ]
    for c in stored:
        needed.add(f"from .stores import {c.constant}")
        lines.append(
            f"{_I2}self.{c.py_name}: Final = parts.store(channels.{c.py_name}, "
            f"{c.constant})"
        )
    return "\n".join(lines)


def _outbox(service: ir.Service) -> str:
    staged = [c for c in service.channels if c.outbox]
    if not staged:
        return ""
    lines = [
        "class Outbox:",
        *docstring(
            _wrap(
                "The channels published through the outbox: ``await "
                "outbox.<channel>.stage(conn, message)`` inside the transaction "
                "of the writes it announces; the relay publishes it after the "
                "commit."
            ),
            INDENT,
        ),
        "",
        f"{INDENT}def __init__(self, parts: ServiceParts, channels: Channels) -> None:",
    ]
    for c in staged:
        lines.append(
            f"{_I2}self.{c.py_name}: Final = parts.outbox(channels.{c.py_name})"
        )
    return "\n".join(lines)


def _tests(service: ir.Service, settings: ir.Settings, env: Environment) -> str:
    servers = sorted(_groups(settings) & {"database", "kafka", "redis"})
    variables = [
        f"{settings.env_prefix}{g}__{'bootstrap_servers' if g == 'kafka' else 'url'}".upper()
        for g in servers
    ]
    return env.get_template("test_wiring.py.j2").render(
        header=header([*settings.sources, *_sources(service)]),
        package=service.package,
        prefix=settings.env_prefix,
        servers=servers,
        embedded=tuple_expr([py_str(s) for s in servers]),
        variables=variables,
        channels=[c.py_name for c in service.channels],
        stores=[c.py_name for c in service.channels if c.store is not None],
        outbox=[c.py_name for c in service.channels if c.outbox],
        policies=service.policies,
        policy_constants=sorted(p.constant for p in service.policies),
        guards={c: [p.name for p in g] for c, g in channel_guards(service).items()},
    )
