"""Throughput of the generated Avro codec of the market-data ``Trade``.

Compares, in the same run and interleaved, four ways to encode and decode the
example trade (12 fields: a uuid, two enums, two decimals, two timestamps, an
optional string, an array of strings...):

* raw fastavro on plain dicts: ``schemaless_writer``/``schemaless_reader`` and
  the dict fastavro itself reads back -- the baseline;
* the path users write by hand today: ``model_dump(by_alias=True)`` then
  fastavro to encode, fastavro then ``model_validate`` to decode (no framing);
* ``AvroCodec`` without the generated functions (what it does for bytes of
  another writer schema): the same, plus the single-object framing;
* the generated codec, ``TRADE_AVRO.encode``/``decode``: typed models in and
  out, framing included.

A second table times the ways to turn decoded fields into a fully typed model
(enum members, nested models), for the trade and for the order-book snapshot
(nested ``PriceLevel`` records), so that the choice the generated codec makes
rests on numbers.

The machine may be shared and noisy: every variant runs in short batches,
round after round, in an order that rotates; the table shows the best and the
median batch, and ratios divide best throughputs measured in the same run.
The last line is ``bench: encode_ratio=… decode_ratio=… encode_vs_naive=…
decode_vs_naive=… json_decode_vs_msgspec=… json_encode_vs_msgspec=…
json_exact_decode_vs_msgspec=… json_exact_encode_vs_msgspec=…`` (generated
throughput divided by raw fastavro's, by the hand-written path's, and, for the
JSON codecs of two accounts messages, by msgspec's: ``codec_json``).  ``--quick`` runs for a few seconds (output format only).
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "generated-examples" / "market-data" / "src"))

import fastavro  # noqa: E402
import pydantic  # noqa: E402
from fastavro import schemaless_reader, schemaless_writer  # noqa: E402
from market_data.generated import codecs as generated  # noqa: E402
from market_data.generated.examples import (  # noqa: E402
    example_order_book_snapshot,
    example_trade,
)
from market_data.generated.models import (  # noqa: E402
    OrderBookSnapshot,
    PriceLevel,
    Side,
    Trade,
    Venue,
)
from pydantic import BaseModel  # noqa: E402

from svcforge import AvroCodec  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from codec_json import GENERATED as JSON_GENERATED  # noqa: E402
from codec_json import json_ratios, json_variants  # noqa: E402


@dataclass
class Variant:
    section: str
    label: str
    op: Callable[[], object]
    enter: Callable[[], None] = lambda: None
    leave: Callable[[], None] = lambda: None
    batch: int = 1
    rates: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return max(self.rates)

    @property
    def median(self) -> float:
        return statistics.median(self.rates)


def timed(v: Variant, n: int) -> float:
    """Seconds for ``n`` calls, with the collector off as ``timeit`` does."""
    op = v.op
    v.enter()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(n):
            op()
        return time.perf_counter() - start
    finally:
        gc.enable()
        v.leave()


def calibrate(v: Variant, batch_seconds: float) -> None:
    n = 1
    while (elapsed := timed(v, n)) < batch_seconds / 10:
        n *= 2
    v.batch = max(1, round(n * batch_seconds / elapsed))


def measure(variants: list[Variant], rounds: int, batch_seconds: float) -> None:
    for v in variants:
        calibrate(v, batch_seconds)
    for r in range(rounds):
        # Rotate the order so that no variant always runs first, or right
        # after the same neighbour.
        shift = r % len(variants)
        for v in variants[shift:] + variants[:shift]:
            v.rates.append(v.batch / timed(v, v.batch))


# -- the variants ------------------------------------------------------------

RAW = "raw fastavro, plain dict"
HAND = "by hand: pydantic + fastavro"
GENERIC = "AvroCodec, fastavro path"
GENERATED = "generated codec (TRADE_AVRO)"


def plain(value: Any) -> Any:
    """The plain dict fastavro works with: enum members become their symbols."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def throughput_variants(trade: Trade) -> list[Variant]:
    codec = generated.TRADE_AVRO
    schema = codec._parsed  # the parsed schema fastavro needs, parsed once
    record = plain(trade.model_dump(by_alias=True))
    payload = codec.encode_payload(trade)
    framed = codec.encode(trade)
    generic = AvroCodec(Trade, generated.TRADE_SCHEMA, fingerprint=codec.fingerprint)

    def raw_encode() -> bytes:
        buf = BytesIO()
        schemaless_writer(buf, schema, record)
        return buf.getvalue()

    def naive_encode() -> bytes:
        buf = BytesIO()
        schemaless_writer(buf, schema, trade.model_dump(by_alias=True))
        return buf.getvalue()

    def raw_decode() -> object:
        return schemaless_reader(BytesIO(payload), schema, None)

    def naive_decode() -> Trade:
        return Trade.model_validate(schemaless_reader(BytesIO(payload), schema, None))

    check(raw_encode() == payload, "generated bytes differ from fastavro's")
    check(generic.encode(trade) == framed, "fastavro-backed codec disagrees")
    for decoded in (naive_decode(), generic.decode(framed), codec.decode(framed)):
        check_same(trade, decoded)
    encode, decode = "encode", "decode"
    return [
        Variant(encode, RAW, raw_encode),
        Variant(encode, HAND, naive_encode),
        Variant(encode, GENERIC, lambda: generic.encode(trade)),
        Variant(encode, GENERATED, lambda: codec.encode(trade)),
        Variant(decode, RAW, raw_decode),
        Variant(decode, HAND, naive_decode),
        Variant(decode, GENERIC, lambda: generic.decode(framed)),
        Variant(decode, GENERATED, lambda: codec.decode(framed)),
    ]


