-- An sqlc project's queries, unchanged: named parameters, sqlc.* functions
-- and every command.

-- name: GetAuthor :one
SELECT * FROM authors WHERE author_id = @author_id;

-- name: BooksByTags :many
SELECT book_id, title, name, isbn, tags
FROM books
LEFT JOIN authors ON books.author_id = authors.author_id
WHERE tags && $1::varchar[];

-- name: BooksWithAuthor :many
-- Each book with its author's row.
SELECT sqlc.embed(books), sqlc.embed(authors)
FROM books JOIN authors USING (author_id)
WHERE books.book_id IN (sqlc.slice(ids));

-- name: CreateAuthor :one
INSERT INTO authors (name, bio) VALUES (@name, sqlc.narg(bio)) RETURNING *;

-- name: AuthorExists :one
SELECT count(*) > 0 FROM authors WHERE name = $1;

-- name: NewBookID :execlastid
INSERT INTO books (author_id, title) VALUES ($1, $2) RETURNING book_id;

-- name: CopyBooks :copyfrom
INSERT INTO books (author_id, isbn, title) VALUES ($1, $2, $3);

-- name: Retitle :batchexec
UPDATE books SET title = @title WHERE book_id = @book_id;

-- name: TitleOf :batchone
SELECT title FROM books WHERE book_id = $1;

-- name: BooksOf :batchmany
SELECT * FROM books WHERE author_id = $1;

-- name: DeleteBook :execresult
DELETE FROM books WHERE book_id = $1;

-- name: CountBooks :execrows
UPDATE books SET tags = tags WHERE author_id = $1;

-- name: CreateAuthors :batchone
INSERT INTO authors (name) VALUES ($1) RETURNING author_id;
