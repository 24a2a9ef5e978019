-- name: active_keys_of_user :many
-- Keys of a user that are neither revoked nor expired, newest first.
SELECT id, name, prefix, scopes, created_at, expires_at
FROM api_keys
WHERE user_id = $1
  AND revoked_at IS NULL
  AND (expires_at IS NULL OR expires_at > now())
ORDER BY created_at DESC;

-- name: revoke_key :execrows
UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL;
