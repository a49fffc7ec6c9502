"""Expansion potential: how much ARR an account would add if it expands.

A gradient-boosted regressor learns log(expansion_amount) from every past
expansion before the test period, using the account's size, plan and usage. The log
target makes the model predict a typical (geometric-mean) amount rather than
one dominated by a few very large deals. With too few past expansions to learn
from, the model falls back to a documented rule: ARR times the median
expansion-to-ARR ratio seen in training.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.utils.validation import check_is_fitted

from expansion_propensity.errors import ModelError
from expansion_propensity.modeling.lgbm import to_categorical

logger = logging.getLogger(__name__)

POTENTIAL_FEATURES = [
    "arr",
    "seats",
    "products",
    "seat_utilisation",
    "active_users_30d",
    "feature_breadth",
    "premium_features_90d",
    "prior_expansions",
    "tenure_months",
    "segment",
    "plan_tier",
]
POTENTIAL_CATEGORICALS = ["segment", "plan_tier"]


class ExpansionPotentialModel(RegressorMixin, BaseEstimator):
    """Predicts the ARR increase of an expansion, in the export's currency per year.

    Parameters
    ----------
    min_expansions : int, optional (default=50)
        Minimum number of past expansions to fit the regressor. With fewer,
        the ratio rule is used.
    random_state : int, optional (default=42)

    Attributes
    ----------
    method_ : str
        "regressor" or "ratio_rule".
    categories_ : dict of str to list of str
        Categories of the categorical inputs seen in training.
    ratio_ : float
        Median expansion_amount / arr of the training expansions.
    columns_ : list of str
        Input columns of the regressor: those with a value in training.
    regressor_ : HistGradientBoostingRegressor or None
    """

    def __init__(self, min_expansions: int = 50, random_state: int = 42):
        self.min_expansions = min_expansions
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y):
        """Fit on past expansions: ``X`` their snapshot features, ``y`` their positive amounts."""
        amounts = np.asarray(y, dtype=float)
        keep = np.isfinite(amounts) & (amounts > 0)
        if not keep.any():
            raise ModelError(
                "the training period has no expansion with a positive expansion_amount; "
                "the potential model needs past expansions, so use an export with more history"
            )
        X = X.loc[keep]
        amounts = amounts[keep]

        self.categories_ = {
            column: sorted(X[column].dropna().astype(str).unique().tolist())
            for column in POTENTIAL_CATEGORICALS
        }
        arr = _arr(X)
        ratios = amounts[arr > 0] / arr[arr > 0]
        self.ratio_ = float(np.median(ratios)) if len(ratios) else 0.0
        self.fallback_amount_ = float(np.median(amounts))

        if len(amounts) < self.min_expansions:
            logger.info(
                "Expansion potential uses the ratio rule (ARR x %.3f) because training has only "
                "%d past expansions, fewer than %d",
                self.ratio_,
                len(amounts),
                self.min_expansions,
            )
            self.method_ = "ratio_rule"
            self.regressor_ = None
            return self

        # A column with no value in training (usage an export lacks) carries no
        # information, and HistGradientBoostingRegressor cannot bin it.
        frame = self._frame(X, POTENTIAL_FEATURES)
        self.columns_ = [column for column in POTENTIAL_FEATURES if frame[column].notna().any()]
        self.method_ = "regressor"
        self.regressor_ = HistGradientBoostingRegressor(
            max_iter=200,
            learning_rate=0.05,
            categorical_features="from_dtype",
            random_state=self.random_state,
        ).fit(frame[self.columns_], np.log(amounts))
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Return the predicted ARR increase for each row, in currency per year (>= 0)."""
        check_is_fitted(self)
        if self.regressor_ is None:
            arr = _arr(X)
            return np.where(arr > 0, arr * self.ratio_, self.fallback_amount_)
        return np.exp(self.regressor_.predict(self._frame(X, self.columns_)))

    def _frame(self, X: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        missing = [column for column in columns if column not in X.columns]
        if missing:
            raise ModelError(
                f"the expansion potential model needs columns {missing}, which the input lacks"
            )
        frame = {}
        for column in columns:
            if column in POTENTIAL_CATEGORICALS:
                frame[column] = to_categorical(X[column], self.categories_[column])
            else:
                frame[column] = pd.to_numeric(X[column], errors="coerce").astype(float)
        return pd.DataFrame(frame, index=X.index)


def _arr(X: pd.DataFrame) -> np.ndarray:
    return pd.to_numeric(X["arr"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def potential_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Return MAE and median absolute percentage error of predictions against realised amounts."""
    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    errors = np.abs(predicted - actual)
    return {
        "potential_mae": float(errors.mean()),
        "potential_median_ape": float(np.median(errors / actual)),
        "potential_n": float(len(actual)),
    }
