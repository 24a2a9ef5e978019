"""SQL: migrations stay append-only, new migrations destroy nothing that
exists at the revision, and every named query of the revision still types,
with the same types, against the new migration head (offline: the types
come from the queries front-end, as generation derives them)."""

from __future__ import annotations

from pglast import ast, enums

from generator import ir
from generator.compat.load import Loaded, retype_queries, statements
from generator.compat.rules import Break

# Type changes PostgreSQL makes without rewriting the table, and that accept
# every old value: varchar(n) -> varchar(m >= n) or text, numeric(p, s) ->
# numeric(q >= p, s) or unconstrained numeric, cidr -> inet.
_TEXT = ("text", "varchar")


def migration_breaks(old: Loaded, new: Loaded) -> list[Break]:
    """Migrations of the revision edited, deleted, or followed by a new one
    that sorts before them."""
    out: list[Break] = []
    before = {m.path: m for m in old.service.migrations}
    after = {m.path: m for m in new.service.migrations} or {
        path: ir.Migration(path, text) for path, text in _migration_files(new)
    }
    last = max((p.rpartition("/")[2] for p in before), default="")
    for path, m in sorted(before.items()):
        if path not in after:
            out.append(
                Break(
                    "SQL_MIGRATION_DELETED",
                    ir.Span(path, 1, 1),
                    f"migration {path} exists at the revision and was deleted; "
                    "databases that applied it keep its changes",
                    path,
                )
            )
        elif after[path].sql != m.sql:
            line = _first_difference(m.sql, after[path].sql)
            out.append(
                Break(
                    "SQL_MIGRATION_EDITED",
                    ir.Span(path, line, 1),
                    f"migration {path} was edited (first change on line {line}); "
                    "databases that applied it will not run it again: add a new "
                    "migration instead",
                    path,
                    old=ir.Span(path, line, 1),
                )
            )
    for path in sorted(set(after) - set(before)):
        if last and path.rpartition("/")[2] < last:
            out.append(
                Break(
                    "SQL_MIGRATION_OUT_OF_ORDER",
                    ir.Span(path, 1, 1),
                    f"new migration {path} sorts before {last}, which is already "
                    "applied: databases would replay the migrations in another "
                    "order",
                    path,
                )
            )
    return out


def _migration_files(loaded: Loaded) -> list[tuple[str, str]]:
    folder = loaded.root / "schemas" / "tables"
    return [
        (p.relative_to(loaded.root).as_posix(), p.read_text(encoding="utf-8"))
        for p in sorted(folder.glob("*.sql"))
    ]


def _first_difference(a: str, b: str) -> int:
    for n, (x, y) in enumerate(zip(a.splitlines(), b.splitlines(), strict=False), 1):
        if x != y:
            return n
    return min(len(a.splitlines()), len(b.splitlines())) + 1


# --- destructive statements in new migrations -------------------------------------


def destructive_breaks(old: Loaded, new: Loaded) -> list[Break]:
    """DROP, RENAME, narrowing or rewriting ALTER COLUMN TYPE and SET NOT NULL
    on tables, columns and enum types that exist at the revision."""
    before = {m.path for m in old.service.migrations}
    tables = {t.qualname: t for t in old.service.tables}
    new_tables = {t.qualname: t for t in new.service.tables}
    sql_enums = {e.qualname: e for e in old.service.sql_enums}
    out: list[Break] = []
    files = [(m.path, m.sql) for m in new.service.migrations] or _migration_files(new)
    for path, text in files:
        if path in before:
            continue
        for node, span in statements(path, text):
            match node:
                case ast.DropStmt():
                    out += _drop(node, span, tables, sql_enums)
                case ast.RenameStmt():
                    out += _rename(node, span, tables)
                case ast.AlterTableStmt():
                    out += _alter(node, span, tables, new_tables)
    out += _enum_labels(old, new, files, before)
    return out


def _qualname(names: tuple[object, ...]) -> str:
    parts = [getattr(n, "sval", "") for n in names]
    return ".".join(parts) if len(parts) > 1 else f"public.{parts[0]}"


def _relation(rel: ast.RangeVar) -> str:
    return f"{rel.schemaname or 'public'}.{rel.relname}"


