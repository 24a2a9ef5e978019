"""Secrets that never leave the process: credential-bearing URLs, secret
strings, and the scrubbing of any text (log lines, error messages, health
bodies) that may have picked one up.

A ``SecretUrl`` field holds a URL or DSN with its credentials: ``repr``,
``str``, ``model_dump()``, ``model_dump_json()`` and JSON Schema defaults
show it with the password (and every secret-named query parameter such as
``?password=``) replaced by ``***``, while the code that connects reads the
plain ``str``.

Every secret value a settings object holds is remembered (in this process
only), and ``scrub(text)`` replaces any of them found in ``text``, on top of
masking the passwords of URLs written in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote, unquote

from pydantic import BaseModel, Field, PlainSerializer, SecretBytes, SecretStr

__all__ = [
    "MASK",
    "SECRET_NAME",
    "SECRET_URL",
    "MaskedModel",
    "SecretUrl",
    "describe",
    "is_secret_url",
    "mask_url",
    "remember",
    "remember_values",
    "scrub",
]

MASK = "***"
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://", re.I)
_SECRET_PARAM = re.compile(
    r"(?P<head>[?&;][^=&;#\s]*?"
    r"(?:pass|pwd|secret|token|key|credential|auth|signature|sig)"
    r"[^=&;#\s]*=)(?P<value>[^&;#\s]*)",
    re.I,
)
# A URL inside free text ends at white space; its password may not hold one.
_TEXT_URL_PASSWORD = re.compile(
    r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^/\s]*@(?=[^@\s]*(?:\s|$))", re.I
)
# Names that hold credentials even where the type is a plain ``str``.
SECRET_NAME = re.compile(
    r"(^|_)(password|passwd|secret|token|credentials?|private_key|api_key)$",
    re.IGNORECASE,
)
_known: set[str] = set()
_MIN_LENGTH = 4  # shorter values would mask ordinary words everywhere


def remember(secret: str) -> None:
    """Have ``scrub`` mask ``secret`` (and its URL-encoded forms) from now on."""
    if len(secret) < _MIN_LENGTH or len(_known) >= 10_000:
        return
    _known.update({secret, quote(secret, safe=""), quote(secret), unquote(secret)})


def mask_url(url: str) -> str:
    """``postgresql://user:pw@host/db?password=x`` as
    ``postgresql://user:***@host/db?password=***``.  The credentials run to
    the last ``@`` of the URL (a password may hold ``@``, ``/`` or spaces);
    a value without a scheme has only its secret parameters masked."""
    m = _SCHEME.match(url)
    if m is not None:
        rest = url[m.end() :]
        at = rest.rfind("@")
        if at >= 0:
            user, colon, _ = rest[:at].partition(":")
            if colon:
                url = f"{m.group()}{user}:{MASK}{rest[at:]}"
    return _SECRET_PARAM.sub(rf"\g<head>{MASK}", url)


def _url_secrets(url: str) -> list[str]:
    out = [m["value"] for m in _SECRET_PARAM.finditer(url) if m["value"]]
    m = _SCHEME.match(url)
    if m is not None:
        rest = url[m.end() :]
        at = rest.rfind("@")
        if at >= 0:
            _, colon, password = rest[:at].partition(":")
            if colon and password:
                out.append(password)
    return out


def scrub(text: str) -> str:
    """``text`` with every remembered secret and URL password masked."""
    for secret in _known:
        if secret in text:
            text = text.replace(secret, MASK)
    if "://" in text:
        text = _TEXT_URL_PASSWORD.sub(rf"\g<head>{MASK}@", text)
    if "=" in text:
        text = _SECRET_PARAM.sub(rf"\g<head>{MASK}", text)
    return text


def describe(exc: BaseException) -> str:
    """An error for a log line or a health body: its type and its text (the
    server's message, which some clients hide from ``repr``), scrubbed."""
    text = str(exc)
    name = type(exc).__name__
    return scrub(f"{name}: {text}" if text else name)


class _SecretUrlMarker:
    """Marks a ``str`` field that holds a URL with credentials."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "SECRET_URL"


SECRET_URL = _SecretUrlMarker()


def _mask_schema_default(schema: dict[str, Any]) -> None:
    default = schema.get("default")
    if isinstance(default, str):
        schema["default"] = mask_url(default)


SecretUrl = Annotated[
    str,
    PlainSerializer(lambda url: mask_url(url), return_type=str),
    Field(json_schema_extra=_mask_schema_default),
    SECRET_URL,
]
"""A URL or DSN that may carry credentials: a plain ``str`` to the code that
connects, shown with its password and secret parameters masked by
``repr``, ``str``, ``model_dump()``, ``model_dump_json()`` and the JSON Schema
default of a ``MaskedModel``; its secrets are remembered for ``scrub``."""


def is_secret_url(annotation: Any) -> bool:
    return any(m is SECRET_URL for m in getattr(annotation, "__metadata__", ()))


def remember_values(value: Any) -> None:
    """Remember the secret values held anywhere in ``value`` (a settings
    object, nested groups, lists and dicts of them)."""
    if isinstance(value, SecretStr):
        remember(value.get_secret_value())
    elif isinstance(value, SecretBytes):
        remember(value.get_secret_value().decode("utf-8", "replace"))
    elif isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            field = getattr(value, name, None)
            if isinstance(field, str):
                _remember_field(name, info.metadata, field)
            else:
                remember_values(field)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            remember_values(v)
    elif isinstance(value, dict):
        for v in value.values():
            remember_values(v)


def _remember_field(name: str, metadata: list[Any], value: str) -> None:
    if any(m is SECRET_URL for m in metadata):
        for secret in _url_secrets(value):
            remember(secret)
    elif SECRET_NAME.search(name):
        remember(value)


class MaskedModel(BaseModel):
    """A settings group whose ``repr`` masks its credentials (``SecretUrl``
    fields, fields named like a password) and whose secrets are remembered
    for ``scrub`` as soon as it is made."""

    def model_post_init(self, context: Any, /) -> None:
        remember_values(self)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        fields = type(self).model_fields
        for name, value in super().__repr_args__():
            info = fields.get(name or "")
            if isinstance(value, str) and info is not None:
                if any(m is SECRET_URL for m in info.metadata):
                    value = mask_url(value)
                elif SECRET_NAME.search(name or "") and value:
                    value = "**********"
            yield name, value
