"""Feature values on a tiny export, against values computed by hand.

The snapshot is 2024-07-01: the last 30 days are [2024-06-01, 2024-07-01) and
the last 90 days are [2024-04-02, 2024-07-01).
"""

from __future__ import annotations

import pandas as pd
import pytest

from expansion_propensity.config import Config
from expansion_propensity.features import build_scoring_frame
from expansion_propensity.features.registry import feature_names

SNAPSHOT = pd.Timestamp("2024-07-01")

ACCOUNTS = [
    {"account_id": "a", "customer_since": "2023-08-01", "segment": "SMB", "industry": "Retail"},
    {"account_id": "b", "customer_since": "2023-08-01"},
    {"account_id": "quiet", "customer_since": "2024-01-01", "segment": "Enterprise"},
]
SUBSCRIPTIONS = [
    {
        "subscription_id": "a-core",
        "account_id": "a",
        "start_date": "2023-08-01",
        "plan_tier": "Pro",
        "seats": 10,
        "arr": 12_000.0,
    },
    {
        "subscription_id": "a-sso",
        "account_id": "a",
        "start_date": "2024-01-15",
        "end_date": "2024-06-15",
        "plan_tier": "Pro",
        "seats": 0,
        "arr": 2_000.0,
        "product": "sso",
    },
    {
        "subscription_id": "a-analytics",
        "account_id": "a",
        "start_date": "2024-06-15",
        "plan_tier": "Pro",
        "seats": 0,
        "arr": 3_000.0,
        "product": "analytics",
    },
    {
        "subscription_id": "b-core",
        "account_id": "b",
        "start_date": "2023-08-01",
        "plan_tier": "Basic",
        "seats": 5,
        "arr": 5_000.0,
    },
    {
        "subscription_id": "quiet-core",
        "account_id": "quiet",
        "start_date": "2024-01-01",
        "plan_tier": "Basic",
        "seats": 3,
        "arr": 3_000.0,
    },
]
USAGE = [
    {
        "account_id": "a",
        "usage_date": "2024-06-20",
        "feature": "f1",
        "usage_count": 10,
        "error_count": 1,
        "active_users": 4,
        "is_premium": False,
    },
    {
        "account_id": "a",
        "usage_date": "2024-06-25",
        "feature": "f2",
        "usage_count": 30,
        "error_count": 0,
        "active_users": 6,
        "is_premium": True,
    },
    {
        "account_id": "a",
        "usage_date": "2024-05-10",
        "feature": "f1",
        "usage_count": 20,
        "active_users": 3,
        "is_premium": False,
    },
    {
        "account_id": "a",
        "usage_date": "2024-03-01",
        "feature": "f3",
        "usage_count": 40,
        "active_users": 2,
        "is_premium": False,
    },
    # On the snapshot day: invisible to the snapshot.
    {"account_id": "a", "usage_date": "2024-07-01", "feature": "f1", "usage_count": 99},
    {"account_id": "b", "usage_date": "2024-02-01", "feature": "f4", "usage_count": 5},
]
TICKETS = [
    {
        "ticket_id": "t1",
        "account_id": "a",
        "opened_at": "2024-06-01",
        "closed_at": "2024-06-03",
        "priority": "urgent",
        "resolution_hours": 48.0,
        "satisfaction": 4.0,
        "escalated": True,
    },
    {
        "ticket_id": "t2",
        "account_id": "a",
        "opened_at": "2024-03-15",
        "closed_at": "2024-03-16",
        "priority": "low",
        "resolution_hours": 10.0,
        "satisfaction": 2.0,
        "escalated": False,
    },
    # Still open: counted, but its outcome is unknown.
    {"ticket_id": "t3", "account_id": "a", "opened_at": "2024-06-28", "priority": "medium"},
    # Resolved after the snapshot: counted, outcome not yet known at the snapshot.
    {
        "ticket_id": "t4",
        "account_id": "a",
        "opened_at": "2024-06-29",
        "closed_at": "2024-07-02",
        "priority": "High",
        "resolution_hours": 72.0,
        "satisfaction": 1.0,
        "escalated": True,
    },
]
SURVEYS = [
    {"account_id": "a", "survey_date": "2024-05-01", "score": 6.0, "survey_type": "nps"},
    {"account_id": "a", "survey_date": "2024-06-15", "score": 4.0, "survey_type": "csat"},
    {"account_id": "a", "survey_date": "2024-07-01", "score": 10.0, "survey_type": "nps"},
]  # fmt: skip

