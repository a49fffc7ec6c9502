"""Choose the expansion play for each account from its features and drivers.

The rules are checked in this order and the first that matches wins:

1. seat utilisation >= 85%: **add seats** (the account is running out of seats);
2. plan below the top plan tier and at least one premium or add-on feature used
   in the last 90 days: **upgrade tier** (it already reaches for the next plan);
3. Enterprise segment and feature breadth >= 50%: **cross-sell new department**
   (broad adoption in a large company makes a second team the next step);
4. top plan tier, or two or more products held: **cross-sell add-on** (there is
   no higher plan to sell, or the account already buys add-ons);
5. otherwise the pillar with the largest share of the explanation decides:
   usage **add seats**, adoption **upgrade tier** below the top tier, anything
   else **cross-sell add-on**. When every SHAP contribution is zero the shares
   are missing and no pillar leads, so the play is **cross-sell add-on** and its
   reason states that no contribution differs from zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ADD_SEATS = "add seats"
UPGRADE_TIER = "upgrade tier"
CROSS_SELL_ADD_ON = "cross-sell add-on"
NEW_DEPARTMENT = "cross-sell new department"
DEFAULT_PLAY = CROSS_SELL_ADD_ON
PLAYS = (ADD_SEATS, UPGRADE_TIER, CROSS_SELL_ADD_ON, NEW_DEPARTMENT)

SEAT_UTILISATION_MIN = 0.85
BROAD_ADOPTION_MIN = 0.50
MANY_PRODUCTS_MIN = 2
ENTERPRISE_SEGMENT = "enterprise"


def top_plan_tier(features: pd.DataFrame, tier_order: list[str] | None) -> str | None:
    """Return the highest plan tier: the last of ``tier_order``, else the highest ARR per seat.

    ``tier_order`` lists tiers from lowest to highest (the feature stage's
    ``order_tiers``). Without it, tiers are ranked by their median ARR per
    purchased seat among the scored accounts, the same idea as ordering plans
    by price.
    """
    if tier_order:
        return tier_order[-1]
    if "plan_tier" not in features or features["plan_tier"].dropna().empty:
        return None

    price = features["arr"].astype("float64") / features["seats"].astype("float64").where(
        features["seats"] > 0
    )
    by_tier = price.groupby(features["plan_tier"].astype("string")).median().dropna()
    if by_tier.empty:
        return None
    return str(by_tier.sort_index().idxmax())


def _numeric(features: pd.DataFrame, column: str) -> pd.Series:
    if column not in features:
        return pd.Series(np.nan, index=features.index)
    return features[column].astype("float64")


def _text(features: pd.DataFrame, column: str) -> pd.Series:
    if column not in features:
        return pd.Series(pd.NA, index=features.index, dtype="string")
    return features[column].astype("string")


def choose_plays(
    features: pd.DataFrame, shares: pd.DataFrame, top_tier: str | None
) -> pd.DataFrame:
    """Return ``play`` and ``play_reason`` per account by the rules in the module docstring.

    ``features`` contains raw feature values, ``shares`` the pillar shares from
    :func:`expansion_propensity.scoring.drivers.pillar_shares`, row-aligned.
    """
    utilisation = _numeric(features, "seat_utilisation")
    premium = _numeric(features, "premium_features_90d")
    breadth = _numeric(features, "feature_breadth")
    products = _numeric(features, "products")
    plan = _text(features, "plan_tier")
    segment = _text(features, "segment").str.lower()

    on_top_tier = (plan == top_tier).fillna(False) if top_tier is not None else plan.isna()
    below_top_tier = plan.notna() & ~on_top_tier

    # Fallback: the pillar with the largest share of the explanation. Missing
    # shares compare as False, so a row without an explanation matches neither pillar rule.
    unexplained = shares.isna().all(axis=1)
    usage_leads = shares["share_usage"] >= shares[["share_adoption", "share_tenure"]].max(axis=1)
    usage_leads &= shares["share_usage"] >= shares[["share_health", "share_context"]].max(axis=1)
    adoption_leads = ~usage_leads & (
        shares["share_adoption"]
        >= shares[["share_tenure", "share_health", "share_context"]].max(axis=1)
    )

    rules = [
        (
            (utilisation >= SEAT_UTILISATION_MIN).fillna(False),
            ADD_SEATS,
            f"seat utilisation at or above {SEAT_UTILISATION_MIN:.0%}",
        ),
        (
            below_top_tier & (premium > 0).fillna(False),
            UPGRADE_TIER,
            "plan below the top tier and premium features used in the last 90 days",
        ),
        (
            (segment == ENTERPRISE_SEGMENT).fillna(False)
            & (breadth >= BROAD_ADOPTION_MIN).fillna(False),
            NEW_DEPARTMENT,
            f"Enterprise segment with feature breadth at or above {BROAD_ADOPTION_MIN:.0%}",
        ),
        (
            on_top_tier | (products >= MANY_PRODUCTS_MIN).fillna(False),
            CROSS_SELL_ADD_ON,
            f"top plan tier or at least {MANY_PRODUCTS_MIN} products held",
        ),
        (
            unexplained,
            DEFAULT_PLAY,
            "no rule matched and every SHAP contribution is zero, so no pillar leads; default play",
        ),
        (usage_leads, ADD_SEATS, "usage has the largest share of the explanation"),
        (
            adoption_leads & below_top_tier,
            UPGRADE_TIER,
            "adoption has the largest share of the explanation and the plan is below the top tier",
        ),
    ]

    play = pd.Series(DEFAULT_PLAY, index=features.index, dtype="string")
    reason = pd.Series("no specific signal; default play", index=features.index, dtype="string")

    # Apply the rules from last to first so the earliest matching rule is the one kept.
    for matched, name, text in reversed(rules):
        matched = matched.to_numpy(dtype=bool)
        play = play.mask(matched, name)
        reason = reason.mask(matched, text)

    return pd.DataFrame({"play": play, "play_reason": reason})
