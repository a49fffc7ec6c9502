"""The feature registry: every model feature, its pillar, meaning and unit.

Explanations, docs and the weighted-formula baseline all read this list, so a
feature is described once. ``direction`` sets whether a higher value should
raise (+1) or lower (-1) the formula's pillar score; 0 keeps it out of the
formula (context features and missing-data indicators).
"""

from __future__ import annotations

from dataclasses import dataclass

PILLARS = ("tenure", "usage", "adoption", "health", "context")
FORMULA_PILLARS = ("tenure", "usage", "adoption", "health")

NUMERIC = "numeric"
CATEGORICAL = "categorical"
INDICATOR = "indicator"


@dataclass(frozen=True)
class Feature:
    name: str
    pillar: str
    description: str
    unit: str
    direction: int = 0
    kind: str = NUMERIC

    @property
    def in_formula(self) -> bool:
        return self.direction != 0 and self.pillar in FORMULA_PILLARS


FEATURES: tuple[Feature, ...] = (
    # Tenure
    Feature("tenure_months", "tenure", "months as a paying customer", "months", +1),
    Feature(
        "months_since_plan_change",
        "tenure",
        "months since the last change of plan, seats or products",
        "months",
        +1,
    ),
    Feature("days_to_renewal", "tenure", "days until the current term renews", "days", -1),
    # Usage
    Feature("usage_events_30d", "usage", "feature events in the last 30 days", "events", +1),
    Feature("usage_events_90d", "usage", "feature events in the last 90 days", "events", +1),
    Feature(
        "usage_trend",
        "usage",
        "events in the last 30 days over the monthly average of the 60 days before",
        "ratio",
        +1,
    ),
    Feature("active_users_30d", "usage", "active users in the last 30 days", "users", +1),
    Feature(
        "seat_utilisation",
        "usage",
        "seat utilisation: active users over purchased seats",
        "share",
        +1,
    ),
    Feature(
        "no_usage_data",
        "usage",
        "no usage recorded before the snapshot",
        "flag",
        0,
        INDICATOR,
    ),
    # Adoption
    Feature(
        "feature_breadth",
        "adoption",
        "share of the feature catalogue used in the last 90 days",
        "share",
        +1,
    ),
    Feature(
        "feature_depth",
        "adoption",
        "events per feature used in the last 90 days",
        "events/feature",
        +1,
    ),
    Feature(
        "new_features_90d",
        "adoption",
        "features used for the first time in the last 90 days",
        "features",
        +1,
    ),
    Feature(
        "premium_features_90d",
        "adoption",
        "premium or add-on features used in the last 90 days",
        "features",
        +1,
    ),
    # Health
    Feature("tickets_90d", "health", "support tickets opened in the last 90 days", "tickets", -1),
    Feature(
        "urgent_tickets_90d",
        "health",
        "high or urgent priority tickets in the last 90 days",
        "tickets",
        -1,
    ),
    Feature(
        "median_resolution_hours",
        "health",
        "median resolution time of tickets in the last 180 days",
        "hours",
        -1,
    ),
    Feature(
        "ticket_satisfaction",
        "health",
        "mean ticket satisfaction in the last 180 days",
        "score 1-5",
        +1,
    ),
    Feature("escalations_180d", "health", "escalated tickets in the last 180 days", "tickets", -1),
    Feature("nps_latest", "health", "latest survey score", "score 0-10", +1),
    Feature(
        "error_rate_30d", "health", "errors per feature event in the last 30 days", "ratio", -1
    ),
    Feature(
        "days_since_last_activity",
        "health",
        "days since the last recorded usage",
        "days",
        -1,
    ),
    Feature(
        "no_survey_data", "health", "no survey response before the snapshot", "flag", 0, INDICATOR
    ),
    # Context, outside the formula
    Feature("segment", "context", "customer segment", "", 0, CATEGORICAL),
    Feature("plan_tier", "context", "current plan tier", "", 0, CATEGORICAL),
    Feature("industry", "context", "industry", "", 0, CATEGORICAL),
    Feature("arr", "context", "current annual recurring revenue (ACV)", "currency/year", 0),
    Feature("seats", "context", "purchased seats", "seats", 0),
    Feature("products", "context", "products and add-ons held", "products", 0),
    Feature("prior_expansions", "context", "expansions before the snapshot", "expansions", 0),
)

_BY_NAME = {feature.name: feature for feature in FEATURES}


def get(name: str) -> Feature:
    """Return the registry entry for ``name``; raise KeyError naming the known features."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(
            f"feature {name!r} is not in the registry; known features: {sorted(_BY_NAME)}"
        ) from None


def feature_names() -> list[str]:
    """Return every model feature in registry order (the model's column order)."""
    return [feature.name for feature in FEATURES]


def categorical_features() -> list[str]:
    return [feature.name for feature in FEATURES if feature.kind == CATEGORICAL]


def pillar_of(name: str) -> str:
    return get(name).pillar


def formula_features(pillar: str) -> list[Feature]:
    """Return the features that make up a formula pillar's component score."""
    if pillar not in FORMULA_PILLARS:
        raise ValueError(
            f"pillar {pillar!r} is not a formula pillar; expected one of {FORMULA_PILLARS}"
        )
    return [feature for feature in FEATURES if feature.pillar == pillar and feature.in_formula]
