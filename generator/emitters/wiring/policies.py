"""The policies part of ``generated/wiring.py``: a ``PolicySpec`` constant
per declared policy, the ``Policies`` class of the dependencies' policies,
and the lines of ``App.__init__`` that apply them (the database's calls,
publishing on the channels)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from generator import ir
from generator.emitters.pysrc import INDENT, docstring, py_str

_I2 = INDENT * 2
_RUNTIME = "svcforge.resilience"


@dataclass(frozen=True, slots=True)
class PolicyCode:
    constants: str
    """The ``PolicySpec`` constants (a module-level block), or ""."""
    policies_class: str
    """``class Policies``, or "" when only channels have policies."""
    attributes: tuple[str, ...]
    """Lines of ``App.__init__`` before the channels are made."""
    guards: tuple[str, ...]
    """Lines of ``App.__init__`` after the channels are made."""


def all_policies(service: ir.Service) -> list[ir.Policy]:
    channel = [c.policy for c in service.channels if c.policy is not None]
    return [*service.policies, *channel]


def policy_code(service: ir.Service, needed: set[str]) -> PolicyCode:
    """What wiring.py holds for the service's policies; the imports it needs
    go to ``needed``."""
    policies = all_policies(service)
    if not policies:
        return PolicyCode("", "", (), ())
    needed.add(f"from {_RUNTIME} import PolicySpec")
    constants = "\n".join(
        f'{p.constant}: Final = {_spec(p, needed)}\n"""{_what(p)}"""\n'
        for p in policies
    )
    attributes: list[str] = []
    if service.policies:
        attributes.append("self.policies: Final = Policies(self.parts)")
    if any(p.target == "postgres" for p in service.policies):
        needed.add(f"from {_RUNTIME} import GuardedExecutor")
        attributes.append(
            "self.db: Final = GuardedExecutor(self.database, self.policies.postgres)"
        )
    return PolicyCode(
        constants,
        _policies_class(service.policies),
        tuple(attributes),
        tuple(_guards(service)),
    )


def _what(p: ir.Policy) -> str:
    match p.target:
        case "channel":
            return f"Guards publishing on channel {p.name.partition(':')[2]!r}."
        case "postgres":
            return "Guards the database calls of ``App.db`` (repositories, queries)."
        case "kafka" | "redis":
            return f"Guards publishing on every {p.target} channel."
        case _:
            return f"Guards the calls to {p.name!r} (``app.policies.{p.py_name}``)."


def _spec(p: ir.Policy, needed: set[str]) -> str:
    args = [py_str(p.name)]
    if p.timeout_s is not None:
        args.append(f"timeout_s={p.timeout_s!r}")
    if p.retry is not None:
        r = p.retry
        args.append(
            _part(
                "retry",
                "RetrySpec",
                needed,
                attempts=r.attempts,
                backoff_ms=r.backoff_ms,
                max_backoff_ms=r.max_backoff_ms,
            )
        )
    if p.breaker is not None:
        b = p.breaker
        args.append(
            _part(
                "breaker", "BreakerSpec", needed, failures=b.failures, reset_s=b.reset_s
            )
        )
    if p.bulkhead is not None:
        h = p.bulkhead
        args.append(
            _part(
                "bulkhead",
                "BulkheadSpec",
                needed,
                max_concurrent=h.max_concurrent,
                max_wait_s=h.max_wait_s,
            )
        )
    if p.rate_limit is not None:
        args.append(_rate_limit(p.rate_limit, needed))
    return f"PolicySpec({', '.join(args)})"


def _rate_limit(limit: ir.PolicyRateLimit, needed: set[str]) -> str:
    values: dict[str, object] = {"rate": limit.rate}
    if limit.burst is not None:
        values["burst"] = limit.burst
    if limit.shared:
        values["shared"] = True
    if limit.max_wait_s is not None:
        values["max_wait_s"] = limit.max_wait_s
    return _part("rate_limit", "RateLimitSpec", needed, **values)


def _part(key: str, cls: str, needed: set[str], **values: object) -> str:
    needed.add(f"from {_RUNTIME} import {cls}")
    inner = ", ".join(f"{k}={v!r}" for k, v in values.items())
    return f"{key}={cls}({inner})"


def _policies_class(policies: tuple[ir.Policy, ...]) -> str:
    if not policies:
        return ""
    lines = [
        "class Policies:",
        *docstring(
            textwrap.fill(
                "The policies of ``[tool.svcforge.policies]``: ``await "
                "app.policies.<name>.call(fn, *args)``, or "
                "``@app.policies.<name>`` on an ``async def``.  An open "
                "breaker shows in readiness, and every breaker's state in "
                "``svcforge_circuit_breaker_state``.",
                76,
            ),
            INDENT,
        ),
        "",
        f"{INDENT}def __init__(self, parts: ServiceParts) -> None:",
    ]
    lines += [
        f"{_I2}self.{p.py_name}: Final = parts.policy({p.constant})" for p in policies
    ]
    return "\n".join(lines)


def channel_guards(service: ir.Service) -> dict[str, list[ir.Policy]]:
    """The policies guarding each published channel (by attribute): its own
    policy outermost, then its transports' (in the order the channel lists
    them)."""
    by_transport = {
        p.target: p for p in service.policies if p.target in ("kafka", "redis")
    }
    out: dict[str, list[ir.Policy]] = {}
    for c in service.channels:
        if not c.publish:
            continue
        guards = [] if c.policy is None else [c.policy]
        for transport, target in (("kafka", c.kafka), ("redis", c.redis)):
            if target is not None and transport in by_transport:
                guards.append(by_transport[transport])
        if guards:
            out[c.py_name] = guards
    return out


def _guards(service: ir.Service) -> list[str]:
    out = []
    for channel, guards in channel_guards(service).items():
        for p in guards:
            policy = (
                f"self.parts.policy({p.constant})"
                if p.target == "channel"
                else f"self.policies.{p.py_name}"
            )
            out.append(f"self.channels.{channel}.guard({policy})")
    return out
