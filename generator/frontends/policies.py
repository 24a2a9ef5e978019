"""Policies: the manifest's ``[tool.svcforge.policies]`` and channel
``policy`` declarations as ``ir.Policy``s, checked against what the service
uses."""

from __future__ import annotations

from generator import ir
from generator.errors import Diagnostic, SchemaError
from generator.manifest import Manifest
from generator.manifest_policies import DEPENDENCIES, PolicyDecl, PolicyEntry
from generator.naming import channel_names, unique
from generator.tomlcheck import Where

_WHAT = {"kafka": "Kafka", "postgres": "PostgreSQL", "redis": "Redis"}


def to_policy(
    decl: PolicyDecl,
    *,
    name: str,
    target: ir.PolicyTarget,
    py_name: str,
    constant: str,
    span: ir.Span,
) -> ir.Policy:
    retry, breaker = decl.retry, decl.breaker
    bulkhead, limit = decl.bulkhead, decl.rate_limit
    return ir.Policy(
        name=name,
        target=target,
        py_name=py_name,
        constant=constant,
        span=span,
        timeout_s=decl.timeout_s,
        retry=None
        if retry is None
        else ir.PolicyRetry(retry.attempts, retry.backoff_ms, retry.max_backoff_ms),
        breaker=None
        if breaker is None
        else ir.PolicyBreaker(breaker.failures, breaker.reset_s),
        bulkhead=None
        if bulkhead is None
        else ir.PolicyBulkhead(bulkhead.max_concurrent, bulkhead.max_wait_s),
        rate_limit=None
        if limit is None
        else ir.PolicyRateLimit(
            limit.rate, limit.burst, limit.shared, limit.max_wait_s
        ),
    )


def channel_policy(
    decl: PolicyDecl, channel: str, constant: str, span: ir.Span
) -> ir.Policy:
    """A channel's ``policy``: it guards publishing on the channel."""
    return to_policy(
        decl,
        name=f"channel:{channel}",
        target="channel",
        py_name="",
        constant=f"{constant}_PUBLISH_POLICY",
        span=span,
    )


def parse_policies(
    manifest: Manifest, channels: tuple[ir.Channel, ...]
) -> tuple[ir.Policy, ...]:
    """The dependency policies, named; raise ``SchemaError`` for a policy of
    a server the service does not use, or a shared rate limit without
    Redis."""
    errors: list[Diagnostic] = []
    uses = set(manifest.uses)
    for entry in manifest.policies:
        if entry.name in DEPENDENCIES and entry.name not in uses:
            errors.append(
                entry.where.diagnostic(
                    (),
                    f"guards {_WHAT[entry.name]}, but uses (or the channels) "
                    f"do not list {entry.name}",
                    f'add "{entry.name}" to [tool.svcforge] uses, or rename the '
                    "policy (a name other than kafka, postgres and redis is an "
                    "external dependency your code calls)",
                )
            )
        errors.extend(_shared_without_redis(entry.decl, entry.where, uses))
    for channel in manifest.channels:
        policy = channel.decl.policy
        if policy is not None:
            where = Where(
                channel.where.document,
                (*channel.where.path, "policy"),
                channel.where.name,
            )
            errors.extend(_shared_without_redis(policy, where, uses))
    if errors:
        raise SchemaError(errors)
    py_names = channel_names(e.name for e in manifest.policies)
    taken = {c.policy.constant for c in channels if c.policy is not None}
    out = []
    for entry in manifest.policies:
        py_name = py_names[entry.name]
        out.append(
            to_policy(
                entry.decl,
                name=entry.name,
                target=_target(entry),
                py_name=py_name,
                constant=unique(f"{py_name.upper().rstrip('_')}_POLICY", taken),
                span=entry.span,
            )
        )
    return tuple(out)


def _target(entry: PolicyEntry) -> ir.PolicyTarget:
    match entry.name:
        case "postgres" | "kafka" | "redis" as dependency:
            return dependency
        case _:
            return "external"


def _shared_without_redis(
    decl: PolicyDecl, where: Where, uses: set[str]
) -> list[Diagnostic]:
    limit = decl.rate_limit
    if limit is None or not limit.shared or "redis" in uses:
        return []
    return [
        where.diagnostic(
            ("rate_limit", "shared"),
            "a shared rate limit lives in Redis, but uses (or the channels) "
            "do not list redis",
            'add "redis" to [tool.svcforge] uses, or write shared = false (one '
            "bucket per process)",
        )
    ]
