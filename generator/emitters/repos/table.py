"""One table's module of ``generated/db/``: its row class, its insert class
and its repository.

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
from generator.emitters.repos.cache import cache_spec, held
from generator.emitters.repos.statements import Statements, key_const
from generator.emitters.sqlpy import (
    Imports,
    binary_io,
    py_type,
    signature,
    spread,
    spread_tuple,
)

I1, I2, I3 = INDENT, INDENT * 2, INDENT * 3


def _with_unset(annotation: str) -> str:
    """``T | Unset``, ``T | None | Unset`` (UNSET: the server's default)."""
    return f"{annotation} | Unset"


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
        self.sql = Statements(t)
        self.cached = t.cache is not None and bool(self.pk)

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

    # --- repository ----------------------------------------------------------------

    def repository(self) -> str:
        t = self.table
        self.imports.add_from("svcforge.db", "Executor")
        lines = [f"class {self.repo}:"]
        doc = (
            f"Statements on ``{t.qualname}``.  Give it a ``Database`` or a\n"
            "``Connection`` (inside ``Database.transaction()`` for example): it runs\n"
            "the same either way."
        )
        if self.cached:
            doc += (
                "\n\nGets read through the row cache given as ``cache`` (a\n"
                "``svcforge.db.RowCache``); updates, upserts and deletes invalidate."
            )
        lines += docstring(doc, I1)
        lines += ["", *self.init_method()]
        methods = []
        if self.pk:
            methods.append(self.get_method())
        for key in t.unique_keys:
            methods.append(self.get_by_method(key))
        if self.insertable:
            methods.append(self.insert_method())
            methods.append(self.insert_many_method())
        if self.sql.can_upsert():
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

    def init_method(self) -> list[str]:
        if not self.cached:
            return [
                f"{I1}def __init__(self, db: Executor) -> None:",
                f"{I2}self.db = db",
            ]
        self.imports.add_from("svcforge.db", "CacheSpec", "RowCache", "table_cache")
        return [
            f"{I1}def __init__(self, db: Executor, cache: RowCache | None = None) -> None:",
            f"{I2}self.db = db",
            f"{I2}self.cache = table_cache(cache, CACHE, {self.row})",
        ]

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
        keys = [c.py_name for c in self.pk]
        if self.cached:
            call = spread("row = await self.cache.get(", ["self.db", *keys], ")", I2)
            return [
                *lines,
                call,
                f"{I2}return None if row is None else {self.row}(*row)",
            ]
        return lines + self._fetch_row("GET", keys)

    def get_by_method(self, key: ir.Key) -> list[str]:
        cols = [self.table.column(c) for c in key.columns]
        doc = f"The row with this {', '.join(key.columns)} (unique key\n``{key.name}``), or None."
        lines = self._method(key.lookup, self._params(cols), f"{self.row} | None", doc)
        values = [c.py_name for c in cols]
        if self.cached:
            args = ["self.db", py_str(key.lookup), *values]
            call = spread("row = await self.cache.get_by(", args, ")", I2)
            return [
                *lines,
                call,
                f"{I2}return None if row is None else {self.row}(*row)",
            ]
        return lines + self._fetch_row(key_const(key), values)

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
        return lines + self._held(self._returned("UPSERT"), "row.")

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
        return lines + self._held(self._fetch_row("UPDATE", args))

    def delete_method(self) -> list[str]:
        doc = "Delete the row with this primary key; whether there was one."
        lines = self._method("delete", self._params(self.pk), "bool", doc)
        args = ["DELETE", *(c.py_name for c in self.pk)]
        body = [
            spread("status = await self.db.execute(", args, ")", I2),
            f'{I2}return status == "DELETE 1"',
        ]
        return lines + self._held(body)

    def _held(self, body: list[str], owner: str = "") -> list[str]:
        """A write's statements, inside the cache's hold on its row when the
        table is cached (``owner``: where the key's values are)."""
        if not self.cached:
            return body
        return held(body, [owner + c.py_name for c in self.pk], I2)

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
        out = self.sql.statements()
        if self.cached:
            self.imports.add_from("typing", "Final")
            out.append(cache_spec(self.table))
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
            header=header((*t.sources, "pyproject.toml") if self.cached else t.sources),
            doc="\n".join(docstring(doc, "")),
            import_block=imports_text(self.imports),
            constants=constants,
            blocks=blocks,
        )
