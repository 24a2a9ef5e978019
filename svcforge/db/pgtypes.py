"""The value types asyncpg decodes PostgreSQL's geometric, bit string and
range types to, for the annotations of generated code (which imports only
svcforge).  Needs asyncpg (``pip install 'svcforge[postgres]'``)."""

from asyncpg.types import (
    BitString,
    Box,
    Circle,
    Line,
    LineSegment,
    Path,
    Point,
    Polygon,
    Range,
)

__all__ = [
    "BitString",
    "Box",
    "Circle",
    "Line",
    "LineSegment",
    "Path",
    "Point",
    "Polygon",
    "Range",
]
