"""The shared third-party export loads through its shipped mapping alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from expansion_propensity.ingest import load_export
from expansion_propensity.ingest.mapping import SHIPPED_DIR


@pytest.fixture(scope="module")
def export(ravenstack_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("ravenstack_report")
    return load_export(ravenstack_dir, SHIPPED_DIR / "ravenstack.yaml", report_dir=out)


def codes(export) -> dict[str, dict]:
    return {item["code"]: item for item in export.report["warnings"]}


def test_all_rows_loaded(export):
    assert export.report["status"] == "ok"
    assert len(export.accounts) == 500
    assert len(export.subscriptions) == 5000
    assert len(export.usage) == 25000
    assert len(export.tickets) == 2000
    assert len(export.churn_events) == 600
    assert export.surveys.empty
    assert export.report["rejects"]["rows"] == 0


def test_usage_accounts_filled(export):
    assert export.usage["account_id"].notna().all()
    assert export.usage["account_id"].isin(export.accounts["account_id"]).all()


def test_columns_mapped(export):
    assert export.accounts["segment"].isna().all()
    assert export.accounts["region"].notna().all()
    assert export.tickets["satisfaction"].isna().mean() == pytest.approx(0.41, abs=0.01)
    assert export.tier_order == ["Basic", "Pro", "Enterprise"]
    assert (export.subscriptions["arr"] >= 0).all()
    assert export.subscriptions["arr"].median() > 0
    # closed_at carries times of day; the loader keeps the date.
    assert (export.tickets["closed_at"].dt.hour == 0).all()


def test_contradictions_surfaced(export):
    found = codes(export)
    before = found["usage_before_subscription_start"]["count"] / 25000
    tickets = found["ticket_before_customer_since"]["count"] / 2000
    assert before == pytest.approx(0.77, abs=0.01)
    assert tickets == pytest.approx(0.54, abs=0.01)


def test_as_of_latest_event(export):
    assert str(export.as_of.date()) == "2024-12-31"


def test_by_bare_name(ravenstack_dir):
    export = load_export(ravenstack_dir, Path("ravenstack"))
    assert len(export.usage) == 25000


def test_churn_flag_disagreement_warned(export):
    found = codes(export)
    assert export.accounts["churned"].sum() == 110
    assert found["churn_event_of_unflagged_account"]["count"] == 465
    assert found["churn_event_of_unflagged_account"]["accounts_affected"] == 277
    assert found["churned_account_without_event"]["count"] == 35
    # The export has no churn_date per account, so no date comparison is made.
    assert "churn_event_without_churn_date" not in found


def test_repeated_usage_ids_warned(export):
    repeated = codes(export)["duplicate_usage_id"]
    assert repeated["count"] == 42
    assert "(21 distinct ids)" in repeated["message"]
    assert export.usage["usage_id"].notna().all()
