-- Instruments: what the collector knows about each symbol it sees.
CREATE TYPE instrument_kind AS ENUM ('equity', 'etf', 'future', 'option', 'crypto');

CREATE TABLE instruments (
    symbol varchar(16) PRIMARY KEY,
    name text NOT NULL,
    kind instrument_kind NOT NULL,
    currency char(3) NOT NULL DEFAULT 'USD',
    tick_size numeric(18, 8) NOT NULL DEFAULT 0.01 CHECK (tick_size > 0),
    listed_on date,
    tags text[] NOT NULL DEFAULT '{}',
    attributes jsonb NOT NULL DEFAULT '{}'
);

COMMENT ON TABLE instruments IS 'Tradable instruments, one row per symbol.';
COMMENT ON COLUMN instruments.tick_size IS 'Smallest price increment.';
