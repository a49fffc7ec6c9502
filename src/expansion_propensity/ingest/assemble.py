"""Map one raw table onto the contract's columns and parse every value to its dtype."""

from __future__ import annotations

import pandas as pd

from expansion_propensity.contract import (
    BOOLEAN,
    DATE,
    INTEGER,
    NUMBER,
    PANDAS_DTYPES,
    STRING,
    TableSpec,
)
from expansion_propensity.errors import InputError
from expansion_propensity.ingest import parse
from expansion_propensity.ingest.mapping import Mapping
from expansion_propensity.ingest.readers import RawTable
from expansion_propensity.ingest.report import Report

# Listed per parse error; the message gives the count of the rest.
SHOWN_VALUES = 5

# Usage may be keyed by subscription instead of account; the loader fills account_id.
FILLED_LATER = {("usage", "account_id")}


def select_columns(raw: RawTable, spec: TableSpec, mapping: Mapping) -> pd.DataFrame:
    """Return the contract's columns as raw values, plus `_row`, the 1-based data row number.

    Raises InputError naming the file, the missing columns and the columns found.
    """
    table_map = mapping.table(spec.name)
    found = list(raw.frame.columns)
    columns: dict[str, pd.Series] = {"_row": pd.Series(range(1, len(raw.frame) + 1))}
    missing = []

    for column in spec.columns:
        source = table_map.columns.get(column.name, column.name)
        if source in raw.frame.columns:
            columns[column.name] = raw.frame[source].reset_index(drop=True)
        elif column.name in table_map.constants:
            value = str(table_map.constants[column.name])
            columns[column.name] = pd.Series(value, index=range(len(raw.frame)), dtype="string")
        elif column.name in table_map.columns:
            # A source column named explicitly must exist, even for an optional column.
            missing.append(f"{column.name} (mapped from {source!r})")
        elif column.required and (spec.name, column.name) not in FILLED_LATER:
            missing.append(column.name)

    if missing:
        raise InputError(
            f"{raw.path.name}: required column(s) {', '.join(missing)} not found; columns found: "
            f"{', '.join(found)}. Map each one under tables.{spec.name}.columns in the mapping "
            "(contract name: source column)."
        )
    if spec.name == "usage" and "account_id" not in columns and "subscription_id" not in columns:
        raise InputError(
            f"{raw.path.name}: usage needs account_id or subscription_id, and neither was found; "
            f"columns found: {', '.join(found)}. Map one under tables.usage.columns in the mapping."
        )
    return pd.DataFrame(columns)


def parse_columns(
    frame: pd.DataFrame, spec: TableSpec, mapping: Mapping, file: str, report: Report
) -> pd.DataFrame:
    """Parse each contract column to its dtype; add absent optional columns as all-missing.

    Values that cannot be read are fatal: each column's problem becomes one error
    in the report, and InputError is raised after every column is checked.
    """
    parsed: dict[str, pd.Series] = {"_row": frame["_row"]}
    problems = []
    for column in spec.columns:
        if column.name not in frame:
            parsed[column.name] = _all_missing(column.kind, len(frame))
            continue
        values, problem = _parse_column(frame, spec.name, column.name, column.kind, mapping, file)
        if problem:
            problems.append(problem)
        if column.kind == DATE:
            values = _drop_placeholders(frame, values, spec.name, column.name, file, report)
        parsed[column.name] = values

    if problems:
        raise InputError("\n".join(problems))
    result = pd.DataFrame(parsed, index=frame.index)
    return _apply_multipliers(result, spec, mapping)


