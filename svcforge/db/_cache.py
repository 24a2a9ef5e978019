"""Redis in front of generated repositories: the cache a table opts into with
``[tool.svcforge.tables.<name>] cache = { ttl_s = 30 }``.

``get`` and the unique gets read through Redis; ``update``, ``upsert`` and
``delete`` invalidate.  A row is stored as the MessagePack array of its
values (msgspec: UUIDs as 16 bytes, timestamps as MessagePack timestamps,
decoded back to the row's own types), under ``<prefix><table>:<key>``.

**No stale row after a write.**  Deleting the key after a write is not
enough: a reader that loaded the row *before* the write may store it *after*
the deletion.  So a key holds a row, a reader's *lease* or a writer's
*hold*, and only a lease holder may store a row:

- a reader that misses takes a lease (``SET key L<token> NX``), loads the row
  from PostgreSQL, then stores it only if the key still holds its own lease
  (one Lua script: compare and set);
- a writer first puts its hold on the key (``SET key W<token>``,
  unconditional: it replaces a row or a lease), then writes, then deletes
  the hold if it is still its own.  The hold replaced any lease taken
  before the write, so a reader that loaded the old row cannot store it;
  while the hold stands readers go to PostgreSQL and store nothing.

A write inside a transaction keeps its hold until the transaction ends
(``Connection.after_transaction``): until then the new row is not committed,
and a reader must not store the old one.  A hold or lease that is never
lifted (the process died) expires after ``hold_s`` or ``lease_s``.  Reads
through a connection inside a transaction bypass the cache: they must see
the transaction's own writes.  Concurrent misses of one key in a process
load it once (single flight).  Redis being unreachable makes reads go to
PostgreSQL (counted as errors); a write fails before it is made, since it
could not invalidate.  Rows with this key changed other than through the
repository (named queries, consume -> store, other programs) are served
from the cache until their ``ttl_s`` ends.

A unique get stores the row's primary key under the unique key and checks
the row it leads to: a pointer left behind by a change of that column is
noticed and replaced, so writes invalidate only the primary key.
"""

from __future__ import annotations

import asyncio
import os
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Protocol

from svcforge.db._resp import RedisConnection, RedisReplyError
from svcforge.db._types import Executor, JsonValue, Record

__all__ = ["CacheSpec", "RowCache", "TableCache", "table_cache"]

Row = Record | tuple[Any, ...]
"""A row's values: as the driver gave them, or as the cache decoded them."""

_UNAVAILABLE = (ConnectionError, OSError, TimeoutError, RedisReplyError)
_LEASE, _HOLD = ord("L"), ord("W")

# KEYS[1] the row's key; ARGV: the lease, the row (empty: none), ttl in ms.
_FILL = b"""
if redis.call('GET', KEYS[1]) == ARGV[1] then
  if ARGV[2] == '' then
    redis.call('DEL', KEYS[1])
  else
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  end
  return 1
end
return 0
"""
# KEYS[1] the row's key; ARGV[1] the writer's hold.
_RELEASE = b"""
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


@dataclass(frozen=True, slots=True)
class CacheSpec:
    """What a generated repository tells the cache about its table."""

    table: str
    """The qualified name, part of every key."""
    get: str
    """The statement that loads a row by primary key."""
    key: tuple[int, ...]
    """Positions of the primary key's columns in a row."""
    ttl_s: float
    unique: tuple[tuple[str, str, tuple[int, ...]], ...] = ()
    """Each unique key: its name, its statement, its columns' positions."""


class TableCache(Protocol):
    """The cache of one table, as a repository uses it."""

    async def get(self, db: Executor, *key: object) -> Row | None: ...

    async def get_by(self, db: Executor, name: str, *values: object) -> Row | None: ...

    def write(self, db: Executor, *key: object) -> _WriteGuard: ...


class _WriteGuard(Protocol):
    async def __aenter__(self) -> None: ...

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class _NoGuard:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


_NO_GUARD: Final = _NoGuard()


class _Uncached:
    """A cached table's repository without a ``RowCache``: straight to
    PostgreSQL."""

    def __init__(self, spec: CacheSpec) -> None:
        self.spec = spec
        self._unique = {name: sql for name, sql, _ in spec.unique}

    async def get(self, db: Executor, *key: object) -> Row | None:
        return await db.fetchrow(self.spec.get, *key)

    async def get_by(self, db: Executor, name: str, *values: object) -> Row | None:
        return await db.fetchrow(self._unique[name], *values)

    def write(self, db: Executor, *key: object) -> _WriteGuard:
        return _NO_GUARD


