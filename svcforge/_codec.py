"""Codecs the generated code instantiates once per message type, at import."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Mapping
from io import BytesIO
from typing import Any, Generic, TypeVar

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.schema import to_parsing_canonical_form
from pydantic import BaseModel, ValidationError

from svcforge._avro_limits import (
    BUDGET,
    IN_FORCE,
    decode_limits,
    start_budget,
    too_big,
)
from svcforge._avro_scan import scan
from svcforge._exact import ExactSchema
from svcforge._framing import Framing, FramingError, SingleObjectFraming, crc64_avro
from svcforge.avro_binary import Reader, Writer

__all__ = ["AvroCodec", "DecodeError", "JsonCodec", "UnknownSchemaError"]

M = TypeVar("M", bound=BaseModel)


class DecodeError(ValueError):
    """The payload is not a valid encoding of the codec's message."""


class UnknownSchemaError(FramingError):
    """The framing names a writer schema this codec does not know."""

    def __init__(self, key: bytes, message: str) -> None:
        super().__init__(f"unknown writer schema {key.hex()} for {message}")
        self.key = key


# What malformed bytes raise while being decoded, by fastavro or by the
# generated readers (``KeyError``: an enum or union index out of range).
_MALFORMED = (
    EOFError,
    StopIteration,
    IndexError,
    KeyError,
    ValueError,
    OverflowError,
    struct.error,
    RecursionError,
)


AvroSchema = str | Mapping[str, Any] | list[Any]
"""A schema as JSON text, or parsed: an object, or a list (a union)."""


def _schema_dict(schema: AvroSchema) -> Any:
    if isinstance(schema, str):
        parsed = json.loads(schema)
        if not isinstance(parsed, dict | list):
            raise ValueError("an Avro message schema is a JSON object or list")
        return parsed
    if isinstance(schema, list):
        return list(schema)
    return dict(schema)


def schema_fingerprint(schema: AvroSchema) -> bytes:
    """CRC-64-AVRO fingerprint of a schema's Parsing Canonical Form."""
    canonical = to_parsing_canonical_form(_schema_dict(schema))
    return crc64_avro(canonical.encode())


