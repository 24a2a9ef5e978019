-- name: open_alerts :many
-- Alerts not cleared yet, most severe first.
SELECT a.id, a.device_id, d.serial_number, a.severity, a.code, a.raised_at
FROM alerts a
JOIN devices d ON d.id = a.device_id
WHERE a.cleared_at IS NULL AND a.severity = ANY($1)
ORDER BY a.severity DESC, a.raised_at;

-- name: clear_alert :one
-- Clear an open alert; returns it with how long it was open.
UPDATE alerts SET cleared_at = now() WHERE id = $1 AND cleared_at IS NULL
RETURNING *;

-- name: raise_alert :one
INSERT INTO alerts (device_id, severity, code, message, context)
VALUES ($1, $2, $3, $4, $5)
RETURNING id, raised_at;

-- name: raise_alert_once :one
-- Raise an alert unless the device has the same one open; no row when it has.
INSERT INTO alerts (device_id, severity, code, message, raised_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (device_id, code) WHERE cleared_at IS NULL DO NOTHING
RETURNING id, raised_at;
