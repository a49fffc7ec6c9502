"""Mapping files: validation of tables, keys and columns, and the shipped mappings."""

from __future__ import annotations

from pathlib import Path

import pytest

from expansion_propensity.errors import InputError
from expansion_propensity.ingest.mapping import load_mapping, shipped_mappings


def write(tmp_path, text: str):
    path = tmp_path / "mapping.yaml"
    path.write_text(text)
    return path


def test_no_mapping_defaults():
    mapping, raw = load_mapping(None)
    assert raw == b""
    assert mapping.table("accounts").file is None
    assert mapping.as_of is None


def test_unknown_table_named(tmp_path):
    path = write(tmp_path, "tables:\n  acounts:\n    file: a.csv\n")
    with pytest.raises(
        InputError,
        match=r"\n  tables: unknown table 'acounts' \(did you mean 'accounts'\?\); expected one of "
        r"accounts",
    ):
        load_mapping(path)


def test_unknown_key_named(tmp_path):
    path = write(tmp_path, "tables:\n  accounts:\n    fiel: a.csv\n")
    with pytest.raises(
        InputError, match=r"tables\.accounts\.fiel: unknown key; did you mean 'file'\? Valid keys"
    ):
        load_mapping(path)


def test_unknown_top_level_key(tmp_path):
    path = write(tmp_path, "asof: 2024-01-01\n")
    with pytest.raises(InputError, match=r"asof: unknown key; did you mean 'as_of'\? Valid keys"):
        load_mapping(path)


def test_misspelt_section_lists_keys(tmp_path):
    path = write(tmp_path, "boolean:\n  true_values: [Y]\n")
    with pytest.raises(
        InputError, match=r"boolean: unknown key; did you mean 'booleans'\?.*tables"
    ):
        load_mapping(path)


def test_unknown_column_named(tmp_path):
    path = write(tmp_path, "tables:\n  accounts:\n    columns:\n      signup: signup_date\n")
    with pytest.raises(InputError, match=r"tables\.accounts\.columns: unknown column 'signup'"):
        load_mapping(path)


def test_misspelt_column_suggested(tmp_path):
    path = write(tmp_path, "tables:\n  accounts:\n    columns:\n      custmer_since: signup\n")
    with pytest.raises(
        InputError,
        match=r"\n  tables\.accounts\.columns: unknown column 'custmer_since' \(did you mean "
        r"'customer_since'\?\)",
    ):
        load_mapping(path)


def test_multiply_needs_number_column(tmp_path):
    path = write(tmp_path, "tables:\n  subscriptions:\n    multiply:\n      seats: 2\n")
    with pytest.raises(InputError, match=r"column 'seats' is not a number column"):
        load_mapping(path)


def test_boolean_spelling_conflict(tmp_path):
    path = write(tmp_path, "booleans:\n  true_values: ['y']\n  false_values: ['Y']\n")
    with pytest.raises(InputError, match=r"spellings \['y'\] are listed as both true and false"):
        load_mapping(path)


def test_invalid_yaml(tmp_path):
    path = write(tmp_path, "tables: [unclosed\n")
    with pytest.raises(InputError, match=r"is not valid YAML"):
        load_mapping(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"mapping file .*nope\.yaml cannot be read"):
        load_mapping(tmp_path / "nope.yaml")


def test_unknown_shipped_name():
    with pytest.raises(InputError, match=r"no shipped mapping has that name; shipped mappings: "):
        load_mapping(Path("no_such_mapping"))


def test_shipped_mappings_valid():
    names = shipped_mappings()
    assert "ravenstack" in names
    for name in names:
        mapping, raw = load_mapping(Path(name))
        assert raw
        assert mapping.tables
