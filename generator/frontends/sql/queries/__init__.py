"""Named queries typed statically over the replayed tables, as PostgreSQL
types them when it prepares a statement: ``parse`` is the entry point
(annotations, names, IR); ``sqlc_syntax`` rewrites sqlc's parameters;
``dml`` and ``statements`` type the statements, ``relations`` their FROM
clauses, ``expressions``, ``operators`` and ``functions`` what they contain;
``overloads`` holds PostgreSQL's resolution rules over ``pg_catalog`` (the
built-in catalog, dumped from a real server) and ``extensions``; ``rows``
says how many rows a statement gives; ``context`` is what one statement's
typing accumulates."""
