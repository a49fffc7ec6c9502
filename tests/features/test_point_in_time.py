"""Features of a snapshot never see events dated on or after the snapshot date."""

from __future__ import annotations

import pandas as pd
import pytest

from expansion_propensity.features import build_scoring_frame, build_snapshots
from expansion_propensity.features.registry import feature_names

EVENT_DAY = "2024-05-01"  # a snapshot date
LATER_DAY = "2024-05-20"  # between snapshot dates

ACCOUNTS = [
    {"account_id": "a", "customer_since": "2023-06-01", "segment": "SMB"},
    {"account_id": "b", "customer_since": "2023-06-01", "segment": "Enterprise"},
]
SUBSCRIPTIONS = [
    {
        "subscription_id": "a1",
        "account_id": "a",
        "start_date": "2023-06-01",
        "plan_tier": "Basic",
        "seats": 10,
        "arr": 10_000.0,
    },
    {
        "subscription_id": "b1",
        "account_id": "b",
        "start_date": "2023-06-01",
        "plan_tier": "Pro",
        "seats": 20,
        "arr": 40_000.0,
    },
]
USAGE = [
    {
        "account_id": account,
        "usage_date": day,
        "feature": feature,
        "usage_count": 10,
        "error_count": 1,
        "active_users": 3,
        "is_premium": feature == "f2",
    }
    for account in ("a", "b")
    for day in ("2024-01-05", "2024-02-10", "2024-03-15", "2024-04-20")
    for feature in ("f1", "f2")
]
TICKETS = [
    {
        "ticket_id": "t1",
        "account_id": "a",
        "opened_at": "2024-04-10",
        "closed_at": "2024-04-12",
        "priority": "high",
        "resolution_hours": 40.0,
        "satisfaction": 3.0,
        "escalated": False,
    },
]
SURVEYS = [{"account_id": "a", "survey_date": "2024-03-01", "score": 8.0}]  # fmt: skip


def _usage(day: str, feature: str = "f1") -> dict:
    return {"account_id": "a", "usage_date": day, "feature": feature, "usage_count": 500,
            "error_count": 50, "active_users": 9, "is_premium": True}  # fmt: skip


def _ticket(opened: str, closed: str | None) -> dict:
    return {"ticket_id": "new", "account_id": "a", "opened_at": opened, "closed_at": closed,
            "priority": "urgent", "resolution_hours": 2.0, "satisfaction": 5.0,
            "escalated": True}  # fmt: skip


# Each case: the table name, rows to add, and rows of the base to replace (by key).
ADDITIONS = {
    "usage_on_snapshot_day": ("usage", [_usage(EVENT_DAY)]),
    "usage_after_snapshot": ("usage", [_usage(LATER_DAY)]),
    "usage_new_feature_on_snapshot_day": ("usage", [_usage(EVENT_DAY, "brand_new")]),
    "ticket_on_snapshot_day": ("tickets", [_ticket(EVENT_DAY, LATER_DAY)]),
    "ticket_after_snapshot": ("tickets", [_ticket(LATER_DAY, None)]),
    "survey_on_snapshot_day": ("surveys", [{"account_id": "a", "survey_date": EVENT_DAY,
                                           "score": 1.0}]),
    "new_product_on_snapshot_day": ("subscriptions", [
        {"subscription_id": "a2", "account_id": "a", "start_date": EVENT_DAY,
         "plan_tier": "Pro", "seats": 5, "arr": 9_000.0, "product": "analytics"}]),
    "new_account_on_snapshot_day": ("subscriptions", [
        {"subscription_id": "c1", "account_id": "c", "start_date": EVENT_DAY,
         "plan_tier": "Pro", "seats": 5, "arr": 9_000.0}]),
    "churn_on_snapshot_day": ("churn_events", [{"account_id": "b", "churn_date": EVENT_DAY}]),
}  # fmt: skip


def _export(make_export, base_usage=USAGE, **changes):
    rows = {
        "accounts": ACCOUNTS + [{"account_id": "c", "customer_since": EVENT_DAY}],
        "subscriptions": list(SUBSCRIPTIONS),
        "usage": list(base_usage),
        "tickets": list(TICKETS),
        "surveys": list(SURVEYS),
        "churn_events": [],
    }
    for table, added in changes.items():
        rows[table] = rows[table] + added
    return make_export("2024-09-30", tier_order=["Basic", "Pro"], **rows)


def _features_up_to_event(export, config) -> pd.DataFrame:
    table = build_snapshots(export, config).table
    visible = table[table["snapshot_date"] <= EVENT_DAY]
    return visible[["account_id", "snapshot_date", *feature_names()]].reset_index(drop=True)


