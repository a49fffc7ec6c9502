import numpy as np
import pandas as pd
import pytest

from expansion_propensity.features import registry
from expansion_propensity.scoring.drivers import driver_columns, format_values, pillar_shares


def contributions_for(values: dict[str, float]) -> pd.DataFrame:
    row = {name: values.get(name, 0.0) for name in registry.feature_names()}
    row["base_value"] = -1.5
    return pd.DataFrame([row])


def one_account(**values) -> pd.DataFrame:
    row = {name: np.nan for name in registry.feature_names()}
    row.update(values)
    return pd.DataFrame([row])


def test_driver_text_matches_example():
    features = one_account(seat_utilisation=0.97)
    contributions = contributions_for({"seat_utilisation": 0.12})

    drivers = driver_columns(features, contributions)

    assert drivers.loc[0, "driver_1"] == (
        "seat utilisation: active users over purchased seats 97% (+0.12)"
    )


def test_drivers_ordered_by_contribution():
    features = one_account(
        seat_utilisation=0.9, tenure_months=26, arr=48_250, plan_tier="Pro", tickets_90d=7
    )
    contributions = contributions_for(
        {
            "seat_utilisation": 0.05,
            "tenure_months": 0.30,
            "arr": 0.10,
            "plan_tier": 0.01,
            "tickets_90d": -0.25,
            "usage_trend": -0.02,
        }
    )

    drivers = driver_columns(features, contributions)

    assert drivers.loc[0, "driver_1"] == "months as a paying customer 26 (+0.30)"
    assert drivers.loc[0, "driver_2"] == "current annual recurring revenue (ACV) $48,250 (+0.10)"
    assert drivers.loc[0, "driver_3"] == (
        "seat utilisation: active users over purchased seats 90% (+0.05)"
    )
    assert drivers.loc[0, "negative_driver"] == (
        "support tickets opened in the last 90 days 7 (-0.25)"
    )


def test_no_positive_contribution_leaves_slots_empty():
    features = one_account(tickets_90d=3)
    contributions = contributions_for({"tickets_90d": -0.4})

    drivers = driver_columns(features, contributions)

    assert pd.isna(drivers.loc[0, "driver_1"])
    assert pd.isna(drivers.loc[0, "driver_3"])
    assert drivers.loc[0, "negative_driver"] == (
        "support tickets opened in the last 90 days 3 (-0.40)"
    )


def test_no_negative_contribution_leaves_negative_empty():
    features = one_account(seat_utilisation=0.5)
    contributions = contributions_for({"seat_utilisation": 0.2})

    drivers = driver_columns(features, contributions)

    assert pd.isna(drivers.loc[0, "negative_driver"])
    assert pd.isna(drivers.loc[0, "driver_2"])


def test_drivers_per_row_for_many_accounts():
    features = pd.concat(
        [one_account(seat_utilisation=0.5, tenure_months=3)] * 2, ignore_index=True
    )
    contributions = pd.concat(
        [
            contributions_for({"seat_utilisation": 0.2, "tenure_months": -0.1}),
            contributions_for({"seat_utilisation": -0.2, "tenure_months": 0.1}),
        ],
        ignore_index=True,
    )

    drivers = driver_columns(features, contributions)

    assert drivers["driver_1"].str.split(" ").str[0].tolist() == ["seat", "months"]
    assert drivers["negative_driver"].str.split(" ").str[0].tolist() == ["months", "seat"]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("seat_utilisation", 0.974, "97%"),
        ("arr", 12_345.6, "$12,346"),
        ("no_usage_data", 1.0, "yes"),
        ("no_usage_data", 0.0, "no"),
        ("usage_trend", 1.234, "1.23"),
        ("median_resolution_hours", 12.25, "12.2 hours"),
        ("ticket_satisfaction", 4.25, "4.2"),
        ("usage_events_90d", 12_345.0, "12,345"),
        ("feature_depth", 3.46, "3.5"),
        ("plan_tier", "Pro", "Pro"),
        ("seat_utilisation", np.nan, "missing"),
        ("plan_tier", None, "missing"),
    ],
    ids=[
        "share",
        "currency",
        "flag-yes",
        "flag-no",
        "ratio",
        "hours",
        "score",
        "count",
        "events-per-feature",
        "categorical",
        "missing-number",
        "missing-category",
    ],
)
def test_format_values_by_unit(name, value, expected):
    dtype = "string" if name == "plan_tier" else "float64"

    text = format_values(name, pd.Series([value], dtype=dtype))

    assert text.iloc[0] == expected


def test_unknown_feature_uses_column_name():
    features = pd.DataFrame({"legacy_signal": [2.0]})
    contributions = pd.DataFrame({"legacy_signal": [0.3], "base_value": [0.0]})

    drivers = driver_columns(features, contributions)

    assert drivers.loc[0, "driver_1"] == "legacy signal 2 (+0.30)"


def test_pillar_shares_of_absolute_contributions():
    contributions = contributions_for(
        {"tenure_months": 0.3, "seat_utilisation": -0.1, "feature_breadth": 0.2, "arr": 0.4}
    )

    shares = pillar_shares(contributions)

    assert shares.loc[0, "share_tenure"] == pytest.approx(0.3)
    assert shares.loc[0, "share_usage"] == pytest.approx(0.1)
    assert shares.loc[0, "share_adoption"] == pytest.approx(0.2)
    assert shares.loc[0, "share_health"] == pytest.approx(0.0)
    assert shares.loc[0, "share_context"] == pytest.approx(0.4)
    assert shares.sum(axis=1).iloc[0] == pytest.approx(1.0)


def test_pillar_shares_zero_contributions():
    shares = pillar_shares(contributions_for({}))

    assert shares.iloc[0].isna().all()
