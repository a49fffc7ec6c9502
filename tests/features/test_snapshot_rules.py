"""Snapshot dates, membership, tier order and excluded events."""

from __future__ import annotations

import pandas as pd
import pytest

from expansion_propensity.config import Config, SnapshotConfig
from expansion_propensity.errors import InputError
from expansion_propensity.features import build_scoring_frame, build_snapshots
from expansion_propensity.features.clean import (
    SURVEY_BEFORE_CUSTOMER,
    TICKET_BEFORE_CUSTOMER,
    USAGE_AFTER_END,
    USAGE_BEFORE_CUSTOMER,
)
from expansion_propensity.features.prepare import order_tiers


def _subscription(sub_id, account, start, end=None, tier="Pro", seats=10, arr=10_000.0, **extra):
    return {"subscription_id": sub_id, "account_id": account, "start_date": start,
            "end_date": end, "plan_tier": tier, "seats": seats, "arr": arr, **extra}  # fmt: skip


def _usage(account, day, subscription=None, count=10):
    return {"account_id": account, "subscription_id": subscription, "usage_date": day,
            "feature": "f1", "usage_count": count}  # fmt: skip


@pytest.fixture
def membership_export(make_export):
    return make_export(
        "2024-12-31",
        accounts=[
            {"account_id": "steady", "customer_since": "2024-01-01"},
            {"account_id": "late", "customer_since": "2024-03-15"},
            {"account_id": "ended", "customer_since": "2024-01-01"},
            {"account_id": "churned", "customer_since": "2024-01-01"},
            {"account_id": "trial", "customer_since": "2024-01-01"},
        ],
        subscriptions=[
            _subscription("s", "steady", "2024-01-01"),
            _subscription("l", "late", "2024-03-15"),
            _subscription("e", "ended", "2024-01-01", end="2024-04-01"),
            # Still open in the export, but the churn event ends the membership,
            # until the account buys again on 2024-08-01.
            _subscription("c", "churned", "2024-01-01"),
            _subscription("c2", "churned", "2024-08-01"),
            _subscription("t", "trial", "2024-01-01", arr=0.0),
        ],
        usage=[_usage("steady", "2024-01-01")],
        churn_events=[{"account_id": "churned", "churn_date": "2024-05-10"}],
    )


def _months(table, account):
    dates = table.loc[table["account_id"] == account, "snapshot_date"]
    return [date.strftime("%Y-%m") for date in dates]


def test_membership_follows_paid_periods(membership_export, make_config):
    table = build_snapshots(membership_export, make_config(min_history_days=0)).table
    all_months = [f"2024-{month:02d}" for month in range(1, 13)]

    # A period in force on the day before the snapshot makes the account a member.
    assert _months(table, "steady") == all_months[1:]
    assert _months(table, "late") == all_months[3:]
    # The period ending on 2024-04-01 is in force on 2024-03-31.
    assert _months(table, "ended") == all_months[1:4]
    assert _months(table, "churned") == all_months[1:5] + all_months[8:]
    assert _months(table, "trial") == []


def test_snapshot_dates_from_history(membership_export):
    config = Config(snapshots=SnapshotConfig(min_history_days=45))
    table = build_snapshots(membership_export, config).table

    # History starts 2024-01-01 (first usage); 45 days later is 2024-02-15.
    assert table["snapshot_date"].min() == pd.Timestamp("2024-03-01")
    assert table["snapshot_date"].max() == pd.Timestamp("2024-12-01")
    assert table["snapshot_date"].dtype == "datetime64[ns]"
    assert table["account_id"].dtype == "string"


