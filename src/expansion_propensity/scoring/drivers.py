"""Turn per-account SHAP contributions into plain-language drivers and pillar shares.

A driver reads as the registry description, the account's value formatted by
the feature's unit, and the contribution to the raw score (log-odds) in
brackets, for example ``seat utilisation: active users over purchased seats
97% (+0.12)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from expansion_propensity.features import registry

N_POSITIVE_DRIVERS = 3
DRIVER_COLUMNS = [f"driver_{i}" for i in range(1, N_POSITIVE_DRIVERS + 1)] + ["negative_driver"]
SHARE_COLUMNS = [f"share_{pillar}" for pillar in registry.PILLARS]


def _feature_entry(name: str) -> registry.Feature:
    """Return the registry entry, or a plain context entry for a feature the registry lacks.

    A model trained with an older registry may carry a feature that has since
    been renamed, so its drivers show the column name with spaces for underscores.
    """
    try:
        return registry.get(name)
    except KeyError:
        return registry.Feature(name, "context", name.replace("_", " "), "")


def _number_text(values: pd.Series, pattern: str) -> pd.Series:
    return values.astype("float64").map(pattern.format, na_action="ignore").astype("string")


def format_values(name: str, values: pd.Series) -> pd.Series:
    """Format one feature's values by its registry unit, with ``missing`` for missing values."""
    feature = _feature_entry(name)
    unit = feature.unit

    if feature.kind == registry.CATEGORICAL:
        text = values.astype("string")
    elif unit == "flag":
        flags = values.astype("float64")
        text = pd.Series(np.where(flags > 0, "yes", "no"), index=values.index, dtype="string")
        text = text.mask(flags.isna())
    elif unit == "share":
        text = _number_text(values, "{:.0%}")
    elif unit.startswith("currency"):
        text = _number_text(values, "${:,.0f}")
    elif unit == "ratio":
        text = _number_text(values, "{:.2f}")
    elif unit == "hours":
        text = _number_text(values, "{:,.1f} hours")
    elif unit.startswith("score"):
        text = _number_text(values, "{:.1f}")
    elif unit == "events/feature":
        text = _number_text(values, "{:,.1f}")
    else:
        # Counts (months, days, events, users, tickets, seats, ...): the
        # description already names the quantity, so the number is shown without a unit.
        text = _number_text(values, "{:,.0f}")

    return text.fillna("missing")


def _driver_text(
    features: pd.DataFrame, contributions: np.ndarray, columns: list[str], chosen: np.ndarray
) -> pd.Series:
    """Build the text of one driver slot. ``chosen`` is a column index per row, -1 for none."""
    text = pd.Series(pd.NA, index=features.index, dtype="string")
    rows = np.arange(len(chosen))

    # The loop runs over features (tens), not accounts. Each pass formats only
    # the rows whose driver in this slot is that feature.
    for position, name in enumerate(columns):
        selected = chosen == position
        if not selected.any():
            continue
        values = format_values(name, features.loc[selected, name])
        contribution = pd.Series(contributions[rows[selected], position], index=values.index)
        contribution_text = contribution.map("{:+.2f}".format)
        description = _feature_entry(name).description
        text.loc[selected] = description + " " + values + " (" + contribution_text + ")"

    return text


def driver_columns(features: pd.DataFrame, contributions: pd.DataFrame) -> pd.DataFrame:
    """Return driver_1..3 (largest positive contributions) and negative_driver per account.

    ``features`` contains the raw feature values (plain strings for categoricals),
    ``contributions`` the SHAP values with one column per feature, row-aligned
    with ``features``. A slot with no contribution of the right sign stays
    missing rather than naming a feature that did not push that way.
    """
    columns = [column for column in contributions.columns if column != "base_value"]
    matrix = contributions[columns].to_numpy(dtype="float64")
    features = features.reset_index(drop=True)

    # Stable sort on the negated values keeps registry order among equal contributions.
    order = np.argsort(-matrix, axis=1, kind="stable")
    result = {}
    for slot in range(min(N_POSITIVE_DRIVERS, len(columns))):
        chosen = order[:, slot]
        positive = np.take_along_axis(matrix, chosen[:, None], axis=1)[:, 0] > 0
        result[f"driver_{slot + 1}"] = _driver_text(
            features, matrix, columns, np.where(positive, chosen, -1)
        )
    for slot in range(len(columns), N_POSITIVE_DRIVERS):
        result[f"driver_{slot + 1}"] = pd.Series(pd.NA, index=features.index, dtype="string")

    most_negative = np.argmin(matrix, axis=1)
    negative = np.take_along_axis(matrix, most_negative[:, None], axis=1)[:, 0] < 0
    result["negative_driver"] = _driver_text(
        features, matrix, columns, np.where(negative, most_negative, -1)
    )

    return pd.DataFrame(result, index=features.index)[DRIVER_COLUMNS]


def pillar_shares(contributions: pd.DataFrame) -> pd.DataFrame:
    """Return each pillar's share of the sum of absolute contributions, per account.

    The shares of a row sum to 1. A row whose contributions are all zero (a
    constant model) has nothing to share out, so every pillar's share is NaN.
    """
    columns = [column for column in contributions.columns if column != "base_value"]
    magnitude = contributions[columns].abs()
    total = magnitude.sum(axis=1)
    pillars = pd.Series([_feature_entry(column).pillar for column in columns], index=columns)

    shares = {}
    for pillar in registry.PILLARS:
        pillar_total = magnitude[pillars.index[pillars == pillar]].sum(axis=1)
        shares[f"share_{pillar}"] = pillar_total / total.where(total > 0)
    return pd.DataFrame(shares, index=contributions.index)
