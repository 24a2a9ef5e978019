CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL);
CREATE TABLE events (id bigint PRIMARY KEY, body jsonb);
CREATE TABLE audit (at timestamptz NOT NULL, note text);
CREATE VIEW active_users AS SELECT id, email FROM users;
CREATE TABLE hosts (id bigint PRIMARY KEY, address inet NOT NULL);
