-- An sqlc project's schema, unchanged.
CREATE TYPE book_type AS ENUM ('FICTION', 'NONFICTION');

CREATE TABLE authors (
    author_id serial PRIMARY KEY,
    name text NOT NULL DEFAULT '',
    bio text
);

CREATE TABLE books (
    book_id serial PRIMARY KEY,
    author_id integer NOT NULL REFERENCES authors (author_id),
    isbn text NOT NULL DEFAULT '' UNIQUE,
    book_type book_type NOT NULL DEFAULT 'FICTION',
    title text NOT NULL,
    tags varchar[] NOT NULL DEFAULT '{}'
);
