CREATE TABLE orders (
    order_id uuid PRIMARY KEY,
    total numeric(10, 2) NOT NULL,
    placed_at timestamptz NOT NULL DEFAULT now(),
    note text
);
