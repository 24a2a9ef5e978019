"""Tables -> ``generated/db/``: a row class, an insert class and a repository
per table, the service's enum types and its migrations.

Rows are slotted dataclasses built positionally from the driver's records:
PostgreSQL already typed every value, and validating it again costs more than
the query (see ``bench/repository.py`` for the numbers behind this choice).
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment

from generator import ir
from generator.emitters.pysrc import INDENT, docstring, header, py_str
from generator.emitters.pysrc import imports as imports_text
from generator.emitters.sqlpy import (
    Imports,
    binary_io,
    py_type,
    qualified,
    quote,
    signature,
    spread,
    spread_tuple,
    sql_block,
    triple_quoted_body,
    wrap_sql,
)

I1, I2, I3 = INDENT, INDENT * 2, INDENT * 3


def _with_unset(annotation: str) -> str:
    """``T | Unset``, ``T | None | Unset`` (UNSET: the server's default)."""
    return f"{annotation} | Unset"


def emit_repos(service: ir.Service, env: Environment) -> dict[str, str]:
    """``generated/db/``: the enum types, the migrations, and a module per
    table."""
    if not service.migrations:
        return {}
    db = f"{service.generated_dir}/db"
    files = {
        f"{db}/__init__.py": _init(service, env),
        f"{db}/enums.py": _enums(service, env),
        f"{db}/migrations.py": _migrations(service, env),
    }
    for table in service.tables:
        files[f"{db}/{table.module}.py"] = TableModule(service, table).render(env)
    return files


def _init(service: ir.Service, env: Environment) -> str:
    return env.get_template("repo_init.py.j2").render(
        header=header(m.path for m in service.migrations),
    )


def _enums(service: ir.Service, env: Environment) -> str:
    imports = Imports()
    imports.add_from("typing", "Final")
    imports.add_from("svcforge.db", "EnumType")
    blocks = []
    for e in service.sql_enums:
        if e.shared:
            # One class for the Avro enum and this type (see generator.linking).
            imports.add(f"from ..models import {e.py_name} as {e.py_name}")
            continue
        imports.add_from("enum", "StrEnum")
        lines = [f"class {e.py_name}(StrEnum):"]
        lines += docstring(e.doc or f"PostgreSQL enum ``{e.qualname}``.", INDENT)
        lines.append("")
        lines += [
            f"{INDENT}{member} = {py_str(label)}"
            for member, label in zip(e.member_names, e.labels, strict=True)
        ]
        blocks.append("\n".join(lines))
    blocks += _composites(service, imports)
    items = [
        f"EnumType({py_str(e.schema)}, {py_str(e.name)}, {e.py_name})"
        for e in service.sql_enums
    ]
    if service.sql_composites:
        imports.add_from("svcforge.db", "CompositeType")
    items += [
        f"CompositeType({py_str(c.schema)}, {py_str(c.name)}, {c.py_name})"
        for c in service.sql_composites
    ]
    if items:
        registry = spread_tuple("ENUM_TYPES: Final = ", items)
    else:
        registry = "ENUM_TYPES: Final[tuple[EnumType, ...]] = ()"
    return env.get_template("repo_enums.py.j2").render(
        header=header(_enum_sources(service))
        if service.sql_enums
        else header(m.path for m in service.migrations),
        import_block=imports_text(imports),
        blocks=blocks,
        registry=registry,
    )


def _enum_sources(service: ir.Service) -> set[str]:
    """The migrations that define the enum types, and the Avro schemas of the
    enums they share a class with."""
    sources = {e.span.path for e in service.sql_enums}
    sources |= {
        service.named(e.shared).span.path for e in service.sql_enums if e.shared
    }
    return sources


def _composites(service: ir.Service, imports: Imports) -> list[str]:
    """Composite types as named tuples (asyncpg's tuple codec turns values
    into them and back)."""
    blocks = []
    for c in service.sql_composites:
        imports.add_from("typing", "NamedTuple")
        lines = [f"class {c.py_name}(NamedTuple):"]
        lines += docstring(
            c.doc or f"PostgreSQL composite type ``{c.qualname}``.", INDENT
        )
        lines.append("")
        lines += [
            f"{INDENT}{f.py_name}: {py_type(f.type, True, service, imports)}"
            for f in c.fields
        ]
        blocks.append("\n".join(lines))
    return blocks


def _migrations(service: ir.Service, env: Environment) -> str:
    items = []
    for m in service.migrations:
        name = m.path.rpartition("/")[2]
        body = triple_quoted_body(m.sql, closed_right_after=True)
        items.append(f'{INDENT}Migration({py_str(name)}, """{body}""",),')
    return env.get_template("repo_migrations.py.j2").render(
        header=header(m.path for m in service.migrations),
        items=items,
    )


@dataclass
class TableModule:
    service: ir.Service
    table: ir.Table

    def __post_init__(self) -> None:
        self.imports = Imports()
        t = self.table
        self.row = t.row_class
        self.new = t.insert_class
        self.repo = t.repository_class
        self.insertable = [c for c in t.columns if c.writable and t.writable]
        pk = t.primary_key.columns if t.primary_key else ()
        self.pk = [t.column(c) for c in pk]
        self.updatable = [c for c in self.insertable if c.name not in pk]
        columns = wrap_sql("SELECT", [quote(c.name) for c in t.columns])
        self.select = f"{columns}\nFROM {qualified(t)}"
        self.returning = wrap_sql("RETURNING", [quote(c.name) for c in t.columns])

    def annotation(self, c: ir.Column, optional: bool = False) -> str:
        return py_type(c.type, c.nullable or optional, self.service, self.imports)

    # --- classes -------------------------------------------------------------------

    def row_class(self) -> str:
        t = self.table
        self.imports.add_from("dataclasses", "dataclass")
        lines = ["@dataclass(slots=True)", f"class {self.row}:"]
        doc = f"A row of ``{t.qualname}``." + (f"\n\n{t.doc}" if t.doc else "")
        lines += docstring(doc, INDENT)
        lines.append("")
        for c in t.columns:
            lines.append(f"{INDENT}{c.py_name}: {self.annotation(c)}")
            if c.doc:
                lines += docstring(c.doc, INDENT)
        return "\n".join(lines)

    def insert_class(self) -> str:
        t = self.table
        lines = ["@dataclass(slots=True, kw_only=True)", f"class {self.new}:"]
        doc = (
            f"Values of a new row of ``{t.qualname}``.\n\n"
            "A column with a server default left ``UNSET`` gets that default;\n"
            "``None`` stores NULL."
        )
        lines += docstring(doc, INDENT)
        lines.append("")
        for c in self.insertable:
            ann = self.annotation(c)
            if c.has_default:
                self.imports.add_from("svcforge.db", "UNSET", "Unset")
                default = " = UNSET"
                ann = _with_unset(ann)
            else:
                default = " = None" if c.nullable else ""
            lines.append(f"{INDENT}{c.py_name}: {ann}{default}")
            if c.doc:
                lines += docstring(c.doc, INDENT)
        return "\n".join(lines)

    # --- statements ----------------------------------------------------------------

    def values_sql(self) -> str:
        """``VALUES ($1, ..., $n)``: ``insert_row`` puts DEFAULT in place of
        the values left unset (see ``svcforge.db``)."""
        parts = [f"${i}" for i in range(1, len(self.insertable) + 1)]
        cols = [quote(c.name) for c in self.insertable]
        return (
            wrap_sql(f"INSERT INTO {qualified(self.table)} (", cols, glue="")
            + ")\n"
            + wrap_sql("VALUES (", parts, glue="")
            + ")"
        )

    def statements(self) -> list[str]:
        t = self.table
        out = []
        pk_where = " AND ".join(
            f"{quote(c.name)} = ${i}" for i, c in enumerate(self.pk, 1)
        )
        if self.pk:
            out.append(sql_block("GET", f"{self.select}\nWHERE {pk_where}"))
        for key in t.unique_keys:
            where = " AND ".join(
                f"{quote(c)} = ${i}" for i, c in enumerate(key.columns, 1)
            )
            out.append(sql_block(self._key_const(key), f"{self.select}\nWHERE {where}"))
        if self.insertable:
            out.append(sql_block("INSERT", f"{self.values_sql()}\n{self.returning}"))
        if self.can_upsert():
            out.append(sql_block("UPSERT", self.upsert_sql()))
        if self.pk and self.updatable:
            out.append(sql_block("UPDATE", self.update_sql()))
        if self.pk and t.writable:
            out.append(
                sql_block("DELETE", f"DELETE FROM {qualified(t)}\nWHERE {pk_where}")
            )
        out.append(sql_block("COUNT", f"SELECT count(*) FROM {qualified(t)}"))
        if self.pk:
            order = ", ".join(quote(c.name) for c in self.pk)
            n = len(self.pk)
            out.append(
                sql_block("PAGE_FIRST", f"{self.select}\nORDER BY {order}\nLIMIT $1")
            )
            if n == 1:
                after = f"{order} > $1"
            else:
                params = ", ".join(f"${i}" for i in range(1, n + 1))
                after = f"({order}) > ({params})"
            out.append(
                sql_block(
                    "PAGE_AFTER",
                    f"{self.select}\nWHERE {after}\nORDER BY {order}\nLIMIT ${n + 1}",
                )
            )
        return out

    def _key_const(self, key: ir.Key) -> str:
        return key.lookup.upper()

    def can_upsert(self) -> bool:
        return bool(self.pk) and all(c.writable for c in self.pk)

    def upsert_sql(self) -> str:
        conflict = ", ".join(quote(c.name) for c in self.pk)
        targets = self.updatable or self.pk
        sets = [f"{quote(c.name)} = EXCLUDED.{quote(c.name)}" for c in targets]
        return (
            f"{self.values_sql()}\nON CONFLICT ({conflict}) DO UPDATE SET\n"
            + ",\n".join(INDENT + s for s in sets)
            + f"\n{self.returning}"
        )

    def update_sql(self) -> str:
        n = len(self.pk)
        sets = []
        for i, c in enumerate(self.updatable):
            flag, value = n + 2 * i + 1, n + 2 * i + 2
            col = quote(c.name)
            sets.append(
                f"{INDENT}{col} = CASE WHEN ${flag} THEN ${value} ELSE {col} END"
            )
        where = " AND ".join(
            f"{quote(c.name)} = ${i}" for i, c in enumerate(self.pk, 1)
        )
        return (
            f"UPDATE {qualified(self.table)} SET\n"
            + ",\n".join(sets)
            + f"\nWHERE {where}\n{self.returning}"
        )

    # --- repository ----------------------------------------------------------------

    def repository(self) -> str:
        t = self.table
        self.imports.add_from("svcforge.db", "Executor")
        lines = [f"class {self.repo}:"]
        lines += docstring(
            f"Statements on ``{t.qualname}``.  Give it a ``Database`` or a\n"
            "``Connection`` (inside ``Database.transaction()`` for example): it runs\n"
            "the same either way.",
            I1,
        )
        lines += [
            "",
            f"{I1}def __init__(self, db: Executor) -> None:",
            f"{I2}self.db = db",
        ]
        methods = []
        if self.pk:
            methods.append(self.get_method())
        for key in t.unique_keys:
            methods.append(self.get_by_method(key))
        if self.insertable:
            methods.append(self.insert_method())
            methods.append(self.insert_many_method())
        if self.can_upsert():
            methods.append(self.upsert_method())
        if self.pk and self.updatable:
            methods.append(self.update_method())
        if self.pk and t.writable:
            methods.append(self.delete_method())
        methods.append(self.count_method())
        if self.pk:
            methods.append(self.page_method())
        for m in methods:
            lines += ["", *m]
        return "\n".join(lines)

    def _params(self, columns: list[ir.Column]) -> list[str]:
        return [
            f"{c.py_name}: {py_type(c.type, False, self.service, self.imports)}"
            for c in columns
        ]

    def _method(
        self, name: str, params: list[str], returns: str, doc: str
    ) -> list[str]:
        return [signature(name, ["self", *params], returns, I1), *docstring(doc, I2)]

    def _fetch_row(self, const: str, args: list[str]) -> list[str]:
        call = spread("row = await self.db.fetchrow(", [const, *args], ")", I2)
        return [call, f"{I2}return None if row is None else {self.row}(*row)"]

    def get_method(self) -> list[str]:
        lines = self._method(
            "get",
            self._params(self.pk),
            f"{self.row} | None",
            "The row with this primary key, or None.",
        )
        return lines + self._fetch_row("GET", [c.py_name for c in self.pk])

    def get_by_method(self, key: ir.Key) -> list[str]:
        cols = [self.table.column(c) for c in key.columns]
        doc = f"The row with this {', '.join(key.columns)} (unique key\n``{key.name}``), or None."
        lines = self._method(key.lookup, self._params(cols), f"{self.row} | None", doc)
        return lines + self._fetch_row(self._key_const(key), [c.py_name for c in cols])

    def _returned(self, const: str) -> list[str]:
        values = [f"row.{c.py_name}" for c in self.insertable]
        if any(c.has_default for c in self.insertable):
            self.imports.add_from("svcforge.db", "insert_row")
            args = ["self.db", const, spread_tuple("", values)]
            call = spread("record = await insert_row(", args, ")", I2)
            return [call, f"{I2}return {self.row}(*record)"]
        self.imports.add_from("svcforge.db", "returned")
        call = spread("record = await self.db.fetchrow(", [const, *values], ")", I2)
        return [call, f"{I2}return {self.row}(*returned(record))"]

    def insert_method(self) -> list[str]:
        doc = "Insert one row; return it as stored (defaults filled in)."
        lines = self._method("insert", [f"row: {self.new}"], self.row, doc)
        return lines + self._returned("INSERT")

    def upsert_method(self) -> list[str]:
        doc = (
            "Insert the row, or update every column of the row with the same\n"
            "primary key; return it as stored."
        )
        lines = self._method("upsert", [f"row: {self.new}"], self.row, doc)
        return lines + self._returned("UPSERT")

    def insert_many_method(self) -> list[str]:
        """COPY; without server defaults the values stream straight into it
        (no list of them is built: 2-3 % of a 50k-row copy)."""
        self.imports.add_from("collections.abc", "Iterable")
        if not all(binary_io(c.type) for c in self.insertable):
            return self._insert_many_by_statements()
        doc = "Insert rows with COPY, the fastest way in; return how many."
        lines = self._method("insert_many", [f"rows: Iterable[{self.new}]"], "int", doc)
        if len(self.insertable) > 1:
            values, listed = "map(_VALUES, rows)", "list(map(_VALUES, rows))"
        else:
            each = f"(r.{self.insertable[0].py_name},) for r in rows"
            values, listed = f"({each})", f"[{each}]"
        schema, name = py_str(self.table.schema), py_str(self.table.name)
        if not any(c.has_default for c in self.insertable):
            args = [name, values, "columns=INSERT_COLUMNS", f"schema={schema}"]
            return [*lines, spread("return await self.db.copy_records(", args, ")", I2)]
        self.imports.add_from("svcforge.db", "copy_rows")
        args = [
            "self.db",
            schema,
            name,
            "INSERT_COLUMNS",
            listed,
            "DEFAULTED",
        ]
        return [*lines, spread("return await copy_rows(", args, ")", I2)]

    def _insert_many_by_statements(self) -> list[str]:
        doc = (
            "Insert rows (with executemany: COPY cannot carry a type of this\n"
            "table); return how many."
        )
        lines = self._method("insert_many", [f"rows: Iterable[{self.new}]"], "int", doc)
        if len(self.insertable) > 1:
            records = "list(map(_VALUES, rows))"
        else:
            records = f"[(r.{self.insertable[0].py_name},) for r in rows]"
        self.imports.add_from("svcforge.db", "insert_rows")
        return [*lines, f"{I2}return await insert_rows(self.db, INSERT, {records})"]

    def update_method(self) -> list[str]:
        self.imports.add_from("svcforge.db", "UNSET", "Unset", "changed")
        params = [*self._params(self.pk), "*"]
        for c in self.updatable:
            base = py_type(c.type, False, self.service, self.imports)
            null = " | None" if c.nullable and base != "JsonValue" else ""
            params.append(f"{c.py_name}: {base} | Unset{null} = UNSET")
        doc = (
            "Set the columns given (``None`` is NULL; ``UNSET`` leaves a column as\n"
            "it is); return the updated row, or None when no row has this key."
        )
        lines = self._method("update", params, f"{self.row} | None", doc)
        args = [*(c.py_name for c in self.pk)]
        args += [f"*changed({c.py_name})" for c in self.updatable]
        return lines + self._fetch_row("UPDATE", args)

    def delete_method(self) -> list[str]:
        doc = "Delete the row with this primary key; whether there was one."
        lines = self._method("delete", self._params(self.pk), "bool", doc)
        args = ["DELETE", *(c.py_name for c in self.pk)]
        lines.append(spread("status = await self.db.execute(", args, ")", I2))
        return [*lines, f'{I2}return status == "DELETE 1"']

    def count_method(self) -> list[str]:
        lines = self._method("count", [], "int", "How many rows the table holds.")
        return [
            *lines,
            f"{I2}count: int = await self.db.fetchval(COUNT)",
            f"{I2}return count",
        ]

    def page_method(self) -> list[str]:
        types = [py_type(c.type, False, self.service, self.imports) for c in self.pk]
        key = types[0] if len(types) == 1 else f"tuple[{', '.join(types)}]"
        doc = (
            "Up to ``limit`` rows in primary-key order, starting after the key\n"
            "``after`` (keyset pagination: pass the last row's key to get the next\n"
            "page)."
        )
        params = ["*", f"after: {key} | None = None", "limit: int = 100"]
        lines = self._method("page", params, f"list[{self.row}]", doc)
        after = "after" if len(types) == 1 else "*after"
        self.imports.add_from("itertools", "starmap")
        return [
            *lines,
            f"{I2}if after is None:",
            f"{I3}rows = await self.db.fetch(PAGE_FIRST, limit)",
            f"{I2}else:",
            f"{I3}rows = await self.db.fetch(PAGE_AFTER, {after}, limit)",
            f"{I2}return list(starmap({self.row}, rows))",
        ]

    # --- module ----------------------------------------------------------------------

    def constants(self) -> list[str]:
        out = self.statements()
        if self.insertable:
            cols = [py_str(c.name) for c in self.insertable]
            self.imports.add_from("typing", "Final")
            out.append(spread_tuple("INSERT_COLUMNS: Final = ", cols))
            defaulted = [py_str(c.name) for c in self.insertable if c.has_default]
            out.append(spread_tuple("DEFAULTED: Final = ", defaulted))
            if len(self.insertable) > 1:
                self.imports.add_from("operator", "attrgetter")
                names = [py_str(c.py_name) for c in self.insertable]
                out.append(spread("_VALUES = attrgetter(", names, ")", ""))
        return out

    def render(self, env: Environment) -> str:
        t = self.table
        blocks = [self.row_class()]
        if self.insertable:
            blocks.append(self.insert_class())
        blocks.append(self.repository())
        constants = self.constants()
        doc = f"Rows and repository of {t.kind} ``{t.qualname}``."
        return env.get_template("repo.py.j2").render(
            header=header(t.sources),
            doc="\n".join(docstring(doc, "")),
            import_block=imports_text(self.imports),
            constants=constants,
            blocks=blocks,
        )