EXPECTED_A = {
    # Tenure: 335 days since 2023-08-01; the last change is 2024-06-15.
    "tenure_months": 335 / (365.25 / 12),
    "months_since_plan_change": 16 / (365.25 / 12),
    "days_to_renewal": 30.0,
    # Usage: 40 events in 30 days, 60 in 90; 20 in the 60 days before the last 30.
    "usage_events_30d": 40.0,
    "usage_events_90d": 60.0,
    "usage_trend": 40 / (20 / 2),
    "active_users_30d": 6.0,
    "seat_utilisation": 0.6,
    "no_usage_data": 0.0,
    # Adoption: f1 and f2 of the four features known before the snapshot.
    "feature_breadth": 0.5,
    "feature_depth": 30.0,
    "new_features_90d": 2.0,
    "premium_features_90d": 1.0,
    # Health: t1, t3 and t4 opened in 90 days; t1 and t2 resolved in 180 days.
    "tickets_90d": 3.0,
    "urgent_tickets_90d": 2.0,
    "median_resolution_hours": 29.0,
    "ticket_satisfaction": 3.0,
    "escalations_180d": 1.0,
    "nps_latest": 7.5,
    "error_rate_30d": 1 / 40,
    "days_since_last_activity": 6.0,
    "no_survey_data": 0.0,
    # Context: core Pro plus the analytics add-on; sso ended on 2024-06-15.
    "arr": 15_000.0,
    "seats": 10.0,
    "products": 2.0,
    "prior_expansions": 1.0,
}


@pytest.fixture
def scored(make_export) -> pd.DataFrame:
    export = make_export(
        "2024-07-01",
        tier_order=["Basic", "Pro"],
        accounts=ACCOUNTS,
        subscriptions=SUBSCRIPTIONS,
        usage=USAGE,
        tickets=TICKETS,
        surveys=SURVEYS,
    )
    return build_scoring_frame(export, Config(), SNAPSHOT).set_index("account_id")


@pytest.mark.parametrize("name", list(EXPECTED_A))
def test_feature_value_by_hand(scored, name):
    assert scored.loc["a", name] == pytest.approx(EXPECTED_A[name], rel=1e-9)


def test_context_categories(scored):
    assert scored.loc["a", "plan_tier"] == "Pro"
    assert scored.loc["a", "segment"] == "SMB"
    assert scored.loc["a", "industry"] == "Retail"
    assert pd.isna(scored.loc["b", "segment"])
    assert scored["plan_tier"].dtype == "string"


def test_scoring_frame_columns(scored):
    assert list(scored.reset_index().columns) == ["account_id", "snapshot_date", *feature_names()]
    assert list(scored.index) == ["a", "b", "quiet"]
    assert (scored["snapshot_date"] == SNAPSHOT).all()


USAGE_FEATURES = [
    "usage_events_30d",
    "usage_events_90d",
    "usage_trend",
    "active_users_30d",
    "seat_utilisation",
    "feature_breadth",
    "feature_depth",
    "new_features_90d",
    "premium_features_90d",
    "error_rate_30d",
    "days_since_last_activity",
]


@pytest.mark.parametrize("name", USAGE_FEATURES)
def test_missing_usage_is_nan(scored, name):
    assert pd.isna(scored.loc["quiet", name])


def test_missing_usage_sets_indicator(scored):
    assert scored.loc["quiet", "no_usage_data"] == 1.0
    assert scored.loc["b", "no_usage_data"] == 0.0


def test_no_tickets_is_zero_count(scored):
    assert scored.loc["quiet", "tickets_90d"] == 0.0
    assert scored.loc["quiet", "escalations_180d"] == 0.0
    assert pd.isna(scored.loc["quiet", "median_resolution_hours"])
    assert pd.isna(scored.loc["quiet", "ticket_satisfaction"])


def test_missing_survey_is_nan(scored):
    assert pd.isna(scored.loc["quiet", "nps_latest"])
    assert scored.loc["quiet", "no_survey_data"] == 1.0


def test_usage_history_without_recent_use(scored):
    # b used f4 on 2024-02-01 only: real zeros in the windows, ratios undefined.
    assert scored.loc["b", "usage_events_30d"] == 0.0
    assert scored.loc["b", "feature_breadth"] == 0.0
    assert pd.isna(scored.loc["b", "feature_depth"])
    assert (
        scored.loc["b", "days_since_last_activity"] == (SNAPSHOT - pd.Timestamp("2024-02-01")).days
    )
