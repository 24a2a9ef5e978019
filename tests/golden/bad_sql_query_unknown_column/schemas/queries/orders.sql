-- name: big_orders :many
SELECT id, total FROM orders
WHERE earned > $1;