def _drop(
    node: ast.DropStmt,
    span: ir.Span,
    tables: dict[str, ir.Table],
    types: dict[str, ir.SqlEnum],
) -> list[Break]:
    out = []
    for obj in node.objects or ():
        if node.removeType == enums.ObjectType.OBJECT_TABLE:
            name = _qualname(tuple(obj))
            if name in tables:
                out.append(
                    Break(
                        "SQL_TABLE_DROPPED",
                        span,
                        f"drops table {name}, which "
                        "exists at the revision (its rows are lost; running "
                        "code still reads it)",
                        name,
                        old=tables[name].span,
                    )
                )
        elif node.removeType == enums.ObjectType.OBJECT_TYPE:
            name = _qualname(tuple(getattr(obj, "names", ()) or ()))
            if name in types:
                out.append(
                    Break(
                        "SQL_ENUM_DROPPED",
                        span,
                        f"drops enum type {name}, which exists at the revision",
                        name,
                        old=types[name].span,
                    )
                )
    return out


def _rename(
    node: ast.RenameStmt, span: ir.Span, tables: dict[str, ir.Table]
) -> list[Break]:
    if node.relation is None:
        return []
    name = _relation(node.relation)
    if name not in tables:
        return []
    if node.renameType == enums.ObjectType.OBJECT_TABLE:
        return [
            Break(
                "SQL_TABLE_RENAMED",
                span,
                f"renames table {name} to "
                f"{node.newname}: running code still uses the old name",
                name,
                old=tables[name].span,
            )
        ]
    if node.renameType == enums.ObjectType.OBJECT_COLUMN:
        column = _column(tables[name], node.subname or "")
        if column is not None:
            return [
                Break(
                    "SQL_COLUMN_RENAMED",
                    span,
                    f"renames column {name}."
                    f"{node.subname} to {node.newname}: running code still uses "
                    "the old name",
                    f"{name}.{node.subname}",
                    old=column.span,
                )
            ]
    return []


def _column(table: ir.Table, name: str) -> ir.Column | None:
    return next((c for c in table.columns if c.name == name), None)


def _alter(
    node: ast.AlterTableStmt,
    span: ir.Span,
    tables: dict[str, ir.Table],
    new_tables: dict[str, ir.Table],
) -> list[Break]:
    if node.relation is None:
        return []
    name = _relation(node.relation)
    table = tables.get(name)
    if table is None:
        return []
    out = []
    for cmd in node.cmds or ():
        column = _column(table, cmd.name or "")
        if column is None:
            continue
        subject = f"{name}.{column.name}"
        match cmd.subtype:
            case enums.AlterTableType.AT_DropColumn:
                out.append(
                    Break(
                        "SQL_COLUMN_DROPPED",
                        span,
                        f"drops column {subject}, "
                        "which running code may still read or write",
                        subject,
                        old=column.span,
                    )
                )
            case enums.AlterTableType.AT_SetNotNull if column.nullable:
                out.append(
                    Break(
                        "SQL_COLUMN_SET_NOT_NULL",
                        span,
                        f"makes {subject} NOT "
                        "NULL: rows holding NULL fail the migration, and running "
                        "code that writes NULL fails",
                        subject,
                        old=column.span,
                    )
                )
            case enums.AlterTableType.AT_AlterColumnType:
                after = new_tables.get(name)
                new_column = _column(after, column.name) if after else None
                why = _type_change(column.type, new_column.type) if new_column else ""
                if why:
                    out.append(
                        Break(
                            "SQL_COLUMN_TYPE_CHANGED",
                            span,
                            f"changes {subject} "
                            f"from {column.type.sql} to {new_column.type.sql if new_column else '?'}: {why}",
                            subject,
                            old=column.span,
                        )
                    )
    return out


def _type_change(old: ir.SqlType, new: ir.SqlType) -> str:
    """Why changing a column from ``old`` to ``new`` breaks ("" if it does not)."""
    if old == new:
        return ""
    if old.dims != new.dims or old.enum or new.enum:
        return "the table is rewritten and old values may not convert"
    if old.name in _TEXT and new.name in _TEXT:
        if new.name == "text" or not new.modifiers:
            return ""
        if old.modifiers and new.modifiers[0] >= old.modifiers[0]:
            return ""
        return "the new length limit rejects values that fit the old one"
    if old.name == new.name == "numeric":
        if not new.modifiers:
            return ""
        same_scale = len(old.modifiers) == len(new.modifiers) == 2 and (
            new.modifiers[1] == old.modifiers[1]
        )
        if same_scale and new.modifiers[0] >= old.modifiers[0]:
            return ""
        return "the new precision or scale rejects or rounds old values"
    if (old.name, new.name) == ("cidr", "inet"):
        return ""
    return "PostgreSQL rewrites the whole table (locking it) and old values may not convert"


