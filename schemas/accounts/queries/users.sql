-- name: user_by_email :one
-- The user with this email address, if any.
SELECT * FROM users WHERE email = $1;

-- name: deactivate_user :execrows
UPDATE users SET deactivated_at = now() WHERE id = $1 AND deactivated_at IS NULL;
