"""An Avro enum and a PostgreSQL enum of the same class name and symbols are
one Python class; enums that differ stay apart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from generator.pipeline import generate

PYPROJECT = '[project]\nname = "linked"\n\n[tool.svcforge]\npackage = "linked"\n'
AVRO = {
    "type": "record",
    "name": "com.acme.Order",
    "fields": [
        {
            "name": "side",
            "type": {"type": "enum", "name": "Side", "symbols": ["BUY", "SELL"]},
        },
        {
            "name": "state",
            "type": {"type": "enum", "name": "State", "symbols": ["OPEN", "DONE"]},
        },
    ],
}
MIGRATION = """
CREATE TYPE side AS ENUM ('BUY', 'SELL');
CREATE TYPE state AS ENUM ('OPEN', 'CLOSED');
CREATE TABLE orders (id bigint PRIMARY KEY, side side NOT NULL, state state NOT NULL);
"""


def _service(root: Path) -> dict[str, str]:
    (root / "schemas" / "messages").mkdir(parents=True)
    (root / "schemas" / "tables").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "schemas" / "messages" / "order.avsc").write_text(json.dumps(AVRO))
    (root / "schemas" / "tables" / "001_orders.sql").write_text(MIGRATION)
    _, files = generate(root)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return files


def test_same_name_and_symbols_share_the_avro_class(tmp_path: Path) -> None:
    files = _service(tmp_path)
    enums = files["src/linked/generated/db/enums.py"]
    assert "from ..models import Side as Side" in enums
    assert "class Side(" not in enums
    assert "#   schemas/messages/order.avsc" in enums.split("\n\n")[0]
    # State differs in one symbol: a class of its own.
    assert "class State(StrEnum)" in enums
    check = (
        "from linked.generated.db.enums import ENUM_TYPES, Side, State\n"
        "from linked.generated import models\n"
        "assert Side is models.Side\n"
        "assert State is not models.State\n"
        'assert {getattr(t, "python", None) for t in ENUM_TYPES} >= {models.Side, State}\n'
    )
    subprocess.run([sys.executable, "-c", check], cwd=tmp_path / "src", check=True)