def _enum_labels(
    old: Loaded, new: Loaded, files: list[tuple[str, str]], before: set[str]
) -> list[Break]:
    """Labels of the revision's enum types that the new head lacks."""
    after = {e.qualname: e for e in new.service.sql_enums}
    out = []
    for e in old.service.sql_enums:
        now = after.get(e.qualname)
        if now is None:
            continue  # dropped: reported by the DROP TYPE
        lost = [label for label in e.labels if label not in now.labels]
        if lost:
            span = _enum_statement(e.name, files, before) or now.span
            out.append(
                Break(
                    "SQL_ENUM_LABEL_REMOVED",
                    span,
                    f"enum {e.qualname} no "
                    f"longer has {', '.join(map(repr, lost))}: stored rows and "
                    "running code may use them",
                    e.qualname,
                    old=e.span,
                )
            )
    return out


def _enum_statement(
    name: str, files: list[tuple[str, str]], before: set[str]
) -> ir.Span | None:
    for path, text in files:
        if path in before:
            continue
        for node, span in statements(path, text):
            if (
                isinstance(node, ast.AlterEnumStmt)
                and node.oldVal
                and any(getattr(n, "sval", "") == name for n in node.typeName or ())
            ):
                return span
    return None


# --- offline verify: the revision's queries against the new head ---------------------


def query_breaks(old: Loaded, new: Loaded) -> list[Break]:
    if not old.service.queries or not new.tables_ok:
        return []
    baseline = {(q.source, q.name): q for q in old.service.queries}
    names = {(q.source, q.span.line): q.name for q in old.service.queries}
    current = {(q.source, q.name): q for q in new.service.queries}
    out = []
    retyped = retype_queries(
        old.query_files, new.service.sql_enums, new.service.tables, names, new.context
    )
    for r in retyped:
        before = baseline.get((r.source, r.name))
        if before is None:
            continue
        here = current.get((r.source, r.name))
        span = here.span if here is not None else before.span
        subject = f"{r.source}:{r.name}"
        if r.query is None:
            reason = "; ".join(d.message for d in r.errors) or "it does not type"
            out.append(
                Break(
                    "SQL_QUERY_BROKEN",
                    span,
                    f"query {r.name} of the revision "
                    f"no longer types against the new migrations: {reason}",
                    subject,
                    old=before.span,
                )
            )
            continue
        out += _compare_query(before, r.query, span, subject)
    return out


def _compare_query(
    before: ir.Query, after: ir.Query, span: ir.Span, subject: str
) -> list[Break]:
    def shape(t: ir.SqlType) -> tuple[str, int, str]:
        return (t.name, t.dims, t.enum)

    old_params = [shape(p.type) for p in before.params]
    new_params = [shape(p.type) for p in after.params]
    old_cols = [(c.name, shape(c.type)) for c in before.columns]
    new_cols = [(c.name, shape(c.type)) for c in after.columns]
    if old_params != new_params or old_cols != new_cols:
        return [
            Break(
                "SQL_QUERY_TYPES_CHANGED",
                span,
                f"query {before.name} of the "
                f"revision now takes ({_types(after.params)}) and returns "
                f"({_columns(after)}); it took ({_types(before.params)}) and "
                f"returned ({_columns(before)})",
                subject,
                old=before.span,
            )
        ]
    changed = [
        f"column {a.name} may now be NULL"
        for b, a in zip(before.columns, after.columns, strict=True)
        if a.nullable and not b.nullable
    ] + [
        f"parameter ${a.index} may no longer be NULL"
        for b, a in zip(before.params, after.params, strict=True)
        if b.nullable and not a.nullable
    ]
    if changed:
        return [
            Break(
                "SQL_QUERY_NULLABILITY_CHANGED",
                span,
                f"query {before.name} of the revision: {'; '.join(changed)}",
                subject,
                old=before.span,
            )
        ]
    return []


def _types(params: tuple[ir.QueryParam, ...]) -> str:
    return ", ".join(p.type.sql for p in params)


def _columns(q: ir.Query) -> str:
    return ", ".join(f"{c.name} {c.type.sql}" for c in q.columns)
