-- name: recent_trades :many
-- The latest trades of one instrument, newest first.
SELECT * FROM trades
WHERE symbol = $1
ORDER BY executed_at DESC
LIMIT $2;

-- name: last_trade :one
-- The trade with the highest sequence number of one instrument.
SELECT * FROM trades WHERE symbol = $1 ORDER BY sequence DESC LIMIT 1;

-- name: volume_by_venue :many
-- Traded volume and trade count per venue since a point in time.
-- $2: since
SELECT venue, count(*) AS trades, sum(quantity) AS volume, max(executed_at) AS last_at
FROM trades
WHERE symbol = $1 AND executed_at >= $2
GROUP BY venue
ORDER BY venue;

-- name: trade_count :one
SELECT count(*) AS trades FROM trades WHERE symbol = ANY($1);

-- name: delete_trades_before :execrows
-- Retention: drop trades executed before a cutoff; returns how many.
-- $1: cutoff
DELETE FROM trades WHERE executed_at < $1;
