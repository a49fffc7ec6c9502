"""Parsers: currency text, whole numbers, booleans and dates."""

from __future__ import annotations

import pandas as pd
import pytest

from expansion_propensity.ingest import parse
from expansion_propensity.ingest.mapping import BooleanFormat, MoneyFormat


def text(*values) -> pd.Series:
    return pd.Series(list(values), dtype="string")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("$50,000", 50000.0),
        ("($1,200)", -1200.0),
        ("$-", 0.0),
        ("1,234,567.25", 1234567.25),
        ("-$75.5", -75.5),
        ("  42 ", 42.0),
        ("€ 9", 9.0),
    ],
    ids=["symbol", "parentheses", "dash", "thousands", "minus", "spaces", "euro"],
)
def test_numbers_currency_text(raw, expected):
    parsed, invalid = parse.parse_numbers(text(raw), MoneyFormat())
    assert parsed.iloc[0] == expected
    assert not invalid.iloc[0]


def test_numbers_invalid_and_missing():
    parsed, invalid = parse.parse_numbers(text("12", "abc", "", "N/A", None), MoneyFormat())
    assert invalid.tolist() == [False, True, False, False, False]
    assert parsed.isna().tolist() == [False, True, True, True, True]


@pytest.mark.parametrize(
    "raw",
    ["1,2,3", "12,34", "1,2345", ",123", "$1,23,456", "1,234,56.5"],
    ids=["single-digits", "two-digit-group", "four-digit-group", "leading", "lakh", "short-last"],
)
def test_numbers_misplaced_thousands_invalid(raw):
    parsed, invalid = parse.parse_numbers(text(raw), MoneyFormat())
    assert invalid.iloc[0]
    assert pd.isna(parsed.iloc[0])


def test_numbers_misplaced_thousands_decimal_comma():
    money = MoneyFormat(thousands=".", decimal=",", symbols=["€"])
    parsed, invalid = parse.parse_numbers(text("1.2.3", "12.345,6 €", "(1.234)"), money)
    assert invalid.tolist() == [True, False, False]
    assert parsed.tolist()[1:] == [12345.6, -1234.0]


def test_numbers_without_thousands_separator():
    parsed, invalid = parse.parse_numbers(text("$1234", "$1,234"), MoneyFormat(thousands=""))
    assert invalid.tolist() == [False, True]
    assert parsed.iloc[0] == 1234.0


def test_numbers_decimal_comma():
    money = MoneyFormat(thousands=".", decimal=",", symbols=["€"])
    parsed, invalid = parse.parse_numbers(text("1.234,50 €", "(7,25)"), money)
    assert parsed.tolist() == [1234.5, -7.25]
    assert not invalid.any()


def test_numbers_typed_input_kept():
    parsed, invalid = parse.parse_numbers(pd.Series([1, 2]), MoneyFormat())
    assert parsed.dtype == "float64"
    assert parsed.tolist() == [1.0, 2.0]
    assert not invalid.any()


def test_integers_reject_fractions():
    parsed, invalid = parse.parse_integers(text("3", "2.5", "1,000"), MoneyFormat())
    assert str(parsed.dtype) == "Int64"
    assert invalid.tolist() == [False, True, False]
    assert parsed.iloc[2] == 1000


def test_booleans_spellings():
    spelling = BooleanFormat(true_values=["Y", True], false_values=["N"])
    parsed, invalid = parse.parse_booleans(text("y", "N", "true", "", "maybe"), spelling)
    # The identity check in list equality makes pd.NA equal to itself here.
    assert parsed.tolist() == [True, False, True, pd.NA, pd.NA]
    assert invalid.tolist() == [False, False, False, False, True]


def test_dates_iso_with_time_normalised():
    parsed, invalid = parse.parse_dates(text("2023-07-28", "2023-07-28 03:00:00", ""), None)
    assert parsed.iloc[1] == pd.Timestamp("2023-07-28")
    assert invalid.tolist() == [False, False, False]


def test_dates_stated_format():
    parsed, invalid = parse.parse_dates(text("13/04/2023", "2023-04-13"), "%d/%m/%Y")
    assert parsed.iloc[0] == pd.Timestamp("2023-04-13")
    assert invalid.tolist() == [False, True]


def test_placeholder_dates_masked():
    parsed, _ = parse.parse_dates(text("9999-12-31", "1900-01-01", "2023-01-01"), None)
    cleaned, placeholder = parse.mask_placeholder_dates(parsed)
    assert placeholder.tolist() == [True, True, False]
    assert cleaned.dtype == "datetime64[ns]"
    assert cleaned.isna().tolist() == [True, True, False]


def test_day_month_ambiguity():
    assert parse.day_month_ambiguous(text("03/04/2023", "13/04/2023", "05/05/2023")).tolist() == [
        True,
        False,
        False,
    ]
