-- name: recent_events_of_actor :many
-- The latest audit entries of one actor, newest first.
SELECT * FROM audit_log
WHERE actor_kind = $1 AND actor_id = $2
ORDER BY occurred_at DESC
LIMIT $3;
