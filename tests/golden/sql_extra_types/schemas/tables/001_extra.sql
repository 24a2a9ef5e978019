CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE TABLE places (
    id integer PRIMARY KEY,
    name citext NOT NULL,
    tags hstore,
    price money,
    open_at timetz,
    area box,
    seats int4range,
    flags bit(3),
    search tsvector
);
