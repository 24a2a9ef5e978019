"""Where the templates are: beside the package when installed from a wheel,
at the repository root in a source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

_HERE = Path(__file__).resolve().parent


def data_root() -> Path:
    """The folder holding ``copier.yml`` and ``templates/``."""
    packaged = _HERE / "_data"
    if (packaged / "copier.yml").is_file():
        return packaged
    return _HERE.parent


@cache
def jinja_env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(data_root() / "templates" / "emit")),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        undefined=StrictUndefined,
    )
