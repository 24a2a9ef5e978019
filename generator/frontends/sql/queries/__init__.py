"""Named queries typed statically over the replayed tables, as sqlc does:
``parse`` is the entry point (annotations, names, IR); ``statements`` types
SELECT/INSERT/UPDATE/DELETE, ``expressions`` what they contain, ``functions``
the calls, and ``resolution`` holds PostgreSQL's rules for literals, operators
and common types; ``context`` is what one statement's typing accumulates."""
