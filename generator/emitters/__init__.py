"""Emitters: pure functions from the IR to generated files.

Every emitter has the same shape, ``emit_x(service, env) -> {path: text}``:
paths are relative to the service root, texts are plain Python (or Markdown,
or dotenv) that the pipeline's formatter lays out.  An emitter reads names
from the IR and never imports a front-end; what several emitters share lives
in ``pysrc`` (literals, header), ``pytypes`` (Avro types) and ``sqlpy`` (SQL).
"""

from __future__ import annotations

from collections.abc import Callable

from jinja2 import Environment

from generator import ir

Emitter = Callable[[ir.Service, Environment], dict[str, str]]

__all__ = ["Emitter"]
