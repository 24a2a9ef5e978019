"""Avro front-end: ``schemas/messages/**/*.avsc`` -> IR named types and
messages, following the Avro 1.11 specification (see ``parse`` for the passes).
"""

from generator.frontends.avro.parse import parse_avro

__all__ = ["parse_avro"]
