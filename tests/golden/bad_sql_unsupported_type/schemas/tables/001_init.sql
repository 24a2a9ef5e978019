CREATE TABLE sensors (
    id integer PRIMARY KEY,
    position point NOT NULL
);
