"""``svcforge asyncapi``: the document of every example validates against the
official AsyncAPI 3.0 JSON Schema, which the test installs from the AsyncAPI
project's own npm package (``@asyncapi/specs``, Apache-2.0), never vendored."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from generator.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "generated-examples").iterdir() if p.is_dir())
SPECS = "@asyncapi/specs@6"


@pytest.fixture(scope="module")
def asyncapi_schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(
            "npm is needed to install the official AsyncAPI schema (@asyncapi/specs)"
        )
    where = tmp_path_factory.mktemp("asyncapi-specs")
    result = subprocess.run(
        [npm, "pack", SPECS, "--silent", "--pack-destination", str(where)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    (tarball,) = [
        where / line.strip() for line in result.stdout.splitlines() if line.strip()
    ]
    with tarfile.open(tarball) as archive:
        member = archive.getmember("package/schemas/3.0.0-without-$id.json")
        data = archive.extractfile(member)
        assert data is not None
        schema: dict[str, Any] = json.load(data)
    return schema


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_document_validates_against_asyncapi_3(
    example: Path, tmp_path: Path, asyncapi_schema: dict[str, Any]
) -> None:
    out = tmp_path / "asyncapi.json"
    assert main(["asyncapi", str(example), "-o", str(out)]) == 0
    document = json.loads(out.read_text())
    errors = sorted(
        Draft7Validator(asyncapi_schema).iter_errors(document),
        key=lambda e: list(e.path),
    )
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]]
    assert document["asyncapi"] == "3.0.0"


def test_market_data_document_has_channels_operations_and_bindings(
    tmp_path: Path,
) -> None:
    out = tmp_path / "asyncapi.json"
    assert (
        main(["asyncapi", str(ROOT / "generated-examples/market-data"), "-o", str(out)])
        == 0
    )
    doc = json.loads(out.read_text())
    assert set(doc["servers"]) == {"kafka", "redis"}
    assert doc["channels"]["trades-kafka"]["address"] == "market-data.trades"
    assert doc["channels"]["trades-kafka"]["bindings"]["kafka"]["partitions"] == 3
    assert doc["channels"]["trades-redis"]["address"] == "market-data:trades"
    assert doc["operations"]["trades-kafka-receive"]["action"] == "receive"
    assert doc["operations"]["trades-kafka-send"]["action"] == "send"
    trade = doc["components"]["messages"]["com_svcforge_marketdata_Trade"]
    assert trade["payload"]["schemaFormat"].startswith(
        "application/vnd.apache.avro+json"
    )
    assert trade["bindings"]["kafka"]["key"]["type"] == "string"
    assert "message-type" in trade["headers"]["properties"]
    # Deterministic: the same bytes twice.
    again = tmp_path / "again.json"
    assert (
        main(
            ["asyncapi", str(ROOT / "generated-examples/market-data"), "-o", str(again)]
        )
        == 0
    )
    assert again.read_bytes() == out.read_bytes()