class AvroCodec(Generic[M]):
    """Avro binary codec of one pydantic model, framed so that the reader can tell
    which writer schema produced the bytes.

    ``encode``/``decode`` carry the framing; ``encode_payload``/``decode_payload``
    handle the bare Avro datum (for containers that keep the schema elsewhere).

    ``write`` and ``read`` are the codec svcforge generates for the schema
    (see ``svcforge.avro_binary``); without them fastavro interprets the schema
    (``model_dump`` then fastavro to encode, fastavro then validation to
    decode).  Bytes of another writer schema (``add_writer_schema``) always go
    through fastavro's schema resolution.
    """

    __slots__ = (
        "_header",
        "_header_len",
        "_parsed",
        "_read",
        "_serialize",
        "_validate",
        "_write",
        "_writers",
        "fingerprint",
        "framing",
        "model",
        "schema",
    )

    def __init__(
        self,
        model: type[M],
        schema: AvroSchema,
        *,
        fingerprint: bytes | None = None,
        framing: Framing | None = None,
        write: Writer[M] | None = None,
        read: Reader[M] | None = None,
    ) -> None:
        self.model = model
        self.schema = _schema_dict(schema)
        self._parsed = parse_schema(self.schema)
        self.fingerprint = fingerprint or schema_fingerprint(schema)
        self.framing = framing or SingleObjectFraming(self.fingerprint)
        self._header = self.framing.header
        self._header_len = len(self._header)
        self._write = write
        self._read = read
        self._serialize = model.__pydantic_serializer__.to_python
        self._validate: Callable[[Any], M]
        self._validate = model.__pydantic_validator__.validate_python
        # Writer schemas this codec can read besides its own, keyed by the
        # framing's schema identification (schema evolution).
        self._writers: dict[bytes, Any] = {}

    def add_writer_schema(self, schema: AvroSchema, key: bytes | None = None) -> bytes:
        """Accept bytes written with an older or newer ``schema``; Avro schema
        resolution maps them onto this codec's model.  ``key`` defaults to the
        schema's fingerprint (single-object encoding); pass the registry id bytes
        for the Confluent framing."""
        key = key if key is not None else schema_fingerprint(schema)
        self._writers[key] = parse_schema(_schema_dict(schema))
        return key

    def with_framing(self, framing: Framing) -> AvroCodec[M]:
        """The same codec under another framing, e.g. ``ConfluentFraming`` with
        the id a schema registry gave this schema.  Writer schemas added to this
        codec are not carried over: their keys belong to its framing."""
        return AvroCodec(
            self.model,
            self.schema,
            fingerprint=self.fingerprint,
            framing=framing,
            write=self._write,
            read=self._read,
        )

    def encode(self, message: M) -> bytes:
        write = self._write
        if write is not None:
            out = bytearray(self._header)
            write(out, message)
            return bytes(out)
        buf = BytesIO()
        buf.write(self._header)
        schemaless_writer(buf, self._parsed, self._serialize(message, by_alias=True))
        return buf.getvalue()

    def encode_payload(self, message: M) -> bytes:
        write = self._write
        if write is not None:
            out = bytearray()
            write(out, message)
            return bytes(out)
        buf = BytesIO()
        schemaless_writer(buf, self._parsed, self._serialize(message, by_alias=True))
        return buf.getvalue()

    def decode(self, data: bytes | bytearray | memoryview) -> M:
        size = self._header_len
        if data[:size] == self._header:
            return self._read_own(data, size)
        key = self.framing.schema_key(bytes(data))
        writer = self._writers.get(key)
        if writer is None:
            raise UnknownSchemaError(key, self.model.__name__)
        return self._read_fastavro(data, size, writer)

    def decode_payload(self, data: bytes | bytearray | memoryview) -> M:
        return self._read_own(data, 0)

    def _read_own(self, data: bytes | bytearray | memoryview, start: int) -> M:
        read = self._read
        if read is None:
            return self._read_fastavro(data, start, self._parsed)
        if type(data) is not bytes:
            data = bytes(data)
        size = len(data)
        limits = IN_FORCE.limits
        if size > limits.max_message_bytes:
            raise self._malformed(too_big(size))
        BUDGET.left = limits.max_decoded_bytes - size
        try:
            message, end = read(data, start)
        except _MALFORMED as exc:
            raise self._malformed(exc) from exc
        if end != len(data):
            raise self._length_error(len(data) - end)
        return message

    def _read_fastavro(
        self, data: bytes | bytearray | memoryview, start: int, writer: Any
    ) -> M:
        buf = BytesIO(data)
        buf.seek(start)
        try:
            start_budget(len(data))
            scan(writer, data, start)
            if writer is self._parsed:
                record = schemaless_reader(buf, writer, None)
            else:
                record = schemaless_reader(buf, writer, self._parsed)
        except _MALFORMED as exc:
            raise self._malformed(exc) from exc
        if buf.tell() != len(data):
            raise self._length_error(len(data) - buf.tell())
        try:
            return self._validate(record)
        except ValidationError as exc:
            # Without the input values: they are the payload's contents.
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}"
                for e in exc.errors(include_input=False, include_url=False)
            )
            raise DecodeError(f"bad {self.model.__name__} payload: {problems}") from exc

    def _malformed(self, exc: BaseException) -> DecodeError:
        # ``str``, not ``repr``: the repr of a UnicodeDecodeError holds the
        # whole payload.
        return DecodeError(
            f"bad {self.model.__name__} payload: {type(exc).__name__}: {exc}"
        )

    def _length_error(self, trailing: int) -> DecodeError:
        if trailing < 0:
            return DecodeError(f"bad {self.model.__name__} payload: truncated")
        return DecodeError(
            f"bad {self.model.__name__} payload: {trailing} trailing bytes"
        )


class JsonCodec(Generic[M]):
    """JSON codec of one pydantic model (plain JSON, wire names as keys).

    ``validator``: the message's own JSON Schema, for a message whose model
    cannot express all of it (see ``svcforge._exact``); every payload decoded
    and every message encoded is then checked against it as well.
    ``exclude_unset``: write only the properties the message was given (JSON
    Schema messages: a default is the reader's to apply, and writing it could
    break an ``oneOf`` or a ``not`` of the schema).
    """

    __slots__ = ("_exclude_unset", "model", "validator")

    def __init__(
        self,
        model: type[M],
        *,
        validator: ExactSchema | None = None,
        exclude_unset: bool = False,
    ) -> None:
        self.model = model
        self.validator = validator
        self._exclude_unset = exclude_unset

    def encode(self, message: M) -> bytes:
        # What ``model_dump_json`` does, without its str round trip.
        data: bytes = message.__pydantic_serializer__.to_json(
            message, by_alias=True, exclude_unset=self._exclude_unset
        )
        if self.validator is not None:
            # Raises SchemaViolation: the model allowed what the schema forbids.
            self.validator.check(json.loads(data))
        return data

    def decode(self, data: bytes | bytearray | str) -> M:
        limit = decode_limits().max_message_bytes
        if len(data) > limit:
            raise DecodeError(
                f"bad {self.model.__name__} payload: {len(data)} bytes, more "
                f"than max_message_bytes ({limit})"
            )
        if self.validator is not None:
            self._check(data)
        # What ``model_validate_json`` does, without its Python frame.
        return self.model.__pydantic_validator__.validate_json(data)  # type: ignore[no-any-return]

    def _check(self, data: bytes | bytearray | str) -> None:
        assert self.validator is not None
        try:
            value = json.loads(data)
        except ValueError:
            return  # not JSON: the model reports it
        problem = self.validator.violation(value)
        if problem is not None:
            raise DecodeError(
                f"bad {self.model.__name__} payload: {problem}"
            ) from problem
