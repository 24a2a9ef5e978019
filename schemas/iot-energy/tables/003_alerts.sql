CREATE TYPE alert_severity AS ENUM ('info', 'warning', 'critical');

CREATE TABLE alerts (
    id bigserial PRIMARY KEY,
    device_id uuid NOT NULL REFERENCES devices (id),
    severity alert_severity NOT NULL,
    code varchar(32) NOT NULL,
    message text NOT NULL,
    raised_at timestamptz NOT NULL DEFAULT now(),
    cleared_at timestamptz,
    open_for interval GENERATED ALWAYS AS (cleared_at - raised_at) STORED,
    context json
);

CREATE INDEX alerts_device_raised ON alerts (device_id, raised_at DESC);
CREATE UNIQUE INDEX alerts_one_open_per_code ON alerts (device_id, code) WHERE cleared_at IS NULL;
