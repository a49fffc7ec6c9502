import numpy as np
import pandas as pd
import pytest

from expansion_propensity.config import Config
from expansion_propensity.errors import InputError, ModelError
from expansion_propensity.scoring.score import SCORE_COLUMNS, score_accounts

AS_OF = pd.Timestamp("2024-06-30")
MODEL_INFO = {"source": "models/champion", "model_version": "3", "run_id": "run-abc"}


@pytest.fixture
def scored(fixture_bundle, features):
    accounts = pd.DataFrame(
        {
            "account_id": features["account_id"],
            "account_name": ["=HYPERLINK(1)", ""] + [f"Name {i}" for i in range(len(features) - 2)],
        }
    )
    result = score_accounts(
        fixture_bundle,
        features,
        Config(),
        AS_OF,
        MODEL_INFO,
        accounts=accounts,
        top_tier="Enterprise",
    )
    return result, features


def test_every_account_once(scored):
    result, features = scored

    assert len(result.scores) == len(features)
    assert result.scores["account_id"].is_unique
    assert set(result.scores["account_id"]) == set(features["account_id"])


def test_columns_and_order(scored):
    result, _ = scored
    scores = result.scores

    assert scores.columns.tolist() == SCORE_COLUMNS
    assert scores["rank"].tolist() == list(range(1, len(scores) + 1))
    assert scores["propensity"].is_monotonic_decreasing
    assert (scores["as_of"] == AS_OF).all()
    assert (scores["model_version"] == "3").all()
    assert (scores["run_id"] == "run-abc").all()


def test_values_consistent(scored, fixture_bundle):
    result, features = scored
    scores = result.scores.set_index("account_id")
    indexed = features.set_index("account_id").loc[scores.index]

    np.testing.assert_allclose(scores["propensity"], fixture_bundle.predict_proba(indexed))
    np.testing.assert_allclose(
        scores["expected_value"], scores["propensity"] * scores["expansion_potential"]
    )
    np.testing.assert_allclose(scores["arr"], indexed["arr"])
    assert scores["expansion_score"].between(0, 100).all()
    assert scores["percentile"].between(0, 100).all()
    assert result.additivity_error < 1e-6


def test_names_fall_back_to_id(scored):
    result, features = scored
    names = result.scores.set_index("account_id")["account_name"]

    assert names[features.loc[0, "account_id"]] == "=HYPERLINK(1)"
    assert names[features.loc[1, "account_id"]] == features.loc[1, "account_id"]


def test_tiers_only_top_share(scored):
    result, _ = scored
    scores = result.scores
    top = scores["rank"] <= 80

    assert (scores.loc[~top, "tier"] == "Not tiered").all()
    assert (scores.loc[~top, "tier_reason"] == "outside the top 20% by propensity").all()
    assert scores["tier_reason"].str.len().min() > 0
    assert scores.loc[top, "tier_reason"].str.startswith("top 20%").all()


def test_stakeholders_follow_tier(scored):
    result, _ = scored
    scores = result.scores

    tier1 = scores.loc[scores["tier"] == "Tier 1", "stakeholders"]
    lower = scores.loc[scores["tier"].isin(["Tier 2", "Tier 3"]), "stakeholders"]
    assert (tier1 == "original buyer or champion; new department's buyer; economic buyer").all()
    assert (lower == "economic buyer; champion").all()
    assert len(lower) > 0


def test_drivers_and_shares_filled(scored):
    result, _ = scored
    scores = result.scores

    assert scores["driver_1"].notna().all()
    assert scores["driver_1"].str.contains(r"\(\+\d+\.\d\d\)$").all()
    assert scores["negative_driver"].dropna().str.contains(r"\(-\d+\.\d\d\)$").all()
    share_columns = [c for c in scores.columns if c.startswith("share_")]
    np.testing.assert_allclose(scores[share_columns].sum(axis=1), 1.0)
    assert set(scores["play"]) <= {
        "add seats",
        "upgrade tier",
        "cross-sell add-on",
        "cross-sell new department",
    }


