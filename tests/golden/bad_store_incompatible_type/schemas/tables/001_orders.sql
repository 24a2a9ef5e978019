CREATE TABLE orders (
    order_id uuid PRIMARY KEY,
    quantity smallint NOT NULL,
    total numeric(10, 2) NOT NULL,
    placed_at timestamptz NOT NULL,
    note text NOT NULL DEFAULT ''
);