@pytest.mark.parametrize("case", list(ADDITIONS), ids=list(ADDITIONS))
def test_later_event_changes_no_feature(make_export, make_config, case):
    table, added = ADDITIONS[case]
    config = make_config(min_history_days=60)
    before = _features_up_to_event(_export(make_export), config)
    after = _features_up_to_event(_export(make_export, **{table: added}), config)

    assert before["snapshot_date"].max() == pd.Timestamp(EVENT_DAY)
    pd.testing.assert_frame_equal(before, after)


def test_plan_change_on_snapshot_day(make_export, make_config):
    # An upgrade recorded the usual way: the old period ends the day the new one starts.
    config = make_config(min_history_days=60)
    before = _features_up_to_event(_export(make_export), config)
    upgraded = _export(
        make_export,
        subscriptions=[
            {"subscription_id": "a1b", "account_id": "a", "start_date": EVENT_DAY,
             "plan_tier": "Pro", "seats": 20, "arr": 30_000.0}
        ],
    )  # fmt: skip
    upgraded.subscriptions.loc[upgraded.subscriptions["subscription_id"] == "a1", "end_date"] = (
        pd.Timestamp(EVENT_DAY)
    )
    after = _features_up_to_event(upgraded, config)

    pd.testing.assert_frame_equal(before, after)


def test_earlier_event_does_change_features(make_export, make_config):
    # The comparison above can fail: the same usage a day before the snapshot shows up.
    config = make_config(min_history_days=60)
    before = _features_up_to_event(_export(make_export), config)
    after = _features_up_to_event(_export(make_export, usage=[_usage("2024-04-30")]), config)

    changed = after.loc[after["snapshot_date"] == EVENT_DAY].set_index("account_id")
    assert changed.loc["a", "usage_events_30d"] == 520.0
    assert not before.equals(after)


def test_later_subscription_keeps_earlier_usage(make_export, make_config):
    # The snapshot counts usage filed under a subscription it does not know yet.
    # Recording that subscription's later start must not remove the usage.
    config = make_config(min_history_days=60)
    usage = [{**_usage("2024-04-25"), "subscription_id": "a3"}]
    later = [
        {"subscription_id": "a3", "account_id": "a", "start_date": LATER_DAY,
         "plan_tier": "Pro", "seats": 10, "arr": 12_000.0}
    ]  # fmt: skip
    before = _features_up_to_event(_export(make_export, usage=usage), config)
    after = _features_up_to_event(_export(make_export, usage=usage, subscriptions=later), config)

    assert before.loc[before["snapshot_date"] == EVENT_DAY, "usage_events_30d"].max() == 520.0
    pd.testing.assert_frame_equal(before, after)


def test_later_add_on_buyers_keep_core(make_export, make_config):
    # Every product is named. Accounts that buy only the add-on after the
    # snapshot make it the most held product, yet the core of earlier snapshots stays.
    def period(sub_id, account, start, product, seats, arr):
        return {"subscription_id": sub_id, "account_id": account, "start_date": start,
                "plan_tier": "Pro", "seats": seats, "arr": arr, "product": product}  # fmt: skip

    rows = {
        "accounts": [{"account_id": x, "customer_since": "2024-01-01"} for x in "abcdef"],
        "usage": [
            {"account_id": "a", "usage_date": "2024-01-02", "feature": "f1", "usage_count": 1}
        ],  # fmt: skip
    }
    bought_before = [
        period("a1", "a", "2024-01-01", "core", 10, 10_000.0),
        period("a2", "a", "2024-01-01", "analytics", 50, 5_000.0),
        period("b1", "b", "2024-01-01", "core", 20, 20_000.0),
    ]
    later = [period(f"{x}1", x, "2024-07-01", "analytics", 5, 5_000.0) for x in "cdef"]
    date = pd.Timestamp("2024-06-01")
    config = make_config()
    before = build_scoring_frame(
        make_export("2024-12-31", subscriptions=bought_before, **rows), config, date
    )
    after = build_scoring_frame(
        make_export("2024-12-31", subscriptions=bought_before + later, **rows), config, date
    )

    assert before.set_index("account_id")["seats"].to_dict() == {"a": 10.0, "b": 20.0}
    pd.testing.assert_frame_equal(before, after)


def test_columns_reported_later_stay_missing(make_export, make_config):
    # An export that starts reporting active users and premium flags after the
    # snapshot: before it, those features are missing, not a real 0.
    config = make_config(min_history_days=60)
    plain = [
        {key: value for key, value in row.items() if key not in ("active_users", "is_premium")}
        for row in USAGE
    ]
    before = _features_up_to_event(_export(make_export, base_usage=plain), config)
    after = _features_up_to_event(
        _export(make_export, base_usage=plain, usage=[_usage(LATER_DAY)]), config
    )

    assert before["active_users_30d"].isna().all()
    assert before["premium_features_90d"].isna().all()
    pd.testing.assert_frame_equal(before, after)
