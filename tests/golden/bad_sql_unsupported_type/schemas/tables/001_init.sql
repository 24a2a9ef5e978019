CREATE TABLE sensors (
    id integer PRIMARY KEY,
    position geometry NOT NULL
);
