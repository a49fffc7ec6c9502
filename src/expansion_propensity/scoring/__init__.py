"""Batch scoring: propensity, SHAP drivers, tiers, plays and a report per active account."""

from expansion_propensity.scoring.run import run_score
from expansion_propensity.scoring.score import ScoringResult, score_accounts

__all__ = ["ScoringResult", "run_score", "score_accounts"]
