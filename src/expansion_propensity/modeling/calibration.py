"""Calibration of LightGBM's raw margin on the calibration period.

scikit-learn's ``CalibratedClassifierCV`` calibrates a frozen, already fitted
classifier. The classifier here is ``MarginPassthrough``: its decision function
is its single input column, the LightGBM raw margin. Calibrating that keeps the
calibrator a map from raw score to probability, independent of the booster.
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.utils.validation import check_is_fitted

from expansion_propensity.errors import ModelError

logger = logging.getLogger(__name__)


class MarginPassthrough(ClassifierMixin, BaseEstimator):
    """A classifier whose decision function is its one input column (a raw margin)."""

    def fit(self, X, y):
        self.classes_ = np.unique(np.asarray(y))
        return self

    def decision_function(self, X) -> np.ndarray:
        check_is_fitted(self)
        return np.asarray(X, dtype=float).reshape(len(X), -1)[:, 0]

    def predict(self, X) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(int)


# Isotonic calibration returns exactly 0 (or 1) for margins below (or above) every
# calibration positive (or negative). No account's expansion is impossible or
# certain, so probabilities are clipped to this distance from 0 and 1.
PROBABILITY_FLOOR = 0.001


class ScoreCalibrator:
    """Maps a raw LightGBM margin (log-odds) to a calibrated probability."""

    def __init__(self, calibrated: CalibratedClassifierCV, method: str, reason: str):
        self.calibrated = calibrated
        self.method = method
        self.reason = reason

    def predict(self, raw_score: np.ndarray) -> np.ndarray:
        """Return calibrated P(expand) for each raw margin, shape (n,)."""
        margins = np.asarray(raw_score, dtype=float).reshape(-1, 1)
        probabilities = self.calibrated.predict_proba(margins)[:, 1]
        return np.clip(probabilities, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)


def choose_method(n_positives: int, isotonic_min_positives: int) -> tuple[str, str]:
    """Return the calibration method and the reason for it.

    Isotonic regression is a step function with one step per distinct score
    block, so with few positives it overfits; sigmoid (Platt) has two parameters.
    """
    if n_positives >= isotonic_min_positives:
        return "isotonic", (
            f"the calibration period has {n_positives} positives, at least "
            f"calibration.isotonic_min_positives={isotonic_min_positives}"
        )
    return "sigmoid", (
        f"the calibration period has {n_positives} positives, fewer than "
        f"calibration.isotonic_min_positives={isotonic_min_positives}"
    )


def fit_calibrator(
    raw_score: np.ndarray, labels: np.ndarray, isotonic_min_positives: int
) -> ScoreCalibrator:
    """Fit a sigmoid or isotonic calibrator of ``raw_score`` on the calibration labels."""
    labels = np.asarray(labels, dtype=int)
    n_positives = int(labels.sum())
    if n_positives == 0 or n_positives == len(labels):
        raise ModelError(
            f"the calibration period has {n_positives} positives in {len(labels)} snapshots; "
            "calibration needs both outcomes, so use an export with more history or change "
            "splits.calibration_months"
        )

    method, reason = choose_method(n_positives, isotonic_min_positives)
    logger.info("Calibrating LightGBM with %s because %s", method, reason)

    margins = np.asarray(raw_score, dtype=float).reshape(-1, 1)
    passthrough = MarginPassthrough().fit(margins, labels)
    calibrated = CalibratedClassifierCV(FrozenEstimator(passthrough), method=method)
    calibrated.fit(margins, labels)
    return ScoreCalibrator(calibrated, method, reason)
