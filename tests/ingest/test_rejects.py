"""Rejected rows (rejects.csv) and warnings (rows kept) in the validation report."""

from __future__ import annotations

import pandas as pd
import pytest

from expansion_propensity.ingest import load_export


def warning(report: dict, code: str) -> dict:
    matches = [item for item in report["warnings"] if item["code"] == code]
    assert len(matches) == 1, f"expected one {code} warning, got {report['warnings']}"
    return matches[0]


def reasons(report: dict) -> dict[tuple[str, str], int]:
    return {
        (item["table"], item["reason"]): item["rows"] for item in report["rejects"]["by_reason"]
    }


@pytest.fixture
def out(tmp_path):
    return tmp_path / "out"


def test_unknown_account_rejected(tables, make_export, out):
    tables["tickets"].loc[1, "account_id"] = "A9"
    tables["surveys"].loc[0, "account_id"] = "A8"
    export = load_export(make_export(tables), report_dir=out)

    assert export.tickets["ticket_id"].tolist() == ["T1", "T3"]
    assert reasons(export.report) == {
        ("tickets", "unknown account_id"): 1,
        ("surveys", "unknown account_id"): 1,
    }
    assert export.report["tables"]["tickets"]["rows_rejected"] == 1
    tickets = export.report["rejects"]["by_reason"][1]
    assert tickets["table"] == "tickets"
    assert tickets["values"] == ["A9"]
    assert tickets["first_rows"] == [2]
    rejects = pd.read_csv(out / "rejects.csv")
    first = rejects[rejects["table"] == "tickets"].iloc[0]
    assert first.to_dict() == {
        "table": "tickets",
        "file": "tickets.csv",
        "row": 2,
        "account_id": "A9",
        "column": "account_id",
        "value": "A9",
        "reason": "unknown account_id",
    }


def test_unknown_subscription_rejected(tables, make_export):
    tables["usage"] = (
        tables["usage"]
        .drop(columns="account_id")
        .assign(subscription_id=["S1", "S2", "S3", "S99", "S4", "S4"])
    )
    export = load_export(make_export(tables))
    assert len(export.usage) == 5
    assert reasons(export.report) == {("usage", "unknown subscription_id"): 1}
    assert export.report["rejects"]["by_reason"][0]["values"] == ["S99"]


def test_negative_values_rejected(tables, make_export):
    tables["subscriptions"].loc[2, "seats"] = "-5"
    tables["subscriptions"].loc[3, "arr"] = "($300)"
    tables["usage"].loc[0, "usage_count"] = "-1"
    export = load_export(make_export(tables))
    assert reasons(export.report) == {
        ("subscriptions", "negative seats"): 1,
        ("subscriptions", "negative arr"): 1,
        ("usage", "negative usage_count"): 1,
    }
    assert export.subscriptions["subscription_id"].tolist() == ["S1", "S2"]


def test_rejected_parent_cascades(tables, make_export):
    tables["subscriptions"].loc[2, "arr"] = "-1"
    tables["usage"] = (
        tables["usage"]
        .drop(columns="account_id")
        .assign(subscription_id=["S1", "S2", "S3", "S3", "S4", "S4"])
    )
    export = load_export(make_export(tables))
    assert reasons(export.report)[("usage", "subscription_id of a rejected row")] == 2
    # A2's only subscription was rejected, so the account is listed as a warning.
    alone = warning(export.report, "account_without_subscription")
    assert alone["accounts"] == ["A2"]
    assert alone["count"] == 1


def test_end_before_start_rejected(tables, make_export):
    tables["subscriptions"].loc[0, "end_date"] = "2021-12-31"
    tables["tickets"].loc[0, "closed_at"] = "2023-02-01"
    export = load_export(make_export(tables))
    assert reasons(export.report) == {
        ("subscriptions", "end_date before start_date"): 1,
        ("tickets", "closed_at before opened_at"): 1,
    }
    subscription = export.report["rejects"]["by_reason"][0]
    assert subscription["values"] == ["2021-12-31"]


def test_missing_required_value_rejected(tables, make_export):
    tables["usage"].loc[2, "feature"] = ""
    export = load_export(make_export(tables))
    assert reasons(export.report) == {("usage", "missing feature"): 1}
    assert export.report["rejects"]["accounts_affected"] == 1


def test_duplicate_subscription_rejected(tables, make_export):
    tables["subscriptions"].loc[1, "subscription_id"] = "S1"
    export = load_export(make_export(tables))
    assert reasons(export.report) == {("subscriptions", "duplicate subscription_id"): 1}


def test_placeholder_dates_warned(tables, make_export):
    tables["subscriptions"]["end_date"] = ["9999-12-31", "9999-12-31", "", "1900-01-01"]
    export = load_export(make_export(tables))
    assert export.subscriptions["end_date"].isna().all()
    found = warning(export.report, "placeholder_date")
    assert found["count"] == 3
    assert found["rows"] == [1, 2, 4]
    assert "(1900-01-01, 9999-12-31) treated as missing" in found["message"]


