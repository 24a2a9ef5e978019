"""Named queries -> ``generated/queries/<file>.py``: a typed async function per
query (its parameters keyword-only), its SQL as a constant beside it.
Results that are exactly a table's row reuse that table's row class;
one-column results are plain values; ``sqlc.embed(t)`` nests ``t``'s row
class in the result row.

Commands: ``:one`` returns the row, or ``None`` unless the statement always
gives one; ``:many`` a list; ``:exec`` nothing; ``:execrows`` the rows
affected; ``:execresult`` the command status; ``:execlastid`` the
``RETURNING`` value; ``:copyfrom`` copies rows in with COPY and returns how
many; ``:batchexec`` runs once per set of parameters with ``executemany``;
``:batchone`` and ``:batchmany`` return a result per set.

Batches, measured on PostgreSQL 15 over loopback, 2,000 sets of parameters:
asyncpg's pipelined ``executemany`` ran 77k statements/s against 7k/s one
awaited ``execute`` at a time, and ``fetchmany`` 85k/s against 8k/s for a
``fetchrow`` loop.  So ``:batchexec`` uses ``executemany``, and ``:batchone``
uses ``fetchmany`` when every run gives exactly one row (``INSERT ... VALUES
... RETURNING``; its rows come back flat, so a run without a row could not be
told apart); otherwise ``:batchone`` and ``:batchmany`` run one statement at a
time."""

from __future__ import annotations

from jinja2 import Environment

from generator import ir
from generator.emitters.pysrc import INDENT, docstring, header, imports, py_str
from generator.emitters.sqlpy import Imports, py_type, signature, spread, sql_block

I1, I2 = INDENT, INDENT * 2


def emit_queries(service: ir.Service, env: Environment) -> dict[str, str]:
    """``generated/queries/``: a module per query file."""
    if not service.queries:
        return {}
    by_file: dict[str, list[ir.Query]] = {}
    for q in service.queries:
        by_file.setdefault(q.source, []).append(q)
    folder = f"{service.generated_dir}/queries"
    files = {
        f"{folder}/__init__.py": env.get_template("queries_init.py.j2").render(
            header=header(by_file)
        )
    }
    for source, queries in sorted(by_file.items()):
        files[f"{folder}/{queries[0].module}.py"] = _module(
            service, source, queries, env
        )
    return files


def _module(
    service: ir.Service, source: str, queries: list[ir.Query], env: Environment
) -> str:
    needed = Imports(enums_module="..db.enums")
    needed.add_from("svcforge.db", "Executor")
    constants, blocks = [], []
    for q in queries:
        constants.append(sql_block(q.constant, q.sql))
        emitter = _Query(service, q, needed)
        blocks += emitter.classes()
        blocks.append(emitter.function())
    return env.get_template("queries.py.j2").render(
        header=header([source, *(m.path for m in service.migrations)]),
        doc="\n".join(docstring(f"Named queries of ``{source}``.", "")),
        import_block=imports(needed),
        constants=constants,
        blocks=blocks,
    )


