-- name: active_devices_of_kind :many
-- Active devices of one kind at a site.
SELECT * FROM devices WHERE kind = $1 AND site_code = $2 AND active ORDER BY serial_number;

-- name: devices_without_readings_since :many
-- Devices that have not reported since a point in time (or never).
-- $1: since
SELECT d.id, d.serial_number, d.site_code, max(r.measured_at) AS last_seen
FROM devices d
LEFT JOIN telemetry.readings r ON r.device_id = d.id
WHERE d.active
GROUP BY d.id, d.serial_number, d.site_code
HAVING max(r.measured_at) IS NULL OR max(r.measured_at) < $1
ORDER BY d.serial_number;

-- name: deactivate_device :execrows
UPDATE devices SET active = false WHERE id = $1 AND active;
