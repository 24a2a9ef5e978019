-- Every kind of column and key the repositories handle.
CREATE TYPE priority AS ENUM ('low', 'normal', 'high');
CREATE SCHEMA ops;

CREATE TABLE tasks (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug varchar(40) NOT NULL UNIQUE,
    title text NOT NULL,
    priority priority NOT NULL DEFAULT 'normal',
    tags text[] NOT NULL DEFAULT '{}',
    estimate interval,
    payload jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    title_length integer GENERATED ALWAYS AS (length(title)) STORED
);
COMMENT ON TABLE tasks IS 'Work items.';
COMMENT ON COLUMN tasks.slug IS 'URL-safe unique name.';

CREATE TABLE ops.assignments (
    task_id bigint NOT NULL REFERENCES tasks (id),
    person varchar(64) NOT NULL,
    day date NOT NULL,
    hours numeric(4, 1) NOT NULL CHECK (hours > 0),
    PRIMARY KEY (task_id, person, day)
);

CREATE TABLE events (
    seq serial PRIMARY KEY,
    at timestamp NOT NULL,
    source inet,
    body bytea
);

CREATE TABLE audit_log (
    happened_at timestamptz NOT NULL DEFAULT now(),
    actor uuid,
    note text
);