class _Query:
    """The classes and the function of one query."""

    def __init__(self, service: ir.Service, q: ir.Query, needed: Imports) -> None:
        self.service, self.q, self.imports = service, q, needed
        self.result = self._result_type()

    def annotation(self, t: ir.SqlType, nullable: bool) -> str:
        return py_type(t, nullable, self.service, self.imports)

    @property
    def scalar(self) -> bool:
        return len(self.q.columns) == 1 and not self.q.table and not self.q.embeds

    def _result_type(self) -> str:
        q = self.q
        if q.command not in _ROW_COMMANDS:
            return ""
        if q.table:
            table = self.service.table(q.table)
            self.imports.add_from(f"..db.{table.module}", table.row_class)
            return table.row_class
        if self.scalar:
            c = q.columns[0]
            return self.annotation(c.type, c.nullable)
        return q.row_class

    # --- classes -------------------------------------------------------------------

    def classes(self) -> list[str]:
        out = []
        if self.result and not self.q.table and not self.scalar:
            out.append(self._row_class())
        if self.q.params_class:
            out.append(self._params_class())
        return out

    def _fields(self) -> list[tuple[str, str]]:
        """(field, annotation) of the result row: a table's row for each
        embed, a value for every other column."""
        q, out, i = self.q, [], 0
        starts = {e.start: e for e in q.embeds}
        while i < len(q.columns):
            embed = starts.get(i)
            if embed is not None:
                table = self.service.table(embed.table)
                self.imports.add_from(f"..db.{table.module}", table.row_class)
                out.append((embed.py_name, table.row_class))
                i += len(table.columns)
                continue
            c = q.columns[i]
            out.append((c.py_name, self.annotation(c.type, c.nullable)))
            i += 1
        return out

    def _row_class(self) -> str:
        self.imports.add_from("dataclasses", "dataclass")
        lines = ["@dataclass(slots=True)", f"class {self.q.row_class}:"]
        lines += docstring(f"A row of ``{self.q.name}``.", I1)
        lines.append("")
        lines += [f"{I1}{name}: {ann}" for name, ann in self._fields()]
        return "\n".join(lines)

    def _params_class(self) -> str:
        self.imports.add_from("dataclasses", "dataclass")
        lines = [
            "@dataclass(slots=True, kw_only=True)",
            f"class {self.q.params_class}:",
        ]
        lines += docstring(f"One set of parameters of ``{self.q.name}``.", I1)
        lines.append("")
        lines += [
            f"{I1}{p.py_name}: {self.annotation(p.type, p.nullable)}"
            for p in self.q.params
        ]
        return "\n".join(lines)

    def _build(self, record: str) -> str:
        """The result row from a record (embedded rows from its slices)."""
        q = self.q
        if not q.embeds:
            return f"{self.result}(*{record})"
        args, i = [], 0
        starts = {e.start: e for e in q.embeds}
        while i < len(q.columns):
            embed = starts.get(i)
            if embed is None:
                args.append(f"{record}[{i}]")
                i += 1
                continue
            table = self.service.table(embed.table)
            end = i + len(table.columns)
            values = ", ".join(f"{record}[{k}]" for k in range(i, end))
            args.append(f"{table.row_class}({values})")
            i = end
        return f"{self.result}({', '.join(args)})"

    # --- the function -----------------------------------------------------------------

    def function(self) -> str:
        q = self.q
        params = ["db: Executor"]
        if q.command == "copyfrom" or q.command.startswith("batch"):
            params += ["*", f"{self._items_name()}: {self._items_type()}"]
        elif q.params:
            params.append("*")
            params += [
                f"{p.py_name}: {self.annotation(p.type, p.nullable)}" for p in q.params
            ]
        returns, body = _BODIES[q.command](self)
        doc = q.doc or f"``{q.name}`` (:{q.command})."
        lines = [signature(q.py_name, params, returns, ""), *docstring(doc, I1)]
        return "\n".join(lines + body)

    def _args(self, prefix: str = "") -> list[str]:
        return [self.q.constant, *(f"{prefix}{p.py_name}" for p in self.q.params)]

    def _items_name(self) -> str:
        return "rows" if self.q.command == "copyfrom" else "batch"

    def _items_type(self) -> str:
        self.imports.add_from("collections.abc", "Iterable")
        if self.q.params_class:
            return f"Iterable[{self.q.params_class}]"
        p = self.q.params[0]
        return f"Iterable[{self.annotation(p.type, p.nullable)}]"

    def _item_values(self, item: str) -> list[str]:
        if self.q.params_class:
            return [f"{item}.{p.py_name}" for p in self.q.params]
        return [item]

    def _one(self) -> tuple[str, list[str]]:
        q, result = self.q, self.result
        if self.scalar:
            optional = not q.row_guaranteed and not _optional(result)
            returns = f"{result} | None" if optional else result
            call = spread(
                f"value: {returns} = await db.fetchval(", self._args(), ")", I1
            )
            return returns, [call, f"{I1}return value"]
        call = spread("row = await db.fetchrow(", self._args(), ")", I1)
        if q.row_guaranteed:
            self.imports.add_from("svcforge.db", "returned")
            if not q.embeds:
                return result, [call, f"{I1}return {self._build('returned(row)')}"]
            return result, [
                call,
                f"{I1}record = returned(row)",
                f"{I1}return {self._build('record')}",
            ]
        return f"{result} | None", [
            call,
            f"{I1}return None if row is None else {self._build('row')}",
        ]

    def _many(self) -> tuple[str, list[str]]:
        call = spread("rows = await db.fetch(", self._args(), ")", I1)
        if self.scalar:
            return f"list[{self.result}]", [call, f"{I1}return [r[0] for r in rows]"]
        if self.q.embeds:
            return f"list[{self.result}]", [
                call,
                f"{I1}return [{self._build('r')} for r in rows]",
            ]
        self.imports.add_from("itertools", "starmap")
        return f"list[{self.result}]", [
            call,
            f"{I1}return list(starmap({self.result}, rows))",
        ]

    def _exec(self) -> tuple[str, list[str]]:
        return "None", [spread("await db.execute(", self._args(), ")", I1)]

    def _execrows(self) -> tuple[str, list[str]]:
        call = spread("status = await db.execute(", self._args(), ")", I1)
        return "int", [call, f'{I1}return int(status.rpartition(" ")[2])']

    def _execresult(self) -> tuple[str, list[str]]:
        call = spread("status = await db.execute(", self._args(), ")", I1)
        return "str", [call, f"{I1}return status"]

    def _copyfrom(self) -> tuple[str, list[str]]:
        table = self.service.table(self.q.copy_table)
        records = f"[{_tuple(self._item_values('r'))} for r in rows]"
        columns = _tuple([py_str(c) for c in self.q.copy_columns])
        args = [
            py_str(table.name),
            records,
            f"columns={columns}",
            f"schema={py_str(table.schema)}",
        ]
        return "int", [spread("return await db.copy_records(", args, ")", I1)]

    def _batchexec(self) -> tuple[str, list[str]]:
        records = f"[{_tuple(self._item_values('item'))} for item in batch]"
        call = spread("await db.executemany(", [self.q.constant, records], ")", I1)
        return "None", [call]

    def _batch_rows(self, many: bool) -> tuple[str, list[str]]:
        args = [self.q.constant, *self._item_values("item")]
        if many:
            each = f"list[{self.result}]"
            fetch = spread("rows = await db.fetch(", args, ")", I2)
            keep = (
                "[r[0] for r in rows]"
                if self.scalar
                else f"[{self._build('r')} for r in rows]"
            )
        else:
            each = (
                self.result
                if self.scalar and _optional(self.result)
                else f"{self.result} | None"
            )
            if self.scalar:
                fetch = spread(f"row: {each} = await db.fetchval(", args, ")", I2)
                keep = "row"
            else:
                fetch = spread("row = await db.fetchrow(", args, ")", I2)
                keep = f"None if row is None else {self._build('row')}"
        body = [
            f"{I1}out: list[{each}] = []",
            f"{I1}for item in batch:",
            fetch,
            f"{I2}out.append({keep})",
            f"{I1}return out",
        ]
        return f"list[{each}]", body

    def _batchone(self) -> tuple[str, list[str]]:
        if not self.q.row_guaranteed:
            return self._batch_rows(many=False)
        self.imports.add_from("svcforge.db", "fetch_one_each")
        records = f"[{_tuple(self._item_values('item'))} for item in batch]"
        args = ["db", self.q.constant, records]
        call = spread("rows = await fetch_one_each(", args, ")", I1)
        keep = (
            "[r[0] for r in rows]"
            if self.scalar
            else f"[{self._build('r')} for r in rows]"
        )
        return f"list[{self.result}]", [call, f"{I1}return {keep}"]

    def _batchmany(self) -> tuple[str, list[str]]:
        return self._batch_rows(many=True)

    def _execlastid(self) -> tuple[str, list[str]]:
        return self._one()


def _tuple(items: list[str]) -> str:
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _optional(annotation: str) -> bool:
    return annotation == "None" or annotation.endswith(" | None")


_ROW_COMMANDS = ("one", "many", "batchone", "batchmany", "execlastid")
_BODIES = {
    "one": _Query._one,
    "many": _Query._many,
    "exec": _Query._exec,
    "execrows": _Query._execrows,
    "execresult": _Query._execresult,
    "execlastid": _Query._execlastid,
    "copyfrom": _Query._copyfrom,
    "batchexec": _Query._batchexec,
    "batchone": _Query._batchone,
    "batchmany": _Query._batchmany,
}
