"""The weighted-formula baseline: Expansion Score from four pillar scores, then calibrated.

Each pillar's component score (0-100) is the mean, over the pillar's formula
features, of the feature's percentile rank against the training population,
flipped for features where lower is better. A missing value scores 50, the
neutral midpoint: an account with no tickets or no survey should neither gain
nor lose points for data it never produced. The Expansion Score is the
weighted sum of the components, and a logistic regression on the score fitted
on the calibration period maps it to P(expand).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from expansion_propensity.errors import ModelError
from expansion_propensity.features import registry

DEFAULT_WEIGHTS = {"tenure": 0.30, "usage": 0.25, "adoption": 0.20, "health": 0.25}
NEUTRAL_PERCENTILE = 0.5


def check_weights(weights: dict[str, float]) -> None:
    """Raise ValueError unless ``weights`` covers exactly the formula pillars and sums to 1."""
    expected = set(registry.FORMULA_PILLARS)
    if set(weights) != expected:
        raise ValueError(
            f"baseline weights have pillars {sorted(weights)}; expected exactly {sorted(expected)}"
        )
    total = float(sum(weights.values()))
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"baseline weights sum to {total:.4f}; they must sum to 1 (got {weights})")


def percentile_rank(reference: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Return the mid-rank percentile (0-1) of each value within sorted ``reference``.

    Ties share the midpoint of their rank range, so a constant feature scores
    0.5 for everyone. Missing values get the neutral 0.5.
    """
    if len(reference) == 0:
        return np.full(len(values), NEUTRAL_PERCENTILE)

    below = np.searchsorted(reference, values, side="left")
    at_or_below = np.searchsorted(reference, values, side="right")
    ranks = (below + at_or_below) / (2.0 * len(reference))
    return np.where(np.isnan(values), NEUTRAL_PERCENTILE, ranks)


class WeightedFormulaBaseline(ClassifierMixin, BaseEstimator):
    """Expansion Score = sum over pillars of weight x component score, calibrated to P(expand).

    Parameters
    ----------
    weights : dict of str to float, optional (default=0.30/0.25/0.20/0.25)
        Weight of the tenure, usage, adoption and health pillars; they must sum to 1.

    Attributes
    ----------
    reference_ : dict of str to ndarray
        Sorted non-missing training values of each formula feature.
    directions_ : dict of str to int
        +1 when a higher value raises the pillar score, -1 when it lowers it.
    calibrator_ : LogisticRegression
        Logistic regression of the label on the Expansion Score / 100.
    classes_ : ndarray
        The labels seen when calibrating, ``[0, 1]``.
    """

    def __init__(self, weights: dict[str, float] | None = None):
        self.weights = weights

    def fit(self, X: pd.DataFrame, y=None, *, X_calibration=None, y_calibration=None):
        """Learn percentile references from ``X`` and the calibrator from the calibration rows.

        Without ``X_calibration``, the calibrator is fitted on ``X`` and ``y``.
        """
        weights = self.weights if self.weights is not None else DEFAULT_WEIGHTS
        check_weights(weights)
        self.weights_ = dict(weights)

        self.directions_ = {}
        self.reference_ = {}
        for pillar in registry.FORMULA_PILLARS:
            for feature in registry.formula_features(pillar):
                values = _numeric_column(X, feature.name)
                self.reference_[feature.name] = np.sort(values[~np.isnan(values)])
                self.directions_[feature.name] = feature.direction

        if X_calibration is None:
            X_calibration, y_calibration = X, y
        if y_calibration is None:
            raise ValueError("fit needs labels: pass y or y_calibration")
        labels = np.asarray(y_calibration, dtype=int)
        if len(np.unique(labels)) < 2:
            raise ModelError(
                f"the baseline calibration rows contain only label {np.unique(labels).tolist()}; "
                "calibration needs both expanded and not-expanded snapshots, so use an export "
                "with more history or shorten splits.calibration_months"
            )

        scores = self._score(X_calibration)
        self.calibrator_ = LogisticRegression().fit(scores.reshape(-1, 1) / 100.0, labels)
        self.classes_ = self.calibrator_.classes_
        return self

    def components(self, X: pd.DataFrame) -> pd.DataFrame:
        """Return the 0-100 component score of each formula pillar, one column per pillar."""
        check_is_fitted(self)
        columns = {}
        for pillar in registry.FORMULA_PILLARS:
            ranks = []
            for feature in registry.formula_features(pillar):
                rank = percentile_rank(
                    self.reference_[feature.name], _numeric_column(X, feature.name)
                )
                ranks.append(rank if self.directions_[feature.name] > 0 else 1.0 - rank)
            columns[pillar] = 100.0 * np.mean(ranks, axis=0)
        return pd.DataFrame(columns, index=X.index)

    def expansion_score(self, X: pd.DataFrame) -> np.ndarray:
        """Return the 0-100 Expansion Score: the weighted sum of the pillar components."""
        check_is_fitted(self)
        return self._score(X)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Return calibrated probabilities, shape (n, 2), columns for labels 0 and 1."""
        check_is_fitted(self)
        return self.calibrator_.predict_proba(self._score(X).reshape(-1, 1) / 100.0)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self)
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def _score(self, X: pd.DataFrame) -> np.ndarray:
        components = self.components(X)
        weights = pd.Series(self.weights_)[components.columns]
        return components.to_numpy() @ weights.to_numpy()


def _numeric_column(X: pd.DataFrame, name: str) -> np.ndarray:
    if name not in X.columns:
        raise ModelError(
            f"the baseline needs feature column {name!r}, which the input lacks; "
            f"rebuild the snapshots with `expansion features`"
        )
    return pd.to_numeric(X[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