# Module-level model builders the generated readers call, and their models.
BUILDERS = {
    "_build_trade": Trade,
    "_build_order_book_snapshot": OrderBookSnapshot,
    "_build_price_level": PriceLevel,
}


Make = Callable[[type[BaseModel]], Callable[[dict[str, Any]], Any]]


def swapped_builders(make: Make) -> tuple[Callable[[], None], Callable[[], None]]:
    """Hooks that make the generated readers build models with ``make(model)``
    (around a timed batch), and restore the generated builders."""
    replaced = {name: make(model) for name, model in BUILDERS.items()}
    saved = {name: getattr(generated, name) for name in BUILDERS}

    def enter() -> None:
        for name, builder in replaced.items():
            setattr(generated, name, builder)

    def leave() -> None:
        for name, builder in saved.items():
            setattr(generated, name, builder)

    return enter, leave


def validating(model: type[BaseModel]) -> Callable[[dict[str, Any]], Any]:
    return model.__pydantic_validator__.validate_python


def constructing(model: type[BaseModel]) -> Callable[[dict[str, Any]], Any]:
    return lambda values: model.model_construct(**values)


def with_builders(
    section: str, label: str, op: Callable[[], object], make: Make
) -> Variant:
    enter, leave = swapped_builders(make)
    return Variant(section, label, op, enter, leave)


def trade_by_construct(d: dict[str, Any]) -> Trade:
    """``model_construct`` of fastavro's dict, typed by hand (enum members,
    attribute names)."""
    return Trade.model_construct(
        trade_id=d["trade_id"],
        symbol=d["symbol"],
        venue=Venue(d["venue"]),
        side=Side(d["side"]),
        price=d["price"],
        quantity=d["quantity"],
        executed_at=d["executed_at"],
        received_at=d["received_at"],
        sequence=d["sequence"],
        buyer_order_id=d["buyerOrderId"],
        conditions=d["conditions"],
        is_block=d["is_block"],
    )


def level_by_construct(d: dict[str, Any]) -> PriceLevel:
    return PriceLevel.model_construct(**d)


def book_by_construct(d: dict[str, Any]) -> OrderBookSnapshot:
    return OrderBookSnapshot.model_construct(
        symbol=d["symbol"],
        venue=Venue(d["venue"]),
        sequence=d["sequence"],
        taken_at=d["taken_at"],
        bids=[level_by_construct(x) for x in d["bids"]],
        asks=[level_by_construct(x) for x in d["asks"]],
    )


def option_variants(
    name: str, message: BaseModel, codec: AvroCodec[Any]
) -> list[Variant]:
    model = type(message)
    schema = codec._parsed
    payload = codec.encode_payload(message)
    validate = model.__pydantic_validator__.validate_python
    construct = trade_by_construct if model is Trade else book_by_construct
    read = codec.decode_payload

    def fastavro_dict() -> dict[str, Any]:
        return schemaless_reader(BytesIO(payload), schema, None)

    section = f"decode options: {name}"
    options = [
        Variant(
            section,
            "fastavro + model_validate",
            lambda: model.model_validate(fastavro_dict()),
        ),
        Variant(
            section, "fastavro + validate_python", lambda: validate(fastavro_dict())
        ),
        Variant(
            section,
            "fastavro + model_construct chain",
            lambda: construct(fastavro_dict()),
        ),
        with_builders(
            section,
            "generated reader + validate_python",
            lambda: read(payload),
            validating,
        ),
        with_builders(
            section,
            "generated reader + model_construct",
            lambda: read(payload),
            constructing,
        ),
        Variant(section, "generated reader + model_builder *", lambda: read(payload)),
    ]
    for v in options:
        v.enter()
        try:
            check_same(message, v.op())
        finally:
            v.leave()
    return options


