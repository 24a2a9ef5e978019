CREATE TYPE address AS (street text, zip integer);
CREATE DOMAIN email AS varchar(200);
CREATE TABLE customers (id bigint PRIMARY KEY, email email NOT NULL, home address);
CREATE VIEW customer_emails AS SELECT id, email FROM customers;
CREATE MATERIALIZED VIEW customer_count AS SELECT count(*) AS n FROM customers;
CREATE TABLE customers_backup AS SELECT id, email FROM customers;
CREATE TABLE readings (sensor integer NOT NULL, at date NOT NULL, value double precision)
    PARTITION BY RANGE (at);
CREATE TABLE readings_2024 PARTITION OF readings
    FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE audit (at timestamptz NOT NULL DEFAULT now(), what text);
CREATE TABLE customer_audit (customer bigint) INHERITS (audit);
CREATE TABLE customer_draft (LIKE customers INCLUDING DEFAULTS);
CREATE FUNCTION lookup(wanted bigint) RETURNS SETOF customers
    LANGUAGE sql AS 'SELECT * FROM customers WHERE id = wanted';
GRANT SELECT ON customers TO PUBLIC;
DROP FUNCTION lookup(bigint);
