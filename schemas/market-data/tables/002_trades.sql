-- Trades as received from the venues (the Trade message, stored).
CREATE TYPE side AS ENUM ('BUY', 'SELL');
CREATE TYPE venue AS ENUM ('XNAS', 'XNYS', 'BATS', 'IEXG', 'OTHER');

CREATE TABLE trades (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trade_id uuid NOT NULL UNIQUE,
    symbol varchar(16) NOT NULL REFERENCES instruments (symbol),
    venue venue NOT NULL DEFAULT 'OTHER',
    side side NOT NULL,
    price numeric(18, 8) NOT NULL CHECK (price > 0),
    quantity numeric(18, 8) NOT NULL CHECK (quantity > 0),
    executed_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    sequence bigint NOT NULL,
    buyer_order_id text,
    conditions text[] NOT NULL DEFAULT '{}',
    is_block boolean NOT NULL DEFAULT false
);

CREATE UNIQUE INDEX trades_symbol_sequence ON trades (symbol, sequence);
CREATE INDEX trades_symbol_executed_at ON trades (symbol, executed_at DESC);

COMMENT ON TABLE trades IS 'Executions reported by the venues, deduplicated on trade_id.';
