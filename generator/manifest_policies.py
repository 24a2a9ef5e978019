"""``[tool.svcforge.policies.<name>]`` and a channel's ``policy``: resilience
policies, checked here, bound to the service by ``frontends.policies``.

```toml
[tool.svcforge.policies.venue-feed]          # a named external dependency
timeout_s = 2.0
retry = { attempts = 3, backoff_ms = 100, max_backoff_ms = 2000 }
breaker = { failures = 5, reset_s = 30 }
bulkhead = { max_concurrent = 10, max_wait_s = 0.5 }
rate_limit = { rate = 100, burst = 20, shared = true, max_wait_s = 1.0 }

[tool.svcforge.policies.postgres]            # postgres, kafka, redis: the runtime's
timeout_s = 5

[tool.svcforge.channels.trades]
policy = { rate_limit = { rate = 500, shared = true } }   # guards publishing
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    model_validator,
)

from generator.errors import Diagnostic
from generator.ir import Span
from generator.tomlcheck import Where, check_table, problem
from generator.tomlsource import KeyPath, TomlDocument

POLICIES: KeyPath = ("tool", "svcforge", "policies")
DEPENDENCIES = ("kafka", "postgres", "redis")
"""Policy names that guard the runtime's own dependencies."""

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_POSITIVE = "a positive integer"
_SECONDS = "a number of seconds > 0"
_WAIT = "a number of seconds >= 0"


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PolicyRetryDecl(_Table):
    attempts: PositiveInt = Field(default=3, description=_POSITIVE)
    backoff_ms: NonNegativeInt = Field(default=100, description="an integer >= 0")
    max_backoff_ms: PositiveInt = Field(default=10_000, description=_POSITIVE)

    @model_validator(mode="after")
    def _backoff_fits(self) -> PolicyRetryDecl:
        if self.max_backoff_ms < self.backoff_ms:
            raise problem(
                f"retry.max_backoff_ms ({self.max_backoff_ms}) is below "
                f"retry.backoff_ms ({self.backoff_ms})",
                at="max_backoff_ms",
            )
        return self


class BreakerDecl(_Table):
    failures: PositiveInt = Field(default=5, description=_POSITIVE, examples=[5])
    reset_s: PositiveFloat = Field(default=30.0, description=_SECONDS)


class BulkheadDecl(_Table):
    max_concurrent: PositiveInt = Field(description=_POSITIVE, examples=[10])
    max_wait_s: NonNegativeFloat = Field(default=0.0, description=_WAIT)


class RateLimitDecl(_Table):
    rate: PositiveFloat = Field(
        description="a number of calls per second > 0",
        examples=[100],
    )
    burst: PositiveInt | None = Field(default=None, description=_POSITIVE)
    shared: bool = Field(default=False, description="true or false")
    max_wait_s: NonNegativeFloat | None = Field(default=None, description=_WAIT)


class PolicyDecl(_Table):
    """What one policy holds: at least one of its parts."""

    timeout_s: PositiveFloat | None = Field(default=None, description=_SECONDS)
    retry: PolicyRetryDecl | None = Field(
        default=None, description="a table like { attempts = 3, backoff_ms = 100 }"
    )
    breaker: BreakerDecl | None = Field(
        default=None, description="a table like { failures = 5, reset_s = 30 }"
    )
    bulkhead: BulkheadDecl | None = Field(
        default=None, description="a table like { max_concurrent = 10 }"
    )
    rate_limit: RateLimitDecl | None = Field(
        default=None, description="a table like { rate = 100, burst = 20 }"
    )

    @model_validator(mode="after")
    def _something(self) -> PolicyDecl:
        if not self.model_fields_set:
            raise problem(
                "declares nothing",
                hint="add timeout_s, retry, breaker, bulkhead or rate_limit",
            )
        return self


@dataclass(frozen=True, slots=True)
class PolicyEntry:
    """A declared policy and where it was written."""

    name: str
    decl: PolicyDecl
    where: Where

    @property
    def span(self) -> Span:
        return self.where.span(key=True)


def parse_policies(
    raw: object, doc: TomlDocument, errors: list[Diagnostic]
) -> tuple[PolicyEntry, ...]:
    """``[tool.svcforge.policies]``, each policy checked on its own, sorted by
    name; problems go to ``errors``."""
    if not isinstance(raw, dict):
        return ()  # absent, or not a table: ServiceTable reports that
    out = []
    for name, body in sorted(raw.items()):
        where = Where(doc, (*POLICIES, name), f"policy {name!r}")
        if _NAME.fullmatch(name) is None:
            errors.append(
                where.diagnostic(
                    (),
                    "its name must start with a letter, then letters, digits, "
                    "'_' or '-'",
                )
            )
            continue
        decl, problems = check_table(PolicyDecl, body, where)
        errors.extend(problems)
        if decl is not None:
            out.append(PolicyEntry(name, decl, where))
    return tuple(out)
