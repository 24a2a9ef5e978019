-- Later changes: how a real migration history reads.
ALTER TABLE trades RENAME COLUMN buyer_order_id TO buyer_order;
ALTER TABLE trades ADD COLUMN venue_latency interval;
ALTER TABLE instruments ADD COLUMN delisted_at timestamptz;
ALTER TABLE instruments ALTER COLUMN name DROP NOT NULL;
ALTER TABLE candles ADD COLUMN vwap numeric(18, 8);