def _parse_column(
    frame: pd.DataFrame, table: str, name: str, kind: str, mapping: Mapping, file: str
) -> tuple[pd.Series, str | None]:
    values = frame[name]
    if kind == STRING:
        return parse.parse_strings(values), None
    if kind == NUMBER:
        parsed, invalid = parse.parse_numbers(values, mapping.money)
        return parsed, _invalid_message(frame, invalid, file, name, "a number", _MONEY_HINT)
    if kind == INTEGER:
        parsed, invalid = parse.parse_integers(values, mapping.money)
        return parsed, _invalid_message(frame, invalid, file, name, "a whole number", _MONEY_HINT)
    if kind == BOOLEAN:
        parsed, invalid = parse.parse_booleans(values, mapping.booleans)
        hint = "add the spellings under booleans.true_values / false_values in the mapping"
        return parsed, _invalid_message(frame, invalid, file, name, "a boolean", hint)

    date_format = mapping.date_format_for(table, name)
    parsed, invalid = parse.parse_dates(values, date_format)
    if date_format is None:
        return parsed, _undated_message(frame, invalid, file, table, name)
    hint = f"fix them, or change the format under tables.{table}.date_formats.{name}"
    expected = f"a date in the format {date_format!r}"
    return parsed, _invalid_message(frame, invalid, file, name, expected, hint)


_MONEY_HINT = (
    "fix them in the export, or describe the currency format under money in the mapping "
    "(symbols, thousands, decimal)"
)


def _listed(frame: pd.DataFrame, mask: pd.Series, column: str) -> str:
    hit = frame.loc[mask, ["_row", column]]
    shown = [
        f"row {row} {value!r}" for row, value in hit.head(SHOWN_VALUES).itertuples(index=False)
    ]
    rest = len(hit) - len(shown)
    return ", ".join(shown) + (f" and {rest} more" if rest else "")


def _invalid_message(
    frame: pd.DataFrame, invalid: pd.Series, file: str, column: str, expected: str, hint: str
) -> str | None:
    if not invalid.any():
        return None
    count = int(invalid.sum())
    return (
        f"{file} column {column}: {count} value(s) cannot be read as {expected}: "
        f"{_listed(frame, invalid, column)}; {hint}."
    )


def _undated_message(
    frame: pd.DataFrame, invalid: pd.Series, file: str, table: str, column: str
) -> str | None:
    if not invalid.any():
        return None
    count = int(invalid.sum())
    message = (
        f"{file} column {column}: {count} date(s) are not ISO dates (YYYY-MM-DD) and the mapping "
        f"states no date format: {_listed(frame, invalid, column)}."
    )
    ambiguous = invalid & parse.day_month_ambiguous(frame[column]).fillna(False)
    if ambiguous.any():
        message += (
            f" Day-first and month-first readings differ for {_listed(frame, ambiguous, column)},"
            " so the format cannot be guessed."
        )
    return (
        message + f" State the format under tables.{table}.date_formats.{column} or date_format "
        "in the mapping, for example '%d/%m/%Y' or '%m/%d/%Y'."
    )


def _drop_placeholders(
    frame: pd.DataFrame, dates: pd.Series, table: str, column: str, file: str, report: Report
) -> pd.Series:
    cleaned, placeholder = parse.mask_placeholder_dates(dates)
    if placeholder.any():
        values = sorted({str(value.date()) for value in dates[placeholder].head(1000)})
        accounts = frame.loc[placeholder, "account_id"] if "account_id" in frame else None
        report.warn(
            table,
            "placeholder_date",
            f"{file} column {column}: {int(placeholder.sum())} placeholder date(s) "
            f"({', '.join(values[:5])}) treated as missing",
            rows=frame.loc[placeholder, "_row"],
            accounts=accounts,
        )
    return cleaned


def _all_missing(kind: str, length: int) -> pd.Series:
    return pd.Series(pd.NA if kind != NUMBER else float("nan"), index=range(length)).astype(
        PANDAS_DTYPES[kind]
    )


def _apply_multipliers(frame: pd.DataFrame, spec: TableSpec, mapping: Mapping) -> pd.DataFrame:
    multiply = mapping.table(spec.name).multiply
    if not multiply:
        return frame
    return frame.assign(**{column: frame[column] * factor for column, factor in multiply.items()})