def test_table_sorted_by_date_then_account(membership_export, make_config):
    table = build_snapshots(membership_export, make_config()).table
    expected = table.sort_values(["snapshot_date", "account_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(table, expected)


def test_invalid_cadence_raises(membership_export):
    config = Config(snapshots=SnapshotConfig(cadence="fortnightly"))
    with pytest.raises(InputError, match="snapshots.cadence 'fortnightly'"):
        build_snapshots(membership_export, config)


def test_history_too_short_raises(membership_export):
    config = Config(snapshots=SnapshotConfig(min_history_days=400))
    with pytest.raises(InputError, match="lower snapshots.min_history_days"):
        build_snapshots(membership_export, config)


def test_scoring_frame_counts_as_of_day(membership_export):
    frame = build_scoring_frame(membership_export, Config(), pd.Timestamp("2024-03-15"))
    assert list(frame["account_id"]) == ["churned", "ended", "steady"]

    # A period starting on the as-of day counts once the date is the day after.
    frame = build_scoring_frame(membership_export, Config(), pd.Timestamp("2024-03-16"))
    assert list(frame["account_id"]) == ["churned", "ended", "late", "steady"]


def test_tiers_ordered_by_price_per_seat(make_export):
    export = make_export(
        "2024-12-31",
        accounts=[{"account_id": "a", "customer_since": "2024-01-01"}],
        subscriptions=[
            _subscription("1", "a", "2024-01-01", tier="Gold", seats=10, arr=50_000.0),
            _subscription("2", "a", "2024-01-01", tier="Bronze", seats=10, arr=5_000.0),
            _subscription("3", "a", "2024-01-01", tier="Silver", seats=10, arr=20_000.0),
            _subscription("4", "a", "2024-01-01", tier="Silver", seats=20, arr=30_000.0),
        ],
    )
    assert order_tiers(export) == ["Bronze", "Silver", "Gold"]


def test_export_tier_order_wins(make_export):
    export = make_export(
        "2024-12-31",
        tier_order=["Gold", "Bronze"],
        accounts=[{"account_id": "a", "customer_since": "2024-01-01"}],
        subscriptions=[
            _subscription("1", "a", "2024-01-01", tier="Gold", seats=10, arr=50_000.0),
            _subscription("2", "a", "2024-01-01", tier="Bronze", seats=10, arr=5_000.0),
        ],
    )
    assert order_tiers(export) == ["Gold", "Bronze"]


def test_tier_missing_from_order_raises(make_export):
    export = make_export(
        "2024-12-31",
        tier_order=["Basic"],
        accounts=[{"account_id": "a", "customer_since": "2024-01-01"}],
        subscriptions=[_subscription("1", "a", "2024-01-01", tier="Platinum")],
    )
    with pytest.raises(InputError, match=r"tier\(s\) \['Platinum'\] .* add them to tier_order"):
        order_tiers(export)


def test_named_core_product(make_export):
    # Every product named: the product of the account's first paid period is its core.
    export = make_export(
        "2024-12-31",
        accounts=[{"account_id": a, "customer_since": "2024-01-01"} for a in ("a", "b")],
        subscriptions=[
            _subscription("1", "a", "2024-01-01", seats=7, product="core"),
            _subscription("2", "b", "2024-01-01", seats=3, product="core"),
            _subscription("3", "a", "2024-01-01", tier="Addon", seats=50, product="sso"),
        ],
    )
    frame = build_scoring_frame(export, Config(), pd.Timestamp("2024-06-01")).set_index(
        "account_id"
    )
    assert frame.loc["a", "seats"] == 7.0
    assert frame.loc["a", "plan_tier"] == "Pro"
    assert frame.loc["a", "products"] == 2.0


def test_core_tie_goes_to_more_buyers(make_export):
    # Core and a dearer add-on start on the same day: the product more accounts
    # had bought by then is the core, whatever its ARR.
    export = make_export(
        "2024-12-31",
        accounts=[{"account_id": a, "customer_since": "2024-01-01"} for a in ("a", "b")],
        subscriptions=[
            _subscription("1", "b", "2024-01-01", seats=3, product="core"),
            _subscription("2", "a", "2024-03-01", seats=7, arr=1_000.0, product="core"),
            _subscription("3", "a", "2024-03-01", seats=0, arr=9_000.0, product="sso"),
        ],
    )
    frame = build_scoring_frame(export, Config(), pd.Timestamp("2024-06-01")).set_index(
        "account_id"
    )

    assert frame.loc["a", "seats"] == 7.0
    assert frame.loc["a", "plan_tier"] == "Pro"


@pytest.fixture
def contradicting(make_export):
    return make_export(
        "2024-12-31",
        accounts=[{"account_id": "a", "customer_since": "2024-02-01"}],
        subscriptions=[_subscription("s", "a", "2024-02-01", end="2024-06-30")],
        usage=[
            _usage("a", "2024-01-15", "s", count=1000),
            _usage("a", "2024-03-10", "s", count=10),
            _usage("a", "2024-06-30", "s", count=20),
            _usage("a", "2024-07-05", "s", count=3000),
            _usage("a", "2024-07-06", "s", count=3000),
        ],
        tickets=[
            {"ticket_id": "t0", "account_id": "a", "opened_at": "2024-01-20"},
            {"ticket_id": "t1", "account_id": "a", "opened_at": "2024-03-01"},
        ],
        surveys=[{"account_id": "a", "survey_date": "2024-01-25", "score": 2.0}],
    )


def test_excluded_counts_by_reason(contradicting, make_config):
    result = build_snapshots(contradicting, make_config())
    assert result.excluded == {
        USAGE_BEFORE_CUSTOMER: 1,
        USAGE_AFTER_END: 2,
        TICKET_BEFORE_CUSTOMER: 1,
        SURVEY_BEFORE_CUSTOMER: 1,
    }


def test_excluded_events_leave_features(contradicting):
    frame = build_scoring_frame(contradicting, Config(), pd.Timestamp("2024-04-01"))
    row = frame.iloc[0]
    assert row["usage_events_90d"] == 10.0
    assert row["tickets_90d"] == 1.0
    assert row["no_survey_data"] == 1.0


def test_export_without_events(make_export):
    # Only accounts and subscriptions: every activity feature is missing, not zero.
    export = make_export(
        "2024-12-31",
        accounts=[{"account_id": "a", "customer_since": "2024-01-01"}],
        subscriptions=[_subscription("s", "a", "2024-01-01")],
    )
    result = build_snapshots(export, Config(snapshots=SnapshotConfig(min_history_days=0)))
    table = result.table

    assert len(table) == 11
    assert table["usage_events_30d"].isna().all()
    assert table["active_users_30d"].isna().all()
    assert table["feature_breadth"].isna().all()
    assert (table["no_usage_data"] == 1.0).all()
    assert (table["tickets_90d"] == 0.0).all()
    assert (table["no_survey_data"] == 1.0).all()
    assert (table["arr"] == 10_000.0).all()
