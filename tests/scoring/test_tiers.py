import numpy as np
import pandas as pd
import pytest

from expansion_propensity.config import TierBand, TierConfig
from expansion_propensity.scoring.tiers import (
    FIRST_BAND_STAKEHOLDERS,
    NOT_TIERED,
    OTHER_BAND_STAKEHOLDERS,
    assign_tiers,
    rank_by_propensity,
    top_share_count,
)


def tier_one_account(arr, potential, config=None):
    """Tier a book where the account under test has the highest propensity."""
    config = config or TierConfig()
    n = 10
    propensity = pd.Series([0.9] + [0.1] * (n - 1))
    arr_values = pd.Series([arr] + [20_000.0] * (n - 1))
    potential_values = pd.Series([potential] + [20_000.0] * (n - 1))
    ids = pd.Series([f"A{i}" for i in range(n)])
    return assign_tiers(propensity, arr_values, potential_values, ids, config).iloc[0]


@pytest.mark.parametrize(
    ("arr", "potential", "expected"),
    [
        (60_000, 150_000, "Tier 1"),
        (50_000, 100_000, "Tier 1"),
        (15_000, 20_000, "Tier 2"),
        (10_000, 15_000, "Tier 2"),
        (50_000, 75_000, "Tier 2"),
        (6_000, 12_000, "Tier 3"),
        (20_000, 12_000, "Tier 3"),
        (5_000, 30_000, "Tier 3"),
    ],
    ids=[
        "tier1",
        "tier1-lower-bounds",
        "overlap-tier2-wins-over-tier3",
        "tier2-lower-bounds",
        "tier2-upper-bounds",
        "tier3",
        "tier3-potential-below-tier2",
        "tier3-bounds",
    ],
)
def test_band_first_fit_wins(arr, potential, expected):
    row = tier_one_account(arr, potential)

    assert row["tier"] == expected
    assert expected in row["tier_reason"]
    assert row["tier_reason"].startswith("top 20% by propensity; ACV $")


def test_overlap_reason_names_values():
    row = tier_one_account(15_000, 20_000)

    assert row["tier_reason"] == (
        "top 20% by propensity; ACV $15,000 and potential $20,000 fit Tier 2 "
        "(ACV $10,000-$50,000, potential $15,000-$75,000)"
    )
    assert row["effort"] == "1-3 months"
    assert row["stakeholders"] == OTHER_BAND_STAKEHOLDERS


def test_band_order_decides_overlap():
    bands = TierConfig().bands
    reversed_config = TierConfig(bands=[bands[2], bands[1], bands[0]])

    row = tier_one_account(15_000, 20_000, reversed_config)

    assert row["tier"] == "Tier 3"


def test_tier1_stakeholders_and_effort():
    row = tier_one_account(80_000, 200_000)

    assert row["stakeholders"] == FIRST_BAND_STAKEHOLDERS
    assert row["stakeholders"] == (
        "original buyer or champion; new department's buyer; economic buyer"
    )
    assert row["effort"] == "3-6 months"


@pytest.mark.parametrize(
    ("arr", "potential", "expected"),
    [
        (3_200, 20_000, "top 20% but ACV $3,200 is below every tier band"),
        (30_000, 4_000, "top 20% but potential $4,000 is below every tier band"),
        (
            60_000,
            50_000,
            "top 20% but ACV $60,000 and potential $50,000 fit no tier band "
            "(Tier 1 needs potential >= $100,000; Tier 2 needs ACV <= $50,000; "
            "Tier 3 needs ACV <= $20,000)",
        ),
        (float("nan"), 50_000, "top 20% but ACV is unknown, so no tier band applies"),
    ],
    ids=["acv-below-all", "potential-below-all", "between-bands", "acv-missing"],
)
def test_unfit_top_account_gets_reason(arr, potential, expected):
    row = tier_one_account(arr, potential)

    assert row["tier"] == NOT_TIERED
    assert row["tier_reason"] == expected
    assert row["effort"] == "n/a"


