"""The JSON half of ``bench/codec.py``: the generated JSON codecs of two
accounts messages against msgspec (typed ``msgspec.json.Decoder(Struct)``,
the fastest typed JSON decoding in Python) and against orjson on plain dicts.

* ``UserRegistered``: a typical JSON Schema message whose model expresses its
  whole schema (no exact validator);
* ``ApiKeyRevoked``: its schema has an ``if``/``then`` (a compromised key is
  revoked with a note), so its codec also runs the exact validator.

The msgspec Structs mirror the models' types (UUIDs, aware datetimes, enums,
nested objects) but not what msgspec cannot check (``format: email``, the
``if``/``then``): the ratios show what svcforge's exactness costs.
"""

from __future__ import annotations

import datetime as dt
import enum
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "generated-examples" / "accounts" / "src"))

from accounts.generated.codecs import (  # noqa: E402
    API_KEY_REVOKED_JSON,
    USER_REGISTERED_JSON,
)
from accounts.generated.examples import (  # noqa: E402
    example_api_key_revoked,
    example_user_registered,
)

GENERATED = "generated JSON codec"
MSGSPEC = "msgspec, typed Struct"
ORJSON = "orjson, plain dict"


class Role(enum.Enum):
    owner = "owner"
    admin = "admin"
    member = "member"
    viewer = "viewer"


class UserRegistered(msgspec.Struct):
    event_id: uuid.UUID
    occurred_at: dt.datetime
    user_id: uuid.UUID
    email: str
    display_name: str
    role: Role = Role.member
    locale: str = "en"
    marketing_opt_in: bool = False
    invited_by: uuid.UUID | None = None


class ActorKind(enum.Enum):
    user = "user"
    api_key = "api_key"
    system = "system"


class Actor(msgspec.Struct, forbid_unknown_fields=True):
    kind: ActorKind
    id: str


class Reason(enum.Enum):
    user_request = "user_request"
    compromised = "compromised"
    owner_removed = "owner_removed"
    admin = "admin"


class ApiKeyRevoked(msgspec.Struct):
    event_id: uuid.UUID
    occurred_at: dt.datetime
    key_id: uuid.UUID
    user_id: uuid.UUID
    revoked_by: Actor
    reason: Reason
    note: str | None = None


def json_variants(variant: Callable[..., Any]) -> list[Any]:
    """``variant(section, label, op)`` for each way to decode and encode the
    two messages, checked to agree first."""
    out = []
    for name, codec, make, struct in (
        (
            "UserRegistered",
            USER_REGISTERED_JSON,
            example_user_registered,
            UserRegistered,
        ),
        (
            "ApiKeyRevoked, exact",
            API_KEY_REVOKED_JSON,
            example_api_key_revoked,
            ApiKeyRevoked,
        ),
    ):
        message = make()
        data = codec.encode(message)
        decoder = msgspec.json.Decoder(struct)
        encoder = msgspec.json.Encoder()
        typed = decoder.decode(data)
        plain = orjson.loads(data)
        assert codec.decode(data) == message, name
        assert orjson.loads(encoder.encode(typed)) == orjson.loads(data) | {
            k: v
            for k, v in orjson.loads(encoder.encode(typed)).items()
            if k not in plain
        }, name
        decode, encode = f"JSON decode: {name}", f"JSON encode: {name}"
        out += [
            variant(decode, GENERATED, lambda c=codec, d=data: c.decode(d)),
            variant(decode, MSGSPEC, lambda dec=decoder, d=data: dec.decode(d)),
            variant(decode, ORJSON, lambda d=data: orjson.loads(d)),
            variant(encode, GENERATED, lambda c=codec, m=message: c.encode(m)),
            variant(encode, MSGSPEC, lambda e=encoder, t=typed: e.encode(t)),
            variant(encode, ORJSON, lambda p=plain: orjson.dumps(p)),
        ]
    return out


def json_ratios(best: dict[tuple[str, str], float]) -> dict[str, float]:
    """Generated throughput over msgspec's, per operation and message."""
    out = {}
    for key, name in (
        ("json", "UserRegistered"),
        ("json_exact", "ApiKeyRevoked, exact"),
    ):
        for op in ("decode", "encode"):
            section = f"JSON {op}: {name}"
            out[f"{key}_{op}_vs_msgspec"] = (
                best[section, GENERATED] / best[section, MSGSPEC]
            )
    return out
