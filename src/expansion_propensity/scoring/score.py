"""Score a feature frame with a model bundle: propensity, value, tier, play and drivers.

Everything here works on frames in memory.
:mod:`expansion_propensity.scoring.run` loads the inputs and writes the files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from expansion_propensity.config import Config
from expansion_propensity.scoring.checks import (
    count_missing_feature_groups,
    count_unseen_categories,
    require_features,
    require_unique_accounts,
)
from expansion_propensity.scoring.drivers import (
    DRIVER_COLUMNS,
    SHARE_COLUMNS,
    driver_columns,
    pillar_shares,
)
from expansion_propensity.scoring.explain import check_additivity, explain
from expansion_propensity.scoring.notices import is_constant
from expansion_propensity.scoring.plays import choose_plays
from expansion_propensity.scoring.tiers import assign_tiers

logger = logging.getLogger(__name__)

FORMULA_COLUMNS = {
    "expansion_score": "expansion_score",
    "tenure": "tenure_score",
    "usage": "usage_score",
    "adoption": "adoption_score",
    "health": "health_score",
    "baseline_probability": "baseline_probability",
}

SCORE_COLUMNS = [
    "account_id",
    "account_name",
    "as_of",
    "arr",
    *FORMULA_COLUMNS.values(),
    "propensity",
    "rank",
    "percentile",
    "expansion_potential",
    "expected_value",
    "tier",
    "tier_reason",
    "effort",
    "play",
    "play_reason",
    *DRIVER_COLUMNS,
    "share_tenure",
    "share_usage",
    "share_adoption",
    "share_health",
    "share_context",
    "stakeholders",
    "model_version",
    "run_id",
]

# Decimals per column in scores.csv only, because a spreadsheet shows every digit
# of a float. The Parquet file keeps full precision.
CSV_DECIMALS = {
    **dict.fromkeys(["propensity", "baseline_probability", "percentile"], 4),
    **dict.fromkeys(SHARE_COLUMNS, 4),
    **dict.fromkeys([column for column in FORMULA_COLUMNS.values() if column.endswith("score")], 2),
    **dict.fromkeys(["arr", "expansion_potential", "expected_value"], 2),
}


@dataclass
class ScoringResult:
    """Scores, one row per account sorted by rank, and the checks' findings."""

    scores: pd.DataFrame
    unseen_categories: dict[str, dict[str, int]] = field(default_factory=dict)
    missing_feature_groups: dict[str, int] = field(default_factory=dict)
    additivity_error: float = 0.0
    negative_potential_clipped: int = 0
    # A constant propensity means the model ranks nothing. When the raw score is
    # constant too, ranks follow account id alone.
    constant_propensity: bool = False
    constant_raw_score: bool = False


def _account_names(account_ids: pd.Series, accounts: pd.DataFrame | None) -> pd.Series:
    """Look up display names, falling back to the account id when a name is empty."""
    ids = account_ids.astype("string")
    if accounts is None or "account_name" not in accounts:
        return ids

    lookup = accounts.drop_duplicates("account_id").set_index("account_id")["account_name"]
    lookup.index = lookup.index.astype("string")
    names = ids.map(lookup).astype("string")
    return names.where(names.notna() & (names.str.strip() != ""), ids)


def _potential(bundle, features: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Predict the expansion potential, clipping negatives to 0 because an expansion adds ARR."""
    potential = np.asarray(bundle.predict_potential(features), dtype="float64")
    negative = int((potential < 0).sum())
    if negative:
        logger.warning("%d potential prediction(s) below 0 were set to 0", negative)
    return np.clip(potential, 0.0, None), negative


def score_accounts(
    bundle,
    features: pd.DataFrame,
    config: Config,
    as_of: pd.Timestamp,
    model_info: dict,
    accounts: pd.DataFrame | None = None,
    top_tier: str | None = None,
    console=None,
) -> ScoringResult:
    """Score every row of ``features`` (one per account) with ``bundle``.

    ``features`` contains ``account_id`` and the model's feature columns with plain
    strings for categoricals. ``accounts`` supplies display names, ``top_tier``
    the highest plan tier for the play rules. Raises ModelError when a feature
    the model needs is absent or the SHAP values do not add up to the raw score.
    """
    required = ["account_id", "arr"]
    require_features(features, required + [c for c in bundle.feature_columns if c not in required])
    require_unique_accounts(features)
    features = features.reset_index(drop=True)
    unseen = count_unseen_categories(bundle, features)
    missing_groups = count_missing_feature_groups(features)

    # Model outputs, all row-aligned with the features.
    propensity = pd.Series(np.asarray(bundle.predict_proba(features), dtype="float64"))
    contributions = explain(bundle, features, console=console)
    raw_score = pd.Series(np.asarray(bundle.raw_score(features), dtype="float64"))
    error = check_additivity(contributions, raw_score.to_numpy())
    formula = bundle.formula(features).reset_index(drop=True)
    potential, clipped = _potential(bundle, features)

    scores = pd.DataFrame(
        {
            "account_id": features["account_id"].astype("string"),
            "account_name": _account_names(features["account_id"], accounts),
            "as_of": pd.Timestamp(as_of).normalize(),
            "arr": features["arr"].astype("float64"),
        }
    )
    for source, target in FORMULA_COLUMNS.items():
        scores[target] = formula[source].astype("float64")
    scores["propensity"] = propensity
    scores["expansion_potential"] = potential
    scores["expected_value"] = propensity * potential

    # Tiering, plays and drivers.
    tiers = assign_tiers(
        scores["propensity"],
        scores["arr"],
        scores["expansion_potential"],
        scores["account_id"],
        config.tiers,
        raw_score,
    )
    shares = pillar_shares(contributions)
    plays = choose_plays(features, shares, top_tier)
    drivers = driver_columns(features, contributions)
    scores = pd.concat([scores, tiers, plays, drivers, shares], axis=1)
    scores["model_version"] = pd.Series(
        str(model_info.get("model_version") or ""), index=scores.index, dtype="string"
    )
    scores["run_id"] = pd.Series(
        str(model_info.get("run_id") or ""), index=scores.index, dtype="string"
    )

    scores = scores[SCORE_COLUMNS].sort_values("rank", kind="mergesort").reset_index(drop=True)
    return ScoringResult(
        scores,
        unseen,
        missing_groups,
        error,
        clipped,
        constant_propensity=is_constant(propensity),
        constant_raw_score=is_constant(raw_score),
    )
