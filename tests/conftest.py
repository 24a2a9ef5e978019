"""Options shared by the test suite."""

from __future__ import annotations

import pytest

# Golden cases hold generated test files as expected output, not as tests to run.
collect_ignore_glob = ["golden/*"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*/expected/ from the generator's current output",
    )