def test_dates_after_as_of_warned(tables, make_export, tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("as_of: 2023-06-30\n")
    export = load_export(make_export(tables), mapping)
    later = {
        w["message"]: w["count"]
        for w in export.report["warnings"]
        if w["code"] == "date_after_as_of"
    }
    assert later["2 of 6 rows (33%): usage.usage_date dated after the as_of date 2023-06-30"] == 2
    assert later["1 of 3 rows (33%): tickets.opened_at dated after the as_of date 2023-06-30"] == 1
    assert len(export.usage) == 6


def test_date_contradictions_warned(tables, make_export):
    tables["usage"] = (
        tables["usage"]
        .drop(columns="account_id")
        .assign(subscription_id=["S1", "S2", "S3", "S3", "S4", "S4"])
    )
    tables["usage"].loc[1, "usage_date"] = "2023-01-01"
    tables["tickets"].loc[0, "opened_at"] = "2021-12-01"
    export = load_export(make_export(tables))

    before = warning(export.report, "usage_before_subscription_start")
    assert before["rows"] == [2]
    after = warning(export.report, "usage_after_subscription_end")
    assert after["rows"] == [1]
    assert after["accounts"] == ["A1"]
    ticket = warning(export.report, "ticket_before_customer_since")
    assert ticket["count"] == 1
    assert ticket["message"].startswith("1 of 3 rows (33%)")
    assert len(export.usage) == 6


def test_future_end_date_not_warned(tables, make_export, tmp_path):
    tables["subscriptions"].loc[1, "end_date"] = "2030-01-14"
    mapping = tmp_path / "m.yaml"
    mapping.write_text("as_of: 2023-12-31\n")
    export = load_export(make_export(tables), mapping)
    assert not [w for w in export.report["warnings"] if "end_date" in w["message"]]


def test_empty_optional_table_warned(tables, make_export):
    tables["surveys"] = tables["surveys"].iloc[0:0]
    export = load_export(make_export(tables))
    assert export.surveys.empty
    assert warning(export.report, "empty_table")["message"] == "surveys.csv has no data rows"


def test_subscription_of_other_account_rejected(tables, make_export, out):
    tables["usage"] = tables["usage"].assign(subscription_id=["S1", "S2", "S3", "S1", "S4", ""])
    export = load_export(make_export(tables), report_dir=out)

    assert reasons(export.report) == {("usage", "subscription_id belongs to another account"): 1}
    assert export.report["tables"]["usage"]["rows_rejected"] == 1
    assert export.report["rejects"]["by_reason"][0]["values"] == ["S1"]
    assert len(export.usage) == 5
    # A row without a subscription keeps its stated account.
    assert export.usage["account_id"].tolist() == ["A1", "A1", "A2", "A3", "A3"]
    rejects = pd.read_csv(out / "rejects.csv")
    assert rejects[["row", "account_id", "value"]].values.tolist() == [[4, "A2", "S1"]]


def with_churn(tables: dict, accounts: dict, events: list[tuple[str, str]]) -> dict:
    tables["accounts"] = tables["accounts"].assign(**accounts)
    tables["churn_events"] = pd.DataFrame(events, columns=["account_id", "churn_date"])
    return tables


def test_churn_date_contradictions_warned(tables, make_export):
    events = [("A1", "2023-05-01"), ("A2", "2023-06-01"), ("A2", "2023-09-01")]
    churn_dates = {"churn_date": ["2023-05-01", "", "2024-01-01"]}
    export = load_export(make_export(with_churn(tables, churn_dates, events)))

    without_date = warning(export.report, "churn_event_without_churn_date")
    assert without_date["table"] == "churn_events"
    assert without_date["count"] == 2
    assert without_date["rows"] == [2, 3]
    assert without_date["accounts"] == ["A2"]
    without_event = warning(export.report, "churn_date_without_event")
    assert without_event["accounts"] == ["A3"]
    assert without_event["message"].startswith("1 of 3 rows (33%)")
    assert not [
        w for w in export.report["warnings"] if w["code"] == "churn_date_differs_from_events"
    ]
    assert len(export.churn_events) == 3


def test_churn_date_differs_warned(tables, make_export):
    events = [("A1", "2023-05-01"), ("A1", "2023-09-01"), ("A3", "2024-02-01")]
    churn_dates = {"churn_date": ["2023-09-01", "", "2024-01-01"]}
    export = load_export(make_export(with_churn(tables, churn_dates, events)))

    differs = warning(export.report, "churn_date_differs_from_events")
    assert differs["table"] == "accounts"
    assert differs["accounts"] == ["A3"]
    assert differs["count"] == 1


def test_churn_flag_contradictions_warned(tables, make_export, tmp_path):
    events = [("A1", "2023-05-01"), ("A2", "2023-06-01"), ("A2", "2023-07-01")]
    flags = {"churn_flag": ["True", "False", "True"]}
    mapping = tmp_path / "m.yaml"
    mapping.write_text("tables:\n  accounts:\n    columns: {churned: churn_flag}\n")
    export = load_export(make_export(with_churn(tables, flags, events)), mapping)

    assert export.accounts["churned"].tolist() == [True, False, True]
    unflagged = warning(export.report, "churn_event_of_unflagged_account")
    assert unflagged["count"] == 2
    assert unflagged["accounts"] == ["A2"]
    assert unflagged["message"].startswith("2 of 3 rows (67%)")
    flagged = warning(export.report, "churned_account_without_event")
    assert flagged["accounts"] == ["A3"]
    # churn_date is not in this export, so events are not compared with it.
    assert not [w for w in export.report["warnings"] if "churn_date" in w["code"]]


def test_churn_date_alone_not_warned(tables, make_export):
    tables["accounts"]["churn_date"] = ["2023-05-01", "", ""]
    export = load_export(make_export(tables))
    assert export.report["warnings"] == []


def test_duplicate_usage_ids_warned(tables, make_export):
    tables["usage"]["usage_id"] = ["U1", "U2", "U1", "U3", "U1", "U3"]
    export = load_export(make_export(tables))

    repeated = warning(export.report, "duplicate_usage_id")
    assert repeated["count"] == 5
    assert repeated["rows"] == [1, 3, 4, 5, 6]
    assert "(2 distinct ids)" in repeated["message"]
    assert len(export.usage) == 6
    assert export.usage["usage_id"].tolist() == ["U1", "U2", "U1", "U3", "U1", "U3"]
