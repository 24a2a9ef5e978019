-- name: instruments_of_kinds :many
-- Listed instruments of the given kinds, by symbol.
SELECT symbol, name, kind, currency FROM instruments
WHERE kind = ANY($1) AND delisted_at IS NULL
ORDER BY symbol;

-- name: last_trade_times :many
-- Every instrument with the time of its last trade (None when it never traded).
SELECT i.symbol, i.kind, max(t.executed_at) AS last_trade_at
FROM instruments i
LEFT JOIN trades t ON t.symbol = i.symbol
GROUP BY i.symbol, i.kind
ORDER BY i.symbol;

-- name: delist :execrows
UPDATE instruments SET delisted_at = now() WHERE symbol = $1 AND delisted_at IS NULL;
