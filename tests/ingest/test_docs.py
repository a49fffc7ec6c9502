"""docs/data-contract.md lists every contract column exactly as contract.py defines it."""

from __future__ import annotations

from pathlib import Path

import pytest

from expansion_propensity.contract import TABLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-contract.md"


@pytest.mark.parametrize("table", list(TABLES))
def test_contract_table_in_sync(table):
    text = DOC.read_text()
    for column in TABLES[table].columns:
        unit = column.unit + (", ≥ 0" if column.nonnegative else "")
        required = "yes" if column.required else "no"
        row = f"| `{column.name}` | {column.kind} | {required} | {unit} | {column.description} |"
        assert row in text, f"docs/data-contract.md lacks or changed the row: {row}"
