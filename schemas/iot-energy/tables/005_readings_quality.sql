-- Readings carry the device's quality flags as an Avro int: the column holds
-- every value the message can (smallint could not, and the store refused it).
ALTER TABLE telemetry.readings ALTER COLUMN quality TYPE integer;
