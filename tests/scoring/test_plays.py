import numpy as np
import pandas as pd
import pytest

from expansion_propensity.scoring.plays import (
    ADD_SEATS,
    CROSS_SELL_ADD_ON,
    NEW_DEPARTMENT,
    UPGRADE_TIER,
    choose_plays,
    top_plan_tier,
)


def shares(usage=0.2, adoption=0.2, tenure=0.2, health=0.2, context=0.2):
    return pd.DataFrame(
        {
            "share_tenure": [tenure],
            "share_usage": [usage],
            "share_adoption": [adoption],
            "share_health": [health],
            "share_context": [context],
        }
    )


def account(**values):
    base = {
        "seat_utilisation": 0.5,
        "premium_features_90d": 0.0,
        "feature_breadth": 0.2,
        "products": 1.0,
        "plan_tier": "Pro",
        "segment": "SMB",
    }
    base.update(values)
    return pd.DataFrame({key: [value] for key, value in base.items()})


@pytest.mark.parametrize(
    ("values", "pillar_shares", "expected"),
    [
        ({"seat_utilisation": 0.97}, {}, ADD_SEATS),
        ({"seat_utilisation": 0.85}, {}, ADD_SEATS),
        ({"seat_utilisation": 0.97, "premium_features_90d": 3.0}, {}, ADD_SEATS),
        ({"premium_features_90d": 2.0}, {}, UPGRADE_TIER),
        ({"premium_features_90d": 2.0, "plan_tier": "Enterprise"}, {}, CROSS_SELL_ADD_ON),
        (
            {"segment": "Enterprise", "feature_breadth": 0.6, "plan_tier": "Enterprise"},
            {},
            NEW_DEPARTMENT,
        ),
        (
            {"segment": "Enterprise", "feature_breadth": 0.3, "plan_tier": "Enterprise"},
            {},
            CROSS_SELL_ADD_ON,
        ),
        ({"products": 3.0}, {}, CROSS_SELL_ADD_ON),
        ({}, {"usage": 0.6}, ADD_SEATS),
        ({}, {"adoption": 0.6}, UPGRADE_TIER),
        ({}, {"health": 0.6}, CROSS_SELL_ADD_ON),
        ({"seat_utilisation": np.nan}, {"context": 0.6}, CROSS_SELL_ADD_ON),
    ],
    ids=[
        "high-utilisation",
        "utilisation-threshold",
        "seats-before-upgrade",
        "premium-below-top",
        "premium-on-top-tier",
        "enterprise-broad",
        "enterprise-narrow-top-tier",
        "many-products",
        "usage-leads",
        "adoption-leads",
        "health-leads",
        "missing-utilisation",
    ],
)
def test_play_rules(values, pillar_shares, expected):
    result = choose_plays(account(**values), shares(**pillar_shares), top_tier="Enterprise")

    assert result.loc[0, "play"] == expected
    assert len(result.loc[0, "play_reason"]) > 0


def test_play_reason_names_rule():
    result = choose_plays(account(seat_utilisation=0.9), shares(), top_tier="Enterprise")

    assert result.loc[0, "play_reason"] == "seat utilisation at or above 85%"


def test_top_tier_from_export_order():
    features = account()

    assert top_plan_tier(features, ["Basic", "Pro", "Premium"]) == "Premium"


def test_top_tier_by_price_per_seat():
    features = pd.DataFrame(
        {
            "plan_tier": ["Basic", "Basic", "Pro", "Pro", "Max"],
            "arr": [1_000.0, 2_000.0, 10_000.0, 12_000.0, 3_000.0],
            "seats": [10.0, 20.0, 10.0, 12.0, 1.0],
        }
    )

    assert top_plan_tier(features, None) == "Max"


def test_top_tier_without_plans():
    features = pd.DataFrame({"plan_tier": pd.Series([None, None], dtype="string")})

    assert top_plan_tier(features, None) is None


def test_no_explanation_uses_default_play():
    missing = shares(usage=np.nan, adoption=np.nan, tenure=np.nan, health=np.nan, context=np.nan)

    result = choose_plays(account(), missing, top_tier="Enterprise")

    assert result.loc[0, "play"] == CROSS_SELL_ADD_ON
    assert "every SHAP contribution is zero" in result.loc[0, "play_reason"]
    assert "largest share" not in result.loc[0, "play_reason"]


def test_no_explanation_keeps_earlier_rules():
    missing = shares(usage=np.nan, adoption=np.nan, tenure=np.nan, health=np.nan, context=np.nan)

    result = choose_plays(account(seat_utilisation=0.9), missing, top_tier="Enterprise")

    assert result.loc[0, "play"] == ADD_SEATS
    assert result.loc[0, "play_reason"] == "seat utilisation at or above 85%"
