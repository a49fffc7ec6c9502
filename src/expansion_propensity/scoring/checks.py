"""Input checks before scoring: required features, unseen categories, missing feature groups."""

from __future__ import annotations

import logging

import pandas as pd

from expansion_propensity.errors import InputError, ModelError
from expansion_propensity.features import registry

logger = logging.getLogger(__name__)


def require_features(features: pd.DataFrame, required: list[str]) -> None:
    """Raise ModelError naming every feature the model needs that ``features`` lacks."""
    missing = [column for column in required if column not in features.columns]
    if missing:
        raise ModelError(
            f"the scoring data lack {len(missing)} feature(s) the model needs: {missing}; "
            "rebuild the features with this version of the package or retrain with `make train`"
        )


def require_unique_accounts(features: pd.DataFrame) -> None:
    """Raise InputError if an account appears more than once in the scoring frame."""
    duplicated = features["account_id"].duplicated(keep=False)
    if duplicated.any():
        examples = features.loc[duplicated, "account_id"].astype(str).unique()[:5].tolist()
        raise InputError(
            f"the scoring frame has {int(duplicated.sum())} rows for repeated account ids, "
            f"for example {examples}; each active account must appear once"
        )


def count_unseen_categories(bundle, features: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Return the bundle's count of categorical values never seen in training, and log them."""
    unseen = {
        column: {str(value): int(count) for value, count in values.items()}
        for column, values in bundle.unseen_categories(features).items()
        if values
    }
    for column, values in unseen.items():
        logger.warning(
            "%d account(s) have %s values never seen in training, scored as missing: %s",
            sum(values.values()),
            column,
            values,
        )
    return unseen


def count_missing_feature_groups(features: pd.DataFrame) -> dict[str, int]:
    """Count accounts with a whole feature group missing.

    For each formula pillar, an account counts when every numeric feature of the
    pillar present in ``features`` is missing. Each missing-data indicator (for
    example ``no_usage_data``) is counted as well, because the feature stage may
    fill a group with zeros and flag it instead of leaving it empty.
    """
    counts: dict[str, int] = {}

    for pillar in registry.FORMULA_PILLARS:
        columns = [
            feature.name
            for feature in registry.FEATURES
            if feature.pillar == pillar
            and feature.kind == registry.NUMERIC
            and feature.name in features.columns
        ]
        if columns:
            all_missing = features[columns].isna().all(axis=1)
            counts[f"all_{pillar}_features_missing"] = int(all_missing.sum())

    for feature in registry.FEATURES:
        if feature.kind == registry.INDICATOR and feature.name in features.columns:
            counts[feature.name] = int((features[feature.name].astype("float64") > 0).sum())

    for name, count in counts.items():
        if count:
            logger.warning("%d account(s) scored with %s", count, name.replace("_", " "))
    return counts