def test_outside_top_share_not_tiered():
    n = 10
    propensity = pd.Series([0.9, 0.8] + [0.1] * (n - 2))
    arr = pd.Series([60_000.0] * n)
    potential = pd.Series([150_000.0] * n)
    ids = pd.Series([f"A{i}" for i in range(n)])

    result = assign_tiers(propensity, arr, potential, ids, TierConfig())

    assert result["tier"].tolist() == ["Tier 1", "Tier 1"] + [NOT_TIERED] * (n - 2)
    assert (result["tier_reason"].iloc[2:] == "outside the top 20% by propensity").all()
    assert result["tier_reason"].notna().all()
    assert (result["tier_reason"].str.len() > 0).all()


def test_top_share_follows_config():
    n = 10
    propensity = pd.Series([0.1 * i for i in range(n)])
    arr = pd.Series([60_000.0] * n)
    potential = pd.Series([150_000.0] * n)
    ids = pd.Series([f"A{i}" for i in range(n)])

    result = assign_tiers(propensity, arr, potential, ids, TierConfig(top_share=0.5))

    assert result.loc[result["tier"] == "Tier 1"].index.tolist() == [5, 6, 7, 8, 9]
    assert result.loc[0, "tier_reason"] == "outside the top 50% by propensity"


def test_custom_band_open_ranges():
    config = TierConfig(bands=[TierBand(name="Any", effort="1 week")])

    row = tier_one_account(1.0, 1.0, config)

    assert row["tier"] == "Any"
    assert row["tier_reason"].endswith("fit Any (ACV any, potential any)")


@pytest.mark.parametrize(
    ("n", "share", "expected"),
    [(5000, 0.2, 1000), (10, 0.2, 2), (3, 0.2, 1), (7, 1.0, 7), (0, 0.2, 0)],
    ids=["demo", "exact", "rounds-up", "all", "empty"],
)
def test_top_share_count(n, share, expected):
    assert top_share_count(n, share) == expected


def test_rank_ties_broken_by_account_id():
    propensity = pd.Series([0.5, 0.9, 0.5, 0.1])
    ids = pd.Series(["C", "B", "A", "D"])

    ranking = rank_by_propensity(propensity, ids)

    assert ranking["rank"].tolist() == [3, 1, 2, 4]
    assert ranking["percentile"].tolist() == [75.0, 100.0, 75.0, 25.0]


def test_ties_broken_by_raw_score():
    propensity = pd.Series([0.5, 0.5, 0.5, 0.5])
    raw_score = pd.Series([0.1, 0.4, 0.3, 0.2])
    ids = pd.Series(["A0", "A1", "A2", "A3"])

    ranking = rank_by_propensity(propensity, ids, raw_score)

    assert ranking["rank"].tolist() == [4, 1, 2, 3]
    assert ranking["percentile"].tolist() == [100.0] * 4


def test_raw_score_only_breaks_ties():
    propensity = pd.Series([0.9, 0.5])
    raw_score = pd.Series([0.1, 2.0])

    ranking = rank_by_propensity(propensity, pd.Series(["B", "A"]), raw_score)

    assert ranking["rank"].tolist() == [1, 2]


def test_ties_without_raw_score_follow_id():
    ranking = rank_by_propensity(pd.Series([0.5, 0.5]), pd.Series(["B", "A"]))

    assert ranking["rank"].tolist() == [2, 1]


def test_top_share_cut_uses_raw_score():
    n = 10
    propensity = pd.Series([0.5] * n)
    # Raw scores rise with the id, so breaking ties by id would tier A0 and A1.
    raw_score = pd.Series(np.linspace(-1.0, 1.0, n))
    ids = pd.Series([f"A{i}" for i in range(n)])
    values = pd.Series([20_000.0] * n)

    tiers = assign_tiers(propensity, values, values, ids, TierConfig(), raw_score)

    assert tiers.loc[tiers["tier"] != NOT_TIERED].index.tolist() == [8, 9]
    assert tiers.loc[9, "rank"] == 1
    assert tiers.loc[8, "rank"] == 2