class RowCache:
    """The Redis the repositories of a service cache rows in: give it to a
    cached table's repository (``UserRepository(db, cache)``).

    ``lease_s`` bounds how long a reader's load may take before its row is
    no longer stored; ``hold_s`` how long a writer's transaction may stay
    open before readers may store rows of it again (see the module's
    documentation).  Hits, misses and errors are the Prometheus counters
    ``svcforge_cache_hits_total``, ``svcforge_cache_misses_total`` and
    ``svcforge_cache_errors_total`` by ``table``, in ``registry``."""

    def __init__(
        self,
        url: str,
        *,
        registry: Any = None,
        prefix: str = "svcforge:row:",
        lease_s: float = 10.0,
        hold_s: float = 60.0,
        timeout_s: float = 2.0,
    ) -> None:
        from prometheus_client import CollectorRegistry, Counter

        self.connection = RedisConnection(url, timeout_s=timeout_s)
        self.prefix = prefix
        self.lease_ms = max(1, round(lease_s * 1000))
        self.hold_ms = max(1, round(hold_s * 1000))
        registry = registry if registry is not None else CollectorRegistry()
        self.hits = Counter(
            "svcforge_cache_hits",
            "Repository gets answered by the row cache.",
            ("table",),
            registry=registry,
        )
        self.misses = Counter(
            "svcforge_cache_misses",
            "Repository gets the row cache did not hold (loaded from PostgreSQL).",
            ("table",),
            registry=registry,
        )
        self.errors = Counter(
            "svcforge_cache_errors",
            "Row cache commands that failed (Redis unreachable, a row that did "
            "not decode).",
            ("table",),
            registry=registry,
        )
        self._tables: dict[tuple[CacheSpec, type], _Cached] = {}
        self._scripts: dict[bytes, bytes] = {}

    def table(self, spec: CacheSpec, row: type) -> TableCache:
        """The cache of ``spec``'s table, whose rows are ``row`` objects."""
        found = self._tables.get((spec, row))
        if found is None:
            found = self._tables[spec, row] = _Cached(self, spec, row)
        return found

    async def script(
        self, body: bytes, keys: Sequence[bytes], *args: bytes | int
    ) -> Any:
        """Run a Lua script by its digest, sending it once per server."""
        digest = self._scripts.get(body)
        if digest is None:
            digest = await self.connection.call(b"SCRIPT", b"LOAD", body)
            self._scripts[body] = digest
        try:
            return await self.connection.call(
                b"EVALSHA", digest, len(keys), *keys, *args
            )
        except RedisReplyError as exc:
            if "NOSCRIPT" not in str(exc):
                raise
            return await self.connection.call(b"EVAL", body, len(keys), *keys, *args)

    async def close(self) -> None:
        await self.connection.close()

    # The runner's Worker protocol: closed when the service stops.
    name = "row cache"

    async def start(self) -> None:
        return None  # connects on first use

    async def stop(self, timeout: float) -> None:
        await self.close()

    def problem(self) -> str | None:
        return None  # unreachable Redis only slows reads down


def table_cache(cache: RowCache | None, spec: CacheSpec, row: type) -> TableCache:
    """What a cached table's repository reads through: ``cache``'s table, or
    PostgreSQL alone without a cache."""
    return _Uncached(spec) if cache is None else cache.table(spec, row)


def _in_transaction(db: Executor) -> bool:
    raw = getattr(db, "raw", None)
    return raw is not None and bool(raw.is_in_transaction())


def _decodable(hint: Any) -> Any:
    # JsonValue is a recursive alias msgspec cannot build a decoder for; a
    # JSON value round-trips through MessagePack as it is.
    if hint == JsonValue or hint == JsonValue | None:
        return Any
    return hint


