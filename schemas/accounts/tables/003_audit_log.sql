-- The audit log: one row per AuditEvent, the action's details kept as JSON.
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id uuid NOT NULL UNIQUE,
    occurred_at timestamptz NOT NULL,
    actor_kind text NOT NULL,
    actor_id text NOT NULL,
    action text NOT NULL,
    details jsonb NOT NULL DEFAULT '{}',
    ip inet
);

CREATE INDEX audit_log_actor ON audit_log (actor_kind, actor_id, occurred_at);
