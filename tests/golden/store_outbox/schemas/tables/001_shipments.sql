CREATE TYPE status AS ENUM ('CREATED', 'IN_TRANSIT', 'DELIVERED');
CREATE TYPE shipment_priority AS ENUM ('LOW', 'NORMAL', 'HIGH');

CREATE TABLE shipments (
    id bigserial PRIMARY KEY,
    shipment_id uuid NOT NULL UNIQUE,
    status status NOT NULL,
    priority shipment_priority NOT NULL,
    weight_kg numeric(12, 3) NOT NULL,
    pieces numeric NOT NULL,
    created_at timestamptz NOT NULL,
    picked_up_at timestamp,
    origin_city text NOT NULL,
    origin_country varchar(64) NOT NULL,
    origin_geo_lat double precision,
    origin_geo_lon double precision,
    destination_city text,
    labels text[] NOT NULL DEFAULT '{}',
    carrier_ref text,
    extra jsonb,
    note text NOT NULL DEFAULT ''
);

CREATE SCHEMA logistics;

CREATE TABLE logistics.scans (
    scan_id bigint PRIMARY KEY,
    parcel text NOT NULL,
    hub text NOT NULL,
    scanned_at timestamp NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
