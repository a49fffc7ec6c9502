"""load_export on valid exports: dtypes, defaults, keys, as-of date and fingerprint."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from expansion_propensity.contract import TABLES
from expansion_propensity.ingest import ValidationFailed, load_export
from expansion_propensity.ingest.mapping import SHIPPED_DIR

DTYPES = {"string": "string", "date": "datetime64[ns]", "integer": "Int64", "number": "float64"}


def test_loads_contract_dtypes(export_dir):
    export = load_export(export_dir)
    for name, spec in TABLES.items():
        frame = getattr(export, name)
        assert list(frame.columns) == spec.column_names, name
        for column in spec.columns:
            expected = DTYPES.get(column.kind, "boolean")
            assert str(frame[column.name].dtype) == expected, f"{name}.{column.name}"


def test_row_counts_and_values(export_dir):
    export = load_export(export_dir)
    assert len(export.accounts) == 3
    assert len(export.usage) == 6
    assert export.subscriptions["arr"].tolist() == [6000.0, 15000.0, 120000.0, 3600.0]
    assert export.tickets["escalated"].tolist() == [False, True, False]
    assert pd.isna(export.subscriptions.loc[1, "end_date"])


def test_account_name_defaults_to_id(export_dir):
    export = load_export(export_dir)
    assert export.accounts["account_name"].tolist() == ["Acme", "A2", "Cobalt"]


def test_missing_optional_columns_added(export_dir):
    export = load_export(export_dir)
    assert export.usage["duration_secs"].isna().all()
    assert export.accounts["churn_date"].isna().all()


def test_absent_optional_table_empty(export_dir):
    export = load_export(export_dir)
    assert export.churn_events.empty
    assert list(export.churn_events.columns) == TABLES["churn_events"].column_names
    assert export.report["tables"]["churn_events"]["file"] is None


def test_as_of_latest_event(export_dir):
    export = load_export(export_dir)
    # The survey on 2023-09-01 is the latest usage, ticket, survey or subscription date.
    assert export.as_of == pd.Timestamp("2023-09-01")
    assert export.report["as_of_from"] == "latest event date"


def test_as_of_from_mapping(export_dir, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("as_of: 2023-12-31\ntier_order: [Basic, Pro, Enterprise]\n")
    export = load_export(export_dir, mapping)
    assert export.as_of == pd.Timestamp("2023-12-31")
    assert export.tier_order == ["Basic", "Pro", "Enterprise"]


def test_fingerprint_stable_and_sensitive(export_dir, tmp_path):
    first = load_export(export_dir).fingerprint
    assert len(first) == 16
    assert load_export(export_dir).fingerprint == first

    mapping = tmp_path / "m.yaml"
    mapping.write_text("as_of: 2023-12-31\n")
    assert load_export(export_dir, mapping).fingerprint != first

    with (export_dir / "usage.csv").open("a") as stream:
        stream.write("A1,2023-02-03,api,1\n")
    assert load_export(export_dir).fingerprint != first


def test_source_is_folder_as_given(export_dir):
    assert load_export(export_dir).source == str(export_dir)


def test_usage_by_subscription_fills_account(tmp_path, tables, make_export):
    tables["usage"] = (
        tables["usage"]
        .drop(columns="account_id")
        .assign(subscription_id=["S1", "S2", "S3", "S3", "S4", "S4"])
    )
    export = load_export(make_export(tables))
    assert export.usage["account_id"].tolist() == ["A1", "A1", "A2", "A2", "A3", "A3"]


def test_report_files_written(export_dir, tmp_path):
    out = tmp_path / "out"
    export = load_export(export_dir, report_dir=out)
    on_disk = json.loads((out / "validation_report.json").read_text())
    assert on_disk["status"] == "ok"
    assert on_disk["tables"]["usage"]["rows_loaded"] == 6
    assert on_disk == json.loads(json.dumps(export.report, default=str))
    rejects = pd.read_csv(out / "rejects.csv")
    assert list(rejects.columns) == [
        "table",
        "file",
        "row",
        "account_id",
        "column",
        "value",
        "reason",
    ]
    assert rejects.empty
    assert not list(out.glob("*.tmp"))


def test_report_records_mapping_and_time(export_dir, tmp_path):
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with pytest.raises(ValidationFailed, match="feature_usage.csv named in the mapping not found"):
        load_export(export_dir, Path("ravenstack"), report_dir=tmp_path / "shipped")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("as_of: 2023-12-31\n")
    export = load_export(export_dir, mapping, report_dir=tmp_path / "out")

    on_disk = json.loads((tmp_path / "out" / "validation_report.json").read_text())
    assert on_disk["mapping"] == str(mapping.resolve())
    created = dt.datetime.fromisoformat(on_disk["created_at"])
    assert created.utcoffset() == dt.timedelta(0)
    assert before <= created <= dt.datetime.now(dt.UTC)
    assert export.report["created_at"] == on_disk["created_at"]
    # A bare name is recorded as the shipped file it selected, also when loading fails.
    shipped = json.loads((tmp_path / "shipped" / "validation_report.json").read_text())
    assert shipped["mapping"] == str(SHIPPED_DIR / "ravenstack.yaml")
    assert shipped["status"] == "failed"


def test_report_lists_absent_columns(export_dir):
    export = load_export(export_dir)
    assert export.report["tables"]["accounts"]["absent_columns"] == [
        "industry",
        "region",
        "churn_date",
        "churned",
    ]
    assert export.report["tables"]["surveys"]["absent_columns"] == ["survey_type"]


def test_parquet_input(tmp_path, tables, make_export):
    folder = make_export({k: v for k, v in tables.items() if k != "usage"})
    usage = tables["usage"].assign(
        usage_date=pd.to_datetime(tables["usage"]["usage_date"]),
        usage_count=tables["usage"]["usage_count"].astype(int),
    )
    usage.to_parquet(folder / "usage.parquet")
    export = load_export(folder)
    assert export.usage["usage_count"].sum() == 27
    assert export.usage["usage_date"].dtype == "datetime64[ns]"
    assert export.report["tables"]["usage"]["file"] == "usage.parquet"


def test_mapping_renames_constants_multiply(tmp_path, tables, make_export):
    tables["subscriptions"] = (
        tables["subscriptions"]
        .rename(columns={"arr": "mrr", "start_date": "begins"})
        .assign(mrr=["$500", "$1,250", "$10,000", "$300"])
    )
    tables["accounts"] = tables["accounts"].assign(
        customer_since=["15/01/2022", "01/03/2022", "30/06/2023"]
    )
    folder = make_export(tables)
    (folder / "subscriptions.csv").rename(folder / "subs.txt")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "tables:\n"
        "  accounts:\n"
        "    date_formats: {customer_since: '%d/%m/%Y'}\n"
        "  subscriptions:\n"
        "    file: subs.txt\n"
        "    columns: {arr: mrr, start_date: begins}\n"
        "    multiply: {arr: 12}\n"
        "    constants: {product: core}\n"
    )
    export = load_export(folder, mapping)
    assert export.subscriptions["arr"].tolist() == [6000.0, 15000.0, 120000.0, 3600.0]
    assert export.subscriptions["product"].tolist() == ["core"] * 4
    assert export.accounts["customer_since"].iloc[1] == pd.Timestamp("2022-03-01")


def test_encoding_from_mapping(tmp_path, tables, make_export):
    tables["accounts"].loc[0, "account_name"] = "Café Noël"
    folder = make_export(tables)
    tables["accounts"].to_csv(folder / "accounts.csv", index=False, encoding="cp1252")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("tables:\n  accounts:\n    encoding: cp1252\n")
    export = load_export(folder, mapping)
    assert export.accounts["account_name"].iloc[0] == "Café Noël"


def test_utf8_bom_and_crlf(tmp_path, tables, make_export):
    folder = make_export(tables)
    body = (folder / "accounts.csv").read_text().replace("\n", "\r\n")
    (folder / "accounts.csv").write_bytes(b"\xef\xbb\xbf" + body.encode())
    export = load_export(folder)
    assert export.accounts["account_id"].tolist() == ["A1", "A2", "A3"]


def test_shipped_mapping_by_name(tmp_path):
    # The bare name resolves to the shipped mapping, so only the folder is reported missing.
    with pytest.raises(ValidationFailed, match=r"export folder .*missing not found; pass"):
        load_export(tmp_path / "missing", Path("ravenstack"))
