"""Expansion labels on hand-built histories with known expansions."""

from __future__ import annotations

import pandas as pd
import pytest

from expansion_propensity.features import build_snapshots

# Horizon 90 days: the window of a snapshot at s is [s, s + 90 days).
# seats:    10 -> 20 Pro seats on 2024-05-10 (+10,000).
# boundary: Basic -> Pro on 2024-06-30, exactly day 90 after 2024-04-01 (+5,000).
# cross:    add-on bought on 2024-04-01, day 0 of that snapshot (+3,000).
#           Extra seats from 2024-07-15 to 2024-08-15 rise (+5,000) and fall back.
SUBSCRIPTIONS = [
    {"subscription_id": "s1", "account_id": "seats", "start_date": "2024-01-01",
     "end_date": "2024-05-10", "plan_tier": "Pro", "seats": 10, "arr": 10_000.0},
    {"subscription_id": "s2", "account_id": "seats", "start_date": "2024-05-10",
     "plan_tier": "Pro", "seats": 20, "arr": 20_000.0},
    {"subscription_id": "b1", "account_id": "boundary", "start_date": "2024-01-01",
     "end_date": "2024-06-30", "plan_tier": "Basic", "seats": 10, "arr": 10_000.0},
    {"subscription_id": "b2", "account_id": "boundary", "start_date": "2024-06-30",
     "plan_tier": "Pro", "seats": 10, "arr": 15_000.0},
    {"subscription_id": "c1", "account_id": "cross", "start_date": "2024-01-01",
     "plan_tier": "Pro", "seats": 10, "arr": 10_000.0},
    {"subscription_id": "c2", "account_id": "cross", "start_date": "2024-04-01",
     "plan_tier": "Pro", "seats": 1, "arr": 3_000.0, "product": "analytics"},
    {"subscription_id": "c3", "account_id": "cross", "start_date": "2024-07-15",
     "end_date": "2024-08-15", "plan_tier": "Pro", "seats": 5, "arr": 5_000.0},
]  # fmt: skip

# (account, snapshot) -> (label, amount, type)
EXPECTED = {
    ("seats", "2024-02-01"): (0, 0.0, "none"),
    ("seats", "2024-03-01"): (1, 10_000.0, "seats"),
    ("seats", "2024-04-01"): (1, 10_000.0, "seats"),
    ("seats", "2024-05-01"): (1, 10_000.0, "seats"),
    ("seats", "2024-06-01"): (0, 0.0, "none"),
    ("seats", "2024-07-01"): (0, 0.0, "none"),
    ("boundary", "2024-02-01"): (0, 0.0, "none"),
    ("boundary", "2024-03-01"): (0, 0.0, "none"),
    ("boundary", "2024-04-01"): (0, 0.0, "none"),
    ("boundary", "2024-05-01"): (1, 5_000.0, "upgrade"),
    ("boundary", "2024-06-01"): (1, 5_000.0, "upgrade"),
    ("boundary", "2024-07-01"): (0, 0.0, "none"),
    ("cross", "2024-02-01"): (1, 3_000.0, "cross_sell"),
    ("cross", "2024-03-01"): (1, 3_000.0, "cross_sell"),
    ("cross", "2024-04-01"): (1, 3_000.0, "cross_sell"),
    ("cross", "2024-05-01"): (1, 5_000.0, "seats"),
    ("cross", "2024-06-01"): (0, 0.0, "none"),
    ("cross", "2024-07-01"): (0, 0.0, "none"),
}


def _history(make_export, as_of: str, **extra):
    accounts = [
        {"account_id": name, "customer_since": "2024-01-01"}
        for name in ("seats", "boundary", "cross")
    ]
    # One usage row per account on 2024-01-01 starts the history there.
    usage = [
        {"account_id": name, "usage_date": "2024-01-01", "feature": "login", "usage_count": 1}
        for name in ("seats", "boundary", "cross")
    ]
    return make_export(
        as_of,
        tier_order=["Basic", "Pro"],
        accounts=accounts,
        subscriptions=SUBSCRIPTIONS + extra.pop("subscriptions", []),
        usage=usage,
        **extra,
    )