# -- checks ------------------------------------------------------------------


def check(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"bench/codec.py: {what}")


def check_same(expected: object, actual: object, path: str = "$") -> None:
    """Equal, and of the same types all the way down (a decoded model must be
    fully typed: enum members, nested models, ``Decimal`` exponents)."""
    check(
        type(actual) is type(expected),
        f"{path}: {actual!r} is not a {type(expected).__name__}",
    )
    if isinstance(expected, BaseModel):
        for name in type(expected).model_fields:
            check_same(getattr(expected, name), getattr(actual, name), f"{path}.{name}")
    elif isinstance(expected, list):
        check(len(expected) == len(actual), f"{path}: lengths differ")
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            check_same(e, a, f"{path}[{i}]")
    elif isinstance(expected, Decimal):
        check(
            expected.as_tuple() == actual.as_tuple(),
            f"{path}: {actual!r} != {expected!r}",
        )
    else:
        check(expected == actual, f"{path}: {actual!r} != {expected!r}")


# -- report ------------------------------------------------------------------


def table(variants: list[Variant], columns: dict[str, str]) -> list[str]:
    """One block per section: best and median throughput, and the best
    throughput relative to each row named in ``columns`` (heading: label)."""
    lines = []
    sections: dict[str, list[Variant]] = {}
    for v in variants:
        sections.setdefault(v.section, []).append(v)
    for section, rows in sections.items():
        bases = [
            (h, next(v for v in rows if v.label == lb)) for h, lb in columns.items()
        ]
        head = f"{section:<42} {'best op/s':>10} {'median op/s':>12} {'µs/op':>7}"
        lines += ["", head + "".join(f" {h:>8}" for h, _ in bases)]
        for v in rows:
            line = f"  {v.label:<40} {v.best:>10,.0f} {v.median:>12,.0f} "
            line += f"{1e6 / v.best:>7.2f}"
            line += "".join(f" {v.best / base.best:>8.2f}" for _, base in bases)
            lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a few seconds, for checking the output format",
    )
    parser.add_argument("--rounds", type=int, help="rounds of interleaved batches")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 40)
    batch_seconds = 0.005 if args.quick else 0.04

    trade = example_trade()
    main_variants = throughput_variants(trade)
    options = option_variants("Trade", trade, generated.TRADE_AVRO) + option_variants(
        "OrderBookSnapshot, nested",
        example_order_book_snapshot(),
        generated.ORDER_BOOK_SNAPSHOT_AVRO,
    )
    json_rows = json_variants(Variant)
    started = time.perf_counter()
    measure(main_variants, rounds, batch_seconds)
    measure(options, max(3, rounds // 3), batch_seconds)
    measure(json_rows, max(3, rounds // 2), batch_seconds)
    elapsed = time.perf_counter() - started

    codec = generated.TRADE_AVRO
    print(
        f"Avro codec of market-data Trade: payload {len(codec.encode_payload(trade))} "
        f"bytes, framed {len(codec.encode(trade))} bytes"
    )
    print(
        f"python {platform.python_version()}, fastavro {fastavro.__version__}, "
        f"pydantic {pydantic.VERSION}; {rounds} interleaved rounds of "
        f"~{batch_seconds * 1000:.0f} ms batches, {elapsed:.1f} s"
    )
    columns = {"vs raw": RAW, "vs hand": HAND}
    for line in table(main_variants, columns):
        print(line)
    for line in table(options, {"vs first": "fastavro + model_validate"}):
        print(line)
    print("  * what the generated codec does")
    for line in table(json_rows, {"vs msgspec": "msgspec, typed Struct"}):
        print(line)
    print(f"  (JSON rows: {JSON_GENERATED} = the accounts example's codecs)")

    best = {(v.section, v.label): v.best for v in main_variants}
    ratios = {}
    for op in ("encode", "decode"):
        ratios[f"{op}_ratio"] = best[op, GENERATED] / best[op, RAW]
        ratios[f"{op}_vs_naive"] = best[op, GENERATED] / best[op, HAND]
    ratios |= json_ratios({(v.section, v.label): v.best for v in json_rows})
    order = (
        "encode_ratio",
        "decode_ratio",
        "encode_vs_naive",
        "decode_vs_naive",
        "json_decode_vs_msgspec",
        "json_encode_vs_msgspec",
        "json_exact_decode_vs_msgspec",
        "json_exact_encode_vs_msgspec",
    )
    print()
    print("bench: " + " ".join(f"{k}={ratios[k]:.2f}" for k in order))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
