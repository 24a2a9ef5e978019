"""The transactional outbox's table, as a migration svcforge provides, and
the statements that stage, read and mark its messages.

A message published through the outbox is first a row of
``svcforge_outbox``, written in the same transaction as the service's own
writes: both commit or neither does.  The relay (``svcforge.service``) then
publishes the rows in id order and marks them sent.  A trigger notifies the
relay at each commit that staged messages, so it needs not poll.
"""

from __future__ import annotations

from svcforge.db._migrate import Migration

__all__ = [
    "ATTEMPTED",
    "EXPIRED",
    "OUTBOX_CHANNEL",
    "OUTBOX_LOCK",
    "OUTBOX_MIGRATION",
    "OUTBOX_TABLE",
    "PENDING",
    "SENT",
    "STAGE",
]

OUTBOX_TABLE = "svcforge_outbox"
OUTBOX_CHANNEL = "svcforge_outbox"
"""The ``LISTEN``/``NOTIFY`` channel that wakes the relay."""
OUTBOX_LOCK = 0x5FC0_0B0C
"""The advisory lock the relay holds: one relay per database publishes, so
that the order of the staged messages is kept."""

OUTBOX_MIGRATION = Migration(
    "svcforge_outbox_001.sql",
    f"""-- svcforge: the transactional outbox.  Messages are staged here in the
-- transaction of the writes they announce; the relay publishes them in id
-- order and marks them sent (sent rows are deleted after a retention time).
CREATE TABLE {OUTBOX_TABLE} (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel text NOT NULL,
    key bytea,
    value bytea NOT NULL,
    header_names text[] NOT NULL,
    header_values bytea[] NOT NULL,
    staged_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    sent_at timestamptz
);

CREATE INDEX {OUTBOX_TABLE}_pending ON {OUTBOX_TABLE} (id) WHERE sent_at IS NULL;
CREATE INDEX {OUTBOX_TABLE}_sent ON {OUTBOX_TABLE} (sent_at) WHERE sent_at IS NOT NULL;

CREATE FUNCTION {OUTBOX_TABLE}_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{OUTBOX_CHANNEL}', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER {OUTBOX_TABLE}_staged AFTER INSERT ON {OUTBOX_TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {OUTBOX_TABLE}_notify();
""",
)
"""Apply it with the service's own migrations (the generated service and
``svcforge migrate`` do, for a service with an ``outbox`` channel)."""

STAGE = f"""
INSERT INTO {OUTBOX_TABLE} (channel, key, value, header_names, header_values)
VALUES ($1, $2, $3, $4, $5)
"""

PENDING = f"""
SELECT id, channel, key, value, header_names, header_values, attempts
FROM {OUTBOX_TABLE}
WHERE sent_at IS NULL AND channel = ANY($1::text[])
ORDER BY id
LIMIT $2
"""

ATTEMPTED = f"""
UPDATE {OUTBOX_TABLE} SET attempts = attempts + 1 WHERE id = ANY($1::bigint[])
"""

SENT = f"""
UPDATE {OUTBOX_TABLE} SET sent_at = now() WHERE id = ANY($1::bigint[])
"""

EXPIRED = f"""
DELETE FROM {OUTBOX_TABLE}
WHERE sent_at IS NOT NULL AND sent_at < now() - make_interval(secs => $1)
"""
