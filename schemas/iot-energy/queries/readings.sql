-- name: latest_reading :one
-- The most recent reading of one device.
SELECT * FROM telemetry.readings
WHERE device_id = $1
ORDER BY measured_at DESC
LIMIT 1;

-- name: energy_per_hour :many
-- Energy and peak power per hour for one device in [since, until).
-- $2: since
-- $3: until
SELECT date_trunc('hour', measured_at) AS hour,
       max(energy_wh) - min(energy_wh) AS energy_wh,
       max(power_w) AS peak_power_w,
       avg(voltage_v) AS mean_voltage_v
FROM telemetry.readings
WHERE device_id = $1 AND measured_at >= $2 AND measured_at < $3
GROUP BY 1
ORDER BY 1;

-- name: record_reading :exec
-- Store a reading; a duplicate (same device and time) is ignored.
INSERT INTO telemetry.readings (device_id, measured_at, energy_wh, power_w, voltage_v, current_a, frequency_hz, quality)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (device_id, measured_at) DO NOTHING;

-- name: purge_readings :execrows
-- $1: cutoff
DELETE FROM telemetry.readings WHERE measured_at < $1;
