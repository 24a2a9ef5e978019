-- name: task_by_slug :one
SELECT * FROM tasks WHERE slug = $1;

-- name: hours_per_person :many
-- Hours booked per person on a task since a day.
-- $2: since
SELECT person, sum(hours) AS hours, count(*) AS days
FROM ops.assignments
WHERE task_id = $1 AND day >= $2
GROUP BY person
ORDER BY person;

-- name: bump_priority :execrows
UPDATE tasks SET priority = $2 WHERE id = ANY($1);
