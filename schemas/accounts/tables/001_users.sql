-- Users of the accounts service and their role in the organisation.
CREATE TYPE user_role AS ENUM ('owner', 'admin', 'member', 'viewer');

CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL UNIQUE,
    display_name text NOT NULL,
    role user_role NOT NULL DEFAULT 'member',
    locale text NOT NULL DEFAULT 'en',
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    deactivated_at timestamptz
);