def test_deterministic(fixture_bundle, features):
    first = score_accounts(fixture_bundle, features, Config(), AS_OF, MODEL_INFO).scores
    second = score_accounts(
        fixture_bundle, features.sample(frac=1.0, random_state=3), Config(), AS_OF, MODEL_INFO
    ).scores

    pd.testing.assert_frame_equal(first, second)


def test_missing_features_rejected(fixture_bundle, features):
    broken = features.drop(columns=["seat_utilisation", "nps_latest"])

    with pytest.raises(ModelError, match=r"lack 2 feature\(s\).*'seat_utilisation', 'nps_latest'"):
        score_accounts(fixture_bundle, broken, Config(), AS_OF, MODEL_INFO)


def test_duplicate_accounts_rejected(fixture_bundle, features):
    doubled = pd.concat([features, features.head(2)], ignore_index=True)

    with pytest.raises(InputError, match=r"4 rows for repeated account ids.*A-00000"):
        score_accounts(fixture_bundle, doubled, Config(), AS_OF, MODEL_INFO)


def test_unseen_categories_counted(fixture_bundle, features):
    changed = features.copy()
    changed.loc[:4, "plan_tier"] = "Platinum"
    changed.loc[5, "industry"] = "Mining"

    result = score_accounts(fixture_bundle, changed, Config(), AS_OF, MODEL_INFO)

    assert result.unseen_categories == {"plan_tier": {"Platinum": 5}, "industry": {"Mining": 1}}
    assert len(result.scores) == len(features)


def test_missing_groups_counted(fixture_bundle, features):
    changed = features.copy()
    usage = [
        "usage_events_30d",
        "usage_events_90d",
        "usage_trend",
        "active_users_30d",
        "seat_utilisation",
    ]
    changed.loc[:2, usage] = np.nan
    changed["no_usage_data"] = 0.0
    changed.loc[:2, "no_usage_data"] = 1.0

    result = score_accounts(fixture_bundle, changed, Config(), AS_OF, MODEL_INFO)

    assert result.missing_feature_groups["all_usage_features_missing"] == 3
    assert result.missing_feature_groups["no_usage_data"] == 3
    assert result.missing_feature_groups["all_tenure_features_missing"] == 0


def test_negative_potential_clipped(fixture_bundle, features, monkeypatch):
    monkeypatch.setattr(
        fixture_bundle, "predict_potential", lambda X: np.where(np.arange(len(X)) < 3, -5.0, 100.0)
    )

    result = score_accounts(fixture_bundle, features, Config(), AS_OF, MODEL_INFO)

    assert result.negative_potential_clipped == 3
    assert result.scores["expansion_potential"].min() == 0.0


def test_tied_propensities_ranked_by_raw_score(stepped_bundle, features):
    result = score_accounts(stepped_bundle, features, Config(), AS_OF, MODEL_INFO)

    scores = result.scores
    raw_score = pd.Series(stepped_bundle.raw_score(features), index=features["account_id"])
    scores["raw_score"] = scores["account_id"].map(raw_score).to_numpy()
    tied = scores.groupby("propensity")["raw_score"]
    assert scores["propensity"].duplicated().sum() > 300
    assert tied.apply(lambda values: values.is_monotonic_decreasing).all()
    assert scores["propensity"].is_monotonic_decreasing
    assert result.constant_propensity is False


def test_constant_model_flagged(constant_bundle, features):
    result = score_accounts(constant_bundle, features, Config(), AS_OF, MODEL_INFO)

    scores = result.scores
    shares = scores[[c for c in scores.columns if c.startswith("share_")]]
    assert result.constant_propensity is True
    assert result.constant_raw_score is True
    assert scores["rank"].tolist() == list(range(1, len(features) + 1))
    assert scores["account_id"].is_monotonic_increasing
    assert shares.isna().all().all()
    assert not scores["play_reason"].str.contains("largest share").any()
