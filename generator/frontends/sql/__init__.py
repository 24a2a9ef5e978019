"""SQL front-end (PostgreSQL, parsed with pglast).

- ``migrations/``: ``schemas/tables/*.sql`` replayed in file-name order into a
  ``Catalog``, which becomes IR tables and enum types.
- ``queries/``: ``schemas/queries/*.sql``, named queries typed statically over
  those tables.

Both read SQL through ``source`` (statements, positions, errors) and type
names through ``type_names``; ``catalog`` is the model the replay builds.
"""
