"""Monthly activity of live accounts: usage rows, support tickets and survey responses.

Each table shows the latent state with noise: usage reveals seat utilisation,
growth and adoption; tickets, errors and surveys reveal health.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from expansion_propensity.synthetic import catalogue as cat
from expansion_propensity.synthetic.accounts import Accounts
from expansion_propensity.synthetic.dynamics import State, adoption_share
from expansion_propensity.synthetic.ledger import subscription_ids

# Share of ticket satisfaction scores left blank, as in most help desks.
SATISFACTION_MISSING_SHARE = 0.35
SURVEY_RESPONSE_SHARE = 0.7


def random_days(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Return one uniform random day in [low, high] per entry."""
    span = (high - low).astype(np.int64) + 1
    return low + np.floor(rng.random(len(low)) * span).astype(np.int64)


def usage_rows(
    rng: np.random.Generator,
    accounts: Accounts,
    state: State,
    live: np.ndarray,
    first_day: np.ndarray,
    last_day: np.ndarray,
    core_rows: tuple[np.ndarray, np.ndarray, np.ndarray],
    tenure_months: np.ndarray,
) -> pd.DataFrame:
    """Return one usage row per live account and feature used in the month.

    ``first_day`` and ``last_day`` bound each account's active days in the
    month. ``core_rows`` contains the core period before a change, the one after
    it and the change date (NaT without a change), so each row names the period
    in force on its day.
    """
    health = state.health[live]
    unlocked = _unlocked_features(state, live)
    share = adoption_share(tenure_months, health)
    used = unlocked & (accounts.adoption_key[live] < share[:, None])
    # Some features go unused in any given month.
    used &= rng.random(used.shape) > 0.08
    used[:, 0] = True
    row_account, feature = np.nonzero(used)

    users = state.active_users[live][row_account]
    penetration = cat.FEATURE_POPULARITY[feature] * rng.uniform(0.6, 1.0, len(feature))
    penetration[feature == 0] = 1.0
    feature_users = np.clip(np.round(users * penetration), 1, users).astype(np.int64)

    intensity = cat.FEATURE_EVENTS_PER_USER[feature] * np.exp(0.2 * health[row_account])
    count = 1 + rng.poisson(feature_users * intensity)
    seconds = count * cat.FEATURE_SECONDS_PER_EVENT[feature] * rng.gamma(4.0, 0.25, len(count))
    error_rate = 0.003 * np.exp(-0.6 * health[row_account])
    errors = rng.poisson(count * error_rate)
    day = random_days(rng, first_day[row_account], last_day[row_account])
    before, after, change_day = (rows[row_account] for rows in core_rows)
    core_row = np.where(day < change_day, before, after)

    return pd.DataFrame(
        {
            "account_id": accounts.account_id[live][row_account],
            "subscription_id": subscription_ids(core_row),
            "usage_date": day,
            "feature": cat.FEATURES[feature],
            "usage_count": count,
            "duration_secs": np.round(seconds, 1),
            "error_count": errors,
            "active_users": feature_users,
            "is_premium": cat.FEATURE_PREMIUM[feature],
        }
    )


def _unlocked_features(state: State, live: np.ndarray) -> np.ndarray:
    unlock = cat.FEATURE_UNLOCK
    unlocked = np.broadcast_to(unlock == cat.CORE, (len(live), len(unlock))).copy()
    unlocked[:, unlock == cat.PRO_TIER] = (state.tier[live] >= 1)[:, None]
    for addon in range(len(cat.ADDONS)):
        unlocked[:, unlock == addon] = state.addon_held[live, addon][:, None]
    return unlocked


def ticket_rows(
    rng: np.random.Generator,
    state: State,
    live: np.ndarray,
    first_day: np.ndarray,
    last_day: np.ndarray,
) -> dict[str, np.ndarray]:
    """Return the tickets live accounts open in the month; poor health raises count and severity."""
    health = state.health[live]
    rate = 0.07 * state.seats[live] ** 0.35 * np.exp(-0.55 * health)
    counts = rng.poisson(rate)
    owner = np.repeat(np.arange(len(live)), counts)
    n = len(owner)
    ticket_health = health[owner]

    opened = random_days(rng, first_day[owner], last_day[owner])
    severity = rng.normal(0.0, 1.0, n) - 0.5 * ticket_health
    priority = np.searchsorted(np.array([-0.2, 0.8, 1.6]), severity)
    median_hours = np.array([30.0, 18.0, 8.0, 4.0])[priority]
    hours = np.round(median_hours * np.exp(rng.normal(0.0, 0.8, n) - 0.3 * ticket_health), 1)
    hours = np.maximum(hours, 0.1)
    closed = opened + np.floor(hours / 24.0).astype(np.int64)

    satisfaction = np.clip(
        np.round(3.8 + 0.6 * ticket_health - 0.3 * np.log(hours / 24.0) + rng.normal(0, 0.8, n)),
        1,
        5,
    )
    satisfaction[rng.random(n) < SATISFACTION_MISSING_SHARE] = np.nan
    escalated = rng.random(n) < 1.0 / (1.0 + np.exp(3.2 - 1.2 * severity))

    return {
        "account": live[owner],
        "opened_at": opened,
        "closed_at": closed,
        "priority": priority,
        "resolution_hours": hours,
        "satisfaction": satisfaction,
        "escalated": escalated,
    }


def survey_rows(
    rng: np.random.Generator,
    accounts: Accounts,
    state: State,
    live: np.ndarray,
    first_day: np.ndarray,
    last_day: np.ndarray,
    month: int,
) -> dict[str, np.ndarray]:
    """Return NPS responses: responders get a survey once a quarter and most respond."""
    surveyed = accounts.survey_responder[live] & ((month + accounts.survey_phase[live]) % 3 == 0)
    answered = surveyed & (rng.random(len(live)) < SURVEY_RESPONSE_SHARE)
    pick = np.flatnonzero(answered)
    health = state.health[live][pick]
    score = np.clip(np.round(6.8 + 1.6 * health + rng.normal(0.0, 1.3, len(pick))), 0, 10)
    return {
        "account": live[pick],
        "survey_date": random_days(rng, first_day[pick], last_day[pick]),
        "score": score,
    }
