CREATE TABLE orders (
    order_id uuid PRIMARY KEY,
    total numeric(10, 2) NOT NULL
);

-- A log keeps every order event: no key the message fills.
CREATE TABLE order_log (
    id bigserial PRIMARY KEY,
    order_id uuid NOT NULL,
    total numeric(10, 2) NOT NULL
);
