"""Tenure pillar: how long the account has paid and how settled its plan is."""

from __future__ import annotations

import numpy as np

from expansion_propensity.features.calendar import Grid
from expansion_propensity.features.prepare import Prepared
from expansion_propensity.features.timeline import NEVER, last_before, merge_intervals, take

DAYS_PER_MONTH = 365.25 / 12
DAYS_PER_YEAR = 365.25


def tenure_features(prepared: Prepared, grid: Grid) -> dict[str, np.ndarray]:
    """Compute tenure_months, months_since_plan_change and days_to_renewal per grid row."""
    subscriptions = prepared.subscriptions

    # Tenure runs from the earlier of customer_since and the first paid period,
    # so an account whose signup date is recorded late still gets its paid months.
    first_start = np.full(len(prepared.account_ids), NEVER, dtype=np.int64)
    np.minimum.at(first_start, subscriptions["code"].to_numpy(), subscriptions["start"].to_numpy())
    since = np.minimum(first_start, prepared.accounts["customer_since"].to_numpy())[grid.code]
    tenure_months = (grid.day - since) / DAYS_PER_MONTH

    # Any period starting or ending changes the plan, seats or products held.
    change_codes = np.concatenate([subscriptions["code"], subscriptions["code"]])
    change_days = np.concatenate([subscriptions["start"], subscriptions["end"]])
    last_change = last_before(change_codes, change_days, grid.code, grid.day)
    months_since_change = (grid.day - take(change_days, last_change, np.nan)) / DAYS_PER_MONTH

    return {
        "tenure_months": tenure_months,
        "months_since_plan_change": months_since_change,
        "days_to_renewal": _days_to_renewal(prepared, grid),
    }


def _days_to_renewal(prepared: Prepared, grid: Grid) -> np.ndarray:
    """Return days until the next yearly anniversary of the current unbroken paid spell.

    NOTE: the contract has no term length, so terms are assumed to be yearly
    from the start of the spell of continuous paid periods (years of 365.25 days).
    Only period starts before the snapshot move the anniversary, so an end date
    written later (at an upgrade or a churn) cannot leak the future into it.
    """
    subscriptions = prepared.subscriptions
    spell_codes, spell_starts, _ = merge_intervals(
        subscriptions["code"], subscriptions["start"], subscriptions["end"]
    )
    current = last_before(spell_codes, spell_starts, grid.code, grid.day)
    elapsed = grid.day - take(spell_starts, current, np.nan)
    return np.round(np.ceil(elapsed / DAYS_PER_YEAR) * DAYS_PER_YEAR - elapsed)