@pytest.fixture
def labelled(make_export, make_config) -> pd.DataFrame:
    # 2024-07-01 + 89 days = 2024-09-28: the last window fits the export exactly.
    export = _history(make_export, "2024-09-28")
    table = build_snapshots(export, make_config(min_history_days=31)).table
    return table.set_index(["account_id", table["snapshot_date"].dt.strftime("%Y-%m-%d")])


@pytest.mark.parametrize("key", list(EXPECTED), ids=["@".join(key) for key in EXPECTED])
def test_label_matches_known_history(labelled, key):
    label, amount, kind = EXPECTED[key]
    row = labelled.loc[key]
    assert row["label"] == label
    assert row["expansion_amount"] == amount
    assert row["expansion_type"] == kind


def test_label_dtypes(labelled):
    assert str(labelled["label"].dtype) == "Int8"
    assert labelled["expansion_amount"].dtype == "float64"
    assert labelled["expansion_type"].dtype == "string"


def test_change_on_day_zero_counts(labelled):
    # The add-on starts on 2024-04-01 itself.
    assert labelled.loc[("cross", "2024-04-01"), "label"] == 1
    assert labelled.loc[("cross", "2024-05-01"), "expansion_type"] == "seats"


def test_change_on_horizon_day_does_not_count(labelled):
    # 2024-06-30 is day 90 after 2024-04-01 and day 60 after 2024-05-01.
    assert labelled.loc[("boundary", "2024-04-01"), "label"] == 0
    assert labelled.loc[("boundary", "2024-05-01"), "label"] == 1


def test_rise_then_fall_is_not_expansion(labelled):
    assert labelled.loc[("cross", "2024-06-01"), "label"] == 0
    assert labelled.loc[("cross", "2024-06-01"), "expansion_amount"] == 0.0


def test_incomplete_horizon_has_no_label(make_export, make_config):
    # One day less of export: the 2024-07-01 window now ends after the as-of date.
    export = _history(make_export, "2024-09-27")
    table = build_snapshots(export, make_config(min_history_days=31)).table
    open_rows = table[table["snapshot_date"] >= "2024-07-01"]

    assert len(open_rows) == 9
    assert open_rows["label"].isna().all()
    assert open_rows["expansion_amount"].isna().all()
    assert open_rows["expansion_type"].isna().all()
    assert (open_rows["split"] == "score").all()
    assert table.loc[table["snapshot_date"] < "2024-07-01", "label"].notna().all()


def test_small_increase_below_threshold(make_export, make_config):
    # +900 on 10,000 is under max(10% x 10,000, 1,000) = 1,000.
    small = [{"subscription_id": "x", "account_id": "seats", "start_date": "2024-06-15",
              "plan_tier": "Pro", "seats": 1, "arr": 900.0}]  # fmt: skip
    export = _history(make_export, "2024-09-28", subscriptions=small)
    table = build_snapshots(export, make_config(min_history_days=31)).table
    row = table[(table["account_id"] == "seats") & (table["snapshot_date"] == "2024-06-01")]

    assert row["label"].iloc[0] == 0
    assert row["expansion_type"].iloc[0] == "none"


def test_churn_in_window_is_not_expansion(make_export, make_config):
    churn = [{"account_id": "seats", "churn_date": "2024-05-20"}]
    export = _history(make_export, "2024-09-28", churn_events=churn)
    table = build_snapshots(export, make_config(min_history_days=31)).table
    seats = table[table["account_id"] == "seats"].set_index("snapshot_date")

    # The +10,000 on 2024-05-10 is inside windows that also hold the churn.
    assert seats.loc["2024-03-01", "label"] == 0
    assert seats.loc["2024-05-01", "label"] == 0
    # After the churn the account leaves the snapshots.
    assert seats.index.max() == pd.Timestamp("2024-05-01")


def test_churn_on_window_end_keeps_label(make_export, make_config):
    # 2024-05-30 is day 90 after 2024-03-01: outside that window, inside the next.
    churn = [{"account_id": "seats", "churn_date": "2024-05-30"}]
    export = _history(make_export, "2024-09-28", churn_events=churn)
    table = build_snapshots(export, make_config(min_history_days=31)).table
    seats = table[table["account_id"] == "seats"].set_index("snapshot_date")

    assert seats.loc["2024-03-01", "label"] == 1
    assert seats.loc["2024-04-01", "label"] == 0
    assert seats.loc["2024-05-01", "label"] == 0
