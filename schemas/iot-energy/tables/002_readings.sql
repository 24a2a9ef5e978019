-- Readings live in their own schema: the telemetry store.
CREATE SCHEMA telemetry;

CREATE TABLE telemetry.readings (
    device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    measured_at timestamptz NOT NULL,
    energy_wh bigint NOT NULL CHECK (energy_wh >= 0),
    power_w double precision NOT NULL,
    voltage_v real,
    current_a real,
    frequency_hz real,
    quality smallint NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, measured_at)
);
