"""Constrained types the generated models use."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from svcforge import Int32, UniqueList


class Holder(BaseModel):
    tags: UniqueList[str]
    small: Int32 = 0


def test_unique_list_keeps_order_and_rejects_repeats() -> None:
    assert Holder(tags=["b", "a", "c"]).tags == ["b", "a", "c"]
    assert Holder.model_validate_json('{"tags": ["z", "y"]}').model_dump_json() == (
        '{"tags":["z","y"],"small":0}'
    )
    with pytest.raises(ValidationError, match="'a' is repeated"):
        Holder(tags=["a", "b", "a"])


def test_int32_bounds() -> None:
    Holder(tags=[], small=2**31 - 1)
    with pytest.raises(ValidationError):
        Holder(tags=[], small=2**31)
