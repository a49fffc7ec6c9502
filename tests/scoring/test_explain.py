import numpy as np
import pandas as pd
import pytest
import shap

from expansion_propensity.errors import ModelError
from expansion_propensity.scoring.explain import (
    ADDITIVITY_TOLERANCE,
    additivity_error,
    check_additivity,
    explain,
)


def test_contributions_add_up_to_raw_score(fixture_bundle, features):
    contributions = explain(fixture_bundle, features, chunk_rows=128)
    raw = fixture_bundle.raw_score(features)

    totals = contributions.sum(axis=1).to_numpy()
    assert len(contributions) == len(features)
    assert np.abs(totals - raw).max() < ADDITIVITY_TOLERANCE
    assert check_additivity(contributions, raw) < ADDITIVITY_TOLERANCE


def test_columns_are_features_and_base(fixture_bundle, features):
    contributions = explain(fixture_bundle, features.head(10))

    assert contributions.columns.tolist() == [*fixture_bundle.feature_columns, "base_value"]
    assert contributions["base_value"].nunique() == 1


def test_chunking_does_not_change_values(fixture_bundle, features):
    whole = explain(fixture_bundle, features, chunk_rows=len(features))
    chunked = explain(fixture_bundle, features, chunk_rows=37)

    pd.testing.assert_frame_equal(whole, chunked)


@pytest.mark.filterwarnings("ignore:LightGBM binary classifier with TreeExplainer:UserWarning")
def test_matches_shap_tree_explainer(fixture_bundle, features):
    prepared = fixture_bundle.prepare(features.head(50))
    ours = explain(fixture_bundle, features.head(50))

    explainer = shap.TreeExplainer(fixture_bundle.booster)
    theirs = explainer.shap_values(prepared)

    np.testing.assert_allclose(
        ours[fixture_bundle.feature_columns].to_numpy(), np.asarray(theirs), atol=1e-9
    )


def test_broken_additivity_raises():
    contributions = pd.DataFrame({"a": [0.1, 0.2], "base_value": [-1.0, -1.0]})

    with pytest.raises(ModelError, match=r"differ from the raw score by up to 1\.00e-03"):
        check_additivity(contributions, np.array([-0.9, -0.801]))


def test_additivity_error_empty():
    assert additivity_error(pd.DataFrame({"base_value": []}), np.array([])) == 0.0


def test_empty_input_gives_empty_frame(fixture_bundle, features):
    contributions = explain(fixture_bundle, features.head(0))

    assert len(contributions) == 0
    assert contributions.columns[-1] == "base_value"


def test_invalid_chunk_size(fixture_bundle, features):
    with pytest.raises(ValueError, match="chunk_rows must be positive, got 0"):
        explain(fixture_bundle, features, chunk_rows=0)
