"""Settings of a service: the base of the generated ``Settings`` classes.

Values come from environment variables (``ACCOUNTS_JWT__SIGNING_SECRET``) and
a ``.env`` file, nested groups joined by ``__``.  ``Settings.load()`` fails
fast with one readable list of every problem, by variable name, and never
shows the value of a secret::

    try:
        settings = Settings.load()
    except SettingsError as exc:
        raise SystemExit(str(exc)) from None
"""

from svcforge.settings._base import SettingsBase, redacted
from svcforge.settings._errors import Problem, SettingsError
from svcforge.settings._secret import (
    MaskedModel,
    SecretUrl,
    describe,
    mask_url,
    remember,
    scrub,
)

__all__ = [
    "MaskedModel",
    "Problem",
    "SecretUrl",
    "SettingsBase",
    "SettingsError",
    "describe",
    "mask_url",
    "redacted",
    "remember",
    "scrub",
]
