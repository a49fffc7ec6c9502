"""Fatal problems: each raises ValidationFailed with a message naming the file, column and rows."""

from __future__ import annotations

import json

import pytest

from expansion_propensity.errors import InputError
from expansion_propensity.ingest import ValidationFailed, load_export


def test_is_input_error():
    assert issubclass(ValidationFailed, InputError)


def test_missing_required_file(export_dir):
    (export_dir / "tickets.csv").unlink()
    with pytest.raises(
        ValidationFailed,
        match=r"required table tickets: file tickets\.csv or tickets\.parquet not found in .*; "
        r"files there: accounts\.csv, subscriptions\.csv, surveys\.csv, usage\.csv\.",
    ):
        load_export(export_dir)


def test_missing_required_column(tables, make_export):
    tables["accounts"] = tables["accounts"].rename(columns={"customer_since": "signup_date"})
    with pytest.raises(
        ValidationFailed,
        match=r"accounts\.csv: required column\(s\) customer_since not found; columns found: "
        r"account_id, account_name, signup_date, segment\. Map each one under "
        r"tables\.accounts\.columns",
    ):
        load_export(make_export(tables))


def test_mapped_source_column_missing(tables, make_export, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("tables:\n  accounts:\n    columns: {industry: sector}\n")
    with pytest.raises(ValidationFailed, match=r"industry \(mapped from 'sector'\) not found"):
        load_export(make_export(tables), mapping)


def test_unparseable_numbers_listed(tables, make_export):
    tables["subscriptions"]["arr"] = ["$6,000", "lots", "12k", "?"]
    with pytest.raises(
        ValidationFailed,
        match=r"subscriptions\.csv column arr: 3 value\(s\) cannot be read as a number: "
        r"row 2 'lots', row 3 '12k', row 4 '\?'; fix them",
    ):
        load_export(make_export(tables))


def test_misplaced_thousands_separator_fatal(tables, make_export):
    tables["subscriptions"]["seats"] = ["5", "1,2,3", "1,000", "10,00"]
    with pytest.raises(
        ValidationFailed,
        match=r"subscriptions\.csv column seats: 2 value\(s\) cannot be read as a whole number: "
        r"row 2 '1,2,3', row 4 '10,00'; fix them",
    ):
        load_export(make_export(tables))


def test_unparseable_values_count_the_rest(tables, make_export):
    tables["usage"]["usage_count"] = ["x1", "x2", "x3", "x4", "x5", "x6"]
    with pytest.raises(
        ValidationFailed,
        match=r"6 value\(s\) cannot be read as a whole number: row 1 'x1', "
        r"row 2 'x2', row 3 'x3', row 4 'x4', row 5 'x5' and 1 more",
    ):
        load_export(make_export(tables))


def test_several_problems_listed(tables, make_export):
    tables["subscriptions"]["arr"] = ["1", "2", "3", "bad"]
    tables["tickets"]["escalated"] = ["false", "perhaps", "no"]
    with pytest.raises(ValidationFailed, match=r"has 2 problems:\n- .*arr.*\n- .*escalated"):
        load_export(make_export(tables))


def test_ambiguous_dates_rejected(tables, make_export):
    tables["accounts"]["customer_since"] = ["03/04/2023", "13/04/2023", "2022-01-01"]
    with pytest.raises(
        ValidationFailed,
        match=r"accounts\.csv column customer_since: 2 date\(s\) are not ISO dates \(YYYY-MM-DD\) "
        r"and the mapping states no date format: row 1 '03/04/2023', row 2 '13/04/2023'\. "
        r"Day-first and month-first readings differ for row 1 '03/04/2023'",
    ):
        load_export(make_export(tables))


def test_stated_format_mismatch(tables, make_export, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("date_format: '%d/%m/%Y'\n")
    with pytest.raises(
        ValidationFailed,
        match=r"accounts\.csv column customer_since: 3 value\(s\) cannot be read as a date in "
        r"the format '%d/%m/%Y': row 1 '2022-01-15'",
    ):
        load_export(make_export(tables), mapping)


def test_duplicate_account_ids(tables, make_export):
    tables["accounts"]["account_id"] = ["A1", "A2", "A1"]
    with pytest.raises(
        ValidationFailed,
        match=r"accounts\.csv: 1 account id\(s\) occur on more than one row: A1 \(rows 1, 3\)",
    ):
        load_export(make_export(tables))


def test_empty_required_table(tables, make_export):
    tables["usage"] = tables["usage"].iloc[0:0]
    with pytest.raises(
        ValidationFailed, match=r"usage\.csv has a header but no data rows, and the usage table"
    ):
        load_export(make_export(tables))


def test_zero_byte_file(export_dir):
    (export_dir / "tickets.csv").write_bytes(b"")
    with pytest.raises(ValidationFailed, match=r"tickets\.csv is empty \(0 bytes\)"):
        load_export(export_dir)


def test_excel_file_rejected(export_dir, tmp_path):
    (export_dir / "tickets.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    mapping = tmp_path / "m.yaml"
    mapping.write_text("tables:\n  tickets:\n    file: tickets.xlsx\n")
    with pytest.raises(
        ValidationFailed,
        match=r"tickets\.xlsx is neither CSV nor Parquet \(it looks like a ZIP archive or an "
        r"Excel workbook\); save the table as CSV \(UTF-8\) or Parquet",
    ):
        load_export(export_dir, mapping)


def test_fake_parquet_rejected(export_dir):
    (export_dir / "surveys.csv").rename(export_dir / "surveys.parquet")
    with pytest.raises(ValidationFailed, match=r"surveys\.parquet has a Parquet extension but"):
        load_export(export_dir)


def test_both_formats_present(export_dir):
    (export_dir / "surveys.parquet").write_bytes(b"PAR1")
    with pytest.raises(ValidationFailed, match=r"surveys: both surveys\.csv and surveys\.parquet"):
        load_export(export_dir)


def test_bad_encoding_offset(tables, make_export):
    folder = make_export(tables)
    content = (folder / "accounts.csv").read_bytes().replace(b"Acme", b"Acm\xe9")
    (folder / "accounts.csv").write_bytes(content)
    offset = content.index(b"\xe9")
    with pytest.raises(
        ValidationFailed,
        match=rf"accounts\.csv is not valid utf-8: byte 0xE9 at offset {offset} \(line 2\) cannot "
        r"be decoded\. Save the file as UTF-8, or state its encoding",
    ):
        load_export(folder)


def test_unknown_tier(tables, make_export, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("tier_order: [Basic, Pro]\n")
    with pytest.raises(
        ValidationFailed,
        match=r"plan_tier: tier\(s\) Enterprise are not in the mapping's tier_order",
    ):
        load_export(make_export(tables), mapping)


def test_invalid_mapping_is_validation_failed(export_dir, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("tables:\n  acounts: {}\n")
    with pytest.raises(ValidationFailed, match=r"unknown table 'acounts'"):
        load_export(export_dir, mapping)


def test_report_written_before_raising(tables, make_export, tmp_path):
    tables["accounts"]["account_id"] = ["A1", "A1", "A3"]
    out = tmp_path / "out"
    with pytest.raises(ValidationFailed):
        load_export(make_export(tables), report_dir=out)
    report = json.loads((out / "validation_report.json").read_text())
    assert report["status"] == "failed"
    assert report["errors"][0].startswith("accounts.csv: 1 account id(s) occur")
    assert (out / "rejects.csv").is_file()


def test_ragged_csv_names_line(export_dir):
    with (export_dir / "surveys.csv").open("a") as stream:
        stream.write("A1,2023-05-01,7,nps,extra,cells\n")
    with pytest.raises(
        ValidationFailed,
        match=r"surveys\.csv cannot be read as CSV: .*Expected 3 fields in line 4, saw 6\. "
        r"Check the delimiter \(tables\.surveys\.delimiter in the mapping\)",
    ):
        load_export(export_dir)


def test_other_extension_rejected(export_dir, tmp_path):
    (export_dir / "surveys.json").write_text('[{"account_id": "A1"}]')
    mapping = tmp_path / "m.yaml"
    mapping.write_text("tables:\n  surveys:\n    file: surveys.json\n")
    with pytest.raises(
        ValidationFailed, match=r"surveys\.json is neither CSV nor Parquet \(it looks like a \.json"
    ):
        load_export(export_dir, mapping)


def test_as_of_unknown_without_dates(tables, make_export):
    tables["usage"]["usage_date"] = ""
    tables["subscriptions"]["start_date"] = ""
    tables["tickets"]["opened_at"] = ""
    tables.pop("surveys")
    with pytest.raises(
        ValidationFailed,
        match=r"the export has no usage, ticket, survey or subscription start dates, so its "
        r"as-of date is unknown; state as_of in the mapping",
    ):
        load_export(make_export(tables))


def test_missing_file_lists_few_names(tmp_path):
    from expansion_propensity.ingest.readers import missing_file_message

    for index in range(12):
        (tmp_path / f"file{index:02d}.txt").write_text("x")

    message = missing_file_message(tmp_path, "accounts")

    assert "files there: file00.txt, file01.txt" in message
    assert "file07.txt and 4 more." in message
    assert "file08.txt" not in message
