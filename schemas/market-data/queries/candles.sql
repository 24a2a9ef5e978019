-- name: candles_between :many
-- Candles of one symbol and interval in [since, until), oldest first.
-- $3: since
-- $4: until
SELECT * FROM candles
WHERE symbol = $1 AND interval_seconds = $2 AND start_at >= $3 AND start_at < $4
ORDER BY start_at;

-- name: merge_candle :exec
-- Fold a partial candle into the stored one (created if missing).
INSERT INTO candles (symbol, interval_seconds, start_at, open, high, low, close, volume, trade_count)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (symbol, interval_seconds, start_at) DO UPDATE SET
    high = GREATEST(candles.high, EXCLUDED.high),
    low = LEAST(candles.low, EXCLUDED.low),
    close = EXCLUDED.close,
    volume = candles.volume + EXCLUDED.volume,
    trade_count = candles.trade_count + EXCLUDED.trade_count;
