"""``svcforge compat``: one schema-evolution gate for Avro, JSON Schema, SQL
and channels, comparing the working tree with its schemas at a git revision.

It works on the IR: both sides are loaded by the same front-ends (through
``load``, the one module that calls them), and ``rules`` names every break.
"""

from generator.compat.report import github_report, json_report, text_report
from generator.compat.rules import MODES, RULES, Break
from generator.compat.run import DEFAULT_AGAINST, Outcome, run_compat

__all__ = [
    "DEFAULT_AGAINST",
    "MODES",
    "RULES",
    "Break",
    "Outcome",
    "github_report",
    "json_report",
    "run_compat",
    "text_report",
]
