-- Devices at the customers' sites: meters, inverters, batteries, chargers.
CREATE TYPE device_kind AS ENUM ('smart_meter', 'solar_inverter', 'battery', 'ev_charger', 'heat_pump');

CREATE TABLE devices (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    serial_number varchar(32) NOT NULL UNIQUE,
    kind device_kind NOT NULL,
    site text NOT NULL,
    installed_on date NOT NULL,
    rated_power_kw numeric(8, 3),
    ip_address inet,
    network cidr,
    firmware text NOT NULL DEFAULT 'unknown',
    active boolean NOT NULL DEFAULT true,
    settings jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE devices IS 'Every device the platform has provisioned.';
COMMENT ON COLUMN devices.serial_number IS 'Manufacturer serial, unique across vendors.';
