"""Migrations replayed into the catalog: ``parse`` is the entry point,
``replay`` dispatches each statement to the module of the object it changes
(tables, columns, constraints, indexes, enums, schemas, comments)."""
