"""The accounts service's start-up: settings first, so that a missing or bad
setting stops the service with the list of every problem before it connects
to anything."""

from __future__ import annotations

import json
import sys

from svcforge.settings import SettingsError

from accounts.generated.settings import Settings


def load_settings() -> Settings:
    """The settings, or exit 2 listing every problem (secrets never shown)."""
    try:
        return Settings.load()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None


def main() -> None:
    settings = load_settings()
    print(json.dumps({"settings": settings.redacted()}, default=str))


if __name__ == "__main__":
    main()
