-- OHLCV candles per symbol and interval, built from the trades.
CREATE TABLE candles (
    symbol varchar(16) NOT NULL REFERENCES instruments (symbol),
    interval_seconds integer NOT NULL CHECK (interval_seconds > 0),
    start_at timestamptz NOT NULL,
    open numeric(18, 8) NOT NULL,
    high numeric(18, 8) NOT NULL,
    low numeric(18, 8) NOT NULL,
    close numeric(18, 8) NOT NULL,
    volume numeric(24, 8) NOT NULL DEFAULT 0,
    trade_count integer NOT NULL DEFAULT 0,
    PRIMARY KEY (symbol, interval_seconds, start_at),
    CHECK (high >= low)
);

COMMENT ON TABLE candles IS 'Open, high, low, close and volume per interval.';
