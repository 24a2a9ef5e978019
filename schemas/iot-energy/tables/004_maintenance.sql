-- Field work: who acknowledged an alert, and the device's local maintenance window.
ALTER TABLE alerts ADD COLUMN acknowledged_by text, ADD COLUMN acknowledged_at timestamp;
ALTER TABLE devices ADD COLUMN maintenance_window_start time, ADD COLUMN region char(2);
ALTER TABLE devices ADD COLUMN certificate bytea;
ALTER TABLE telemetry.readings ADD COLUMN phase_power_w double precision[];
ALTER TYPE alert_severity ADD VALUE 'emergency' AFTER 'critical';
ALTER TABLE devices RENAME COLUMN site TO site_code;