class _Cached:
    def __init__(self, cache: RowCache, spec: CacheSpec, row: type) -> None:
        import msgspec

        self.cache, self.spec = cache, spec
        self.call = cache.connection.call
        self.prefix = f"{cache.prefix}{spec.table}:".encode()
        self.ttl_ms = max(1, round(spec.ttl_s * 1000))
        hints = [_decodable(h) for h in typing.get_type_hints(row).values()]
        self.encode = msgspec.msgpack.Encoder(uuid_format="bytes").encode
        self.decode = msgspec.msgpack.Decoder(tuple.__class_getitem__(tuple(hints)))
        key_type = tuple.__class_getitem__(tuple(hints[i] for i in spec.key))
        self.decode_key = msgspec.msgpack.Decoder(key_type)
        self.decode_error = (msgspec.DecodeError, msgspec.ValidationError)
        self.unique = {name: (sql, cols) for name, sql, cols in spec.unique}
        self.hit = cache.hits.labels(spec.table)
        self.miss = cache.misses.labels(spec.table)
        self.error = cache.errors.labels(spec.table)
        self.flights: dict[bytes, asyncio.Future[tuple[Row | None, bool]]] = {}

    def _failed(self, exc: BaseException) -> None:
        self.error.inc()
        import structlog

        structlog.get_logger("svcforge.db").warning(
            "row cache unavailable; reading PostgreSQL",
            table=self.spec.table,
            error=f"{type(exc).__name__}: {exc}",
        )

    def _row(self, data: bytes) -> Row | None:
        try:
            row: Row = self.decode.decode(data)
        except self.decode_error as exc:
            self._failed(exc)
            return None
        return row

    async def get(self, db: Executor, *key: object) -> Row | None:
        if _in_transaction(db):
            return await db.fetchrow(self.spec.get, *key)
        name = self.prefix + self.encode(key)
        try:
            data = await self.call(b"GET", name)
        except _UNAVAILABLE as exc:
            self._failed(exc)
            return await db.fetchrow(self.spec.get, *key)
        if data is not None and data[0] not in (_LEASE, _HOLD):
            row = self._row(data)
            if row is not None:
                self.hit.inc()
                return row
        self.miss.inc()
        row = None
        flight = self.flights.get(name)
        if flight is None:
            return await self._lead(name, db, key, lease=data is None)
        try:
            row, current = await asyncio.shield(flight)
        except asyncio.CancelledError:
            if not flight.cancelled():
                raise  # this caller was cancelled, not the load
            current = False
        # A load not known to be current may predate a write another process
        # finished before this caller asked: read for this caller alone.
        return row if current else await db.fetchrow(self.spec.get, *key)

    async def _lead(
        self, name: bytes, db: Executor, key: tuple[object, ...], lease: bool
    ) -> Row | None:
        """Load the row for every caller that misses it meanwhile."""
        flight: asyncio.Future[tuple[Row | None, bool]]
        flight = asyncio.get_running_loop().create_future()
        self.flights[name] = flight
        try:
            row, current = await self._load(name, db, key, lease)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                flight.cancel()
            else:
                flight.set_exception(exc)
                flight.exception()  # retrieved: followers may be none
            raise
        else:
            flight.set_result((row, current))
            return row
        finally:
            if self.flights.get(name) is flight:
                del self.flights[name]

    async def _load(
        self, name: bytes, db: Executor, key: tuple[object, ...], lease: bool
    ) -> tuple[Row | None, bool]:
        """The row, and whether it is known to be current when loaded: its
        lease held from before the load until after it (no write began in
        between, and none that ended before was missed)."""
        token = b"L" + os.urandom(8) if lease else None
        if token is not None:
            try:
                taken = await self.call(
                    b"SET", name, token, b"NX", b"PX", self.cache.lease_ms
                )
            except _UNAVAILABLE as exc:
                self._failed(exc)
                taken = None
            token = token if taken is not None else None
        try:
            record = await db.fetchrow(self.spec.get, *key)
        except BaseException:
            if token is not None:
                await self._fill(name, token, b"")
            raise
        row = None if record is None else tuple(record)
        if token is None:
            return row, False
        filled = await self._fill(name, token, b"" if row is None else self.encode(row))
        return row, filled

    async def _fill(self, name: bytes, token: bytes, data: bytes) -> bool:
        try:
            done = await self.cache.script(_FILL, (name,), token, data, self.ttl_ms)
        except _UNAVAILABLE as exc:
            self._failed(exc)
            return False
        return bool(done)

    async def get_by(self, db: Executor, name: str, *values: object) -> Row | None:
        sql, columns = self.unique[name]
        if _in_transaction(db):
            return await db.fetchrow(sql, *values)
        pointer = self.prefix + name.encode() + b":" + self.encode(values)
        try:
            data = await self.call(b"GET", pointer)
        except _UNAVAILABLE as exc:
            self._failed(exc)
            return await db.fetchrow(sql, *values)
        if data is not None:
            try:
                key = self.decode_key.decode(data)
            except self.decode_error as exc:
                self._failed(exc)
            else:
                row = await self.get(db, *key)
                if row is not None and all(
                    row[c] == v for c, v in zip(columns, values, strict=True)
                ):
                    return row
        else:
            self.miss.inc()
        record = await db.fetchrow(sql, *values)
        if record is None:
            return None
        key = tuple(record[i] for i in self.spec.key)
        try:
            await self.call(b"SET", pointer, self.encode(key), b"PX", self.ttl_ms)
        except _UNAVAILABLE as exc:
            self._failed(exc)
        return tuple(record)

    def write(self, db: Executor, *key: object) -> _WriteGuard:
        return _Hold(self, db, self.prefix + self.encode(key))


class _Hold:
    """A writer's hold on one row's key, for the time of the write (and of
    its transaction)."""

    __slots__ = ("db", "name", "owner", "token")

    def __init__(self, owner: _Cached, db: Executor, name: bytes) -> None:
        self.owner, self.db, self.name = owner, db, name
        self.token = b"W" + os.urandom(8)

    async def __aenter__(self) -> None:
        owner = self.owner
        # A later reader in this process must not join a load begun before.
        owner.flights.pop(self.name, None)
        await owner.call(b"SET", self.name, self.token, b"PX", owner.cache.hold_ms)

    async def __aexit__(self, *exc: object) -> None:
        self.owner.flights.pop(self.name, None)
        after = getattr(self.db, "after_transaction", None)
        if after is not None and after(self.release):
            return
        if _in_transaction(self.db):
            return  # a transaction svcforge did not open: the hold expires
        await self.release()

    async def release(self) -> None:
        try:
            await self.owner.cache.script(_RELEASE, (self.name,), self.token)
        except _UNAVAILABLE as exc:
            self.owner._failed(exc)
