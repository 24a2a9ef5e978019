ALTER TABLE tasks RENAME COLUMN estimate TO estimated;
ALTER TABLE events ADD COLUMN flags boolean[] , ALTER COLUMN source SET NOT NULL;
CREATE UNIQUE INDEX events_at_source ON events (at, source);
