"""Latent account state and the monthly hazards of expansion, downgrade and churn.

The hazards of month t read the state at the end of month t-1, which the
exported usage, tickets and surveys of months up to t-1 reveal with noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from expansion_propensity.synthetic import catalogue as cat

# Expansion log-odds intercept per segment (SMB, Mid-Market, Enterprise).
EXPANSION_BASE = np.array([-3.85, -3.75, -3.65])
# How much seat utilisation drives expansion per segment: SMB grows by seats,
# Enterprise mostly by cross-sell and new departments.
UTILISATION_WEIGHT = np.array([1.0, 0.75, 0.35])
CROSS_SELL_WEIGHT = np.array([0.2, 0.9, 1.8])
# Tenure (months) at which the expansion appetite peaks.
PEAK_TENURE_MONTHS = 15.0
CHURN_SEGMENT_SHIFT = np.array([0.35, 0.0, -0.7])


@dataclass
class State:
    """Mutable per-account state carried from month to month."""

    started: np.ndarray
    alive: np.ndarray
    churn_date: np.ndarray
    tier: np.ndarray
    seats: np.ndarray
    core_arr: np.ndarray
    addon_held: np.ndarray
    addon_arr: np.ndarray
    demand: np.ndarray
    health: np.ndarray
    trajectory: np.ndarray
    # Latent activity of the last four months, newest last, for usage growth.
    activity: np.ndarray
    months_since_change: np.ndarray
    core_row: np.ndarray
    addon_row: np.ndarray

    @property
    def total_arr(self) -> np.ndarray:
        return self.core_arr + self.addon_arr.sum(axis=1)

    @property
    def active_users(self) -> np.ndarray:
        # Users beyond the seats share logins or wait for a true-up, so active
        # users can exceed purchased seats by up to 12%.
        return np.maximum(1.0, np.round(np.minimum(self.demand, 1.12 * self.seats)))

    @property
    def utilisation(self) -> np.ndarray:
        return self.active_users / np.maximum(self.seats, 1)

    @property
    def usage_growth(self) -> np.ndarray:
        recent = self.activity[:, -1]
        before = self.activity[:, :-1].mean(axis=1)
        return np.log((recent + 1.0) / (before + 1.0))


def core_arr_for(tier: np.ndarray, seats: np.ndarray, price_factor: np.ndarray) -> np.ndarray:
    """Return the core ARR in whole dollars for a tier and seat count."""
    return np.round(seats * cat.PRICE_PER_SEAT[tier] * price_factor)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def adoption_share(tenure_months: np.ndarray, health: np.ndarray) -> np.ndarray:
    """Return the share of the available catalogue an account uses; it grows with tenure."""
    share = 0.25 + 0.5 * (1.0 - np.exp(-tenure_months / 10.0)) + 0.08 * health
    return np.clip(share, 0.1, 1.0)


def next_renewal(since: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Return the first anniversary of ``since`` on or after ``on`` (annual co-termed terms)."""
    since_month = since.astype("datetime64[M]")
    since_day = (since - since_month.astype("datetime64[D]")).astype(np.int64)
    months_between = (on.astype("datetime64[M]") - since_month).astype(np.int64)
    years = np.maximum(np.ceil(months_between / 12.0).astype(np.int64), 1)

    candidate = _anniversary(since_month, since_day, years)
    late = candidate < on
    candidate[late] = _anniversary(since_month[late], since_day[late], years[late] + 1)
    return candidate


def _anniversary(since_month: np.ndarray, since_day: np.ndarray, years: np.ndarray) -> np.ndarray:
    month = since_month + 12 * years
    days_in_month = ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(
        np.int64
    )
    return month.astype("datetime64[D]") + np.minimum(since_day, days_in_month - 1)


@dataclass
class Drivers:
    """The observable-through-events state that sets one month's hazards."""

    segment: np.ndarray
    industry: np.ndarray
    budget: np.ndarray
    utilisation: np.ndarray
    health: np.ndarray
    growth: np.ndarray
    tenure_months: np.ndarray
    months_since_change: np.ndarray
    days_to_renewal: np.ndarray
    renewal_in_month: np.ndarray
    breadth: np.ndarray
    addons_missing: np.ndarray
    tier: np.ndarray


def expansion_hazard(d: Drivers) -> np.ndarray:
    """Return the monthly probability of a qualifying expansion."""
    u = d.utilisation
    # Steep rise once the seats are nearly full; idle seats hold expansion back.
    near_capacity = np.clip((u - 0.85) / 0.15, 0.0, 1.5)
    idle = np.clip((0.55 - u) / 0.3, 0.0, 1.0)
    utilisation_term = UTILISATION_WEIGHT[d.segment] * (2.6 * near_capacity - 0.8 * idle)

    # Growth in usage only turns into purchases when the account is healthy.
    growth_term = 2.2 * np.clip(d.growth, -0.6, 0.6) * sigmoid(2.0 * d.health)

    # Very new and very old accounts expand less than mid-tenure ones.
    tenure_term = -0.75 * np.log((d.tenure_months + 1.0) / PEAK_TENURE_MONTHS) ** 2

    cross_sell_term = CROSS_SELL_WEIGHT[d.segment] * d.breadth * d.addons_missing / 3.0
    renewal_term = np.where(d.days_to_renewal <= 75, 0.5, 0.0)
    cooldown_term = np.where(d.months_since_change < 3, -1.1, 0.0)
    top_of_ladder = np.where((d.tier == 2) & (d.addons_missing == 0), -0.4, 0.0)

    log_odds = (
        EXPANSION_BASE[d.segment]
        + utilisation_term
        + 0.45 * d.health
        + growth_term
        + tenure_term
        + cross_sell_term
        + renewal_term
        + cooldown_term
        + top_of_ladder
        + cat.INDUSTRY_EXPANSION_SHIFT[d.industry]
        + d.budget
    )
    return sigmoid(log_odds)


def churn_hazard(d: Drivers) -> np.ndarray:
    """Return the monthly probability of churn; most churn lands on a renewal date."""
    idle = np.clip((0.5 - d.utilisation) / 0.3, 0.0, 1.0)
    log_odds = (
        -6.3
        - 0.95 * d.health
        + 1.3 * idle
        + np.where(d.renewal_in_month, 2.6, 0.0)
        + np.where(d.tenure_months < 6, 0.4, 0.0)
        + CHURN_SEGMENT_SHIFT[d.segment]
    )
    return sigmoid(log_odds)


def downgrade_hazard(d: Drivers) -> np.ndarray:
    """Return the monthly probability of a downgrade (fewer seats, lower tier, dropped add-on)."""
    idle = np.clip((0.6 - d.utilisation) / 0.3, 0.0, 1.0)
    log_odds = -5.8 - 0.7 * d.health + 1.2 * idle + np.where(d.renewal_in_month, 1.6, 0.0)
    return sigmoid(log_odds)


def horizon_probability(drivers_by_month: list[Drivers]) -> np.ndarray:
    """Return P(expansion within the horizon) with the state held at the snapshot.

    Each month an account first survives churn, then expands with the expansion
    hazard; a month without expansion passes the account on to the next.
    """
    p_expand = np.zeros(len(drivers_by_month[0].segment))
    still_open = np.ones_like(p_expand)
    for d in drivers_by_month:
        survive = 1.0 - churn_hazard(d)
        expand = expansion_hazard(d)
        p_expand += still_open * survive * expand
        still_open *= survive * (1.0 - expand)
    return p_expand


def evolve(rng: np.random.Generator, state: State, live: np.ndarray) -> None:
    """Move the latent demand, health and activity of ``live`` accounts one month on."""
    n = len(live)
    switch = rng.random(n) < 0.03
    new_trajectory = rng.choice(3, size=n, p=cat.TRAJECTORY_SHARES)
    state.trajectory[live] = np.where(switch, new_trajectory, state.trajectory[live])
    trajectory = state.trajectory[live]

    growth = cat.TRAJECTORY_DEMAND_GROWTH[trajectory] + rng.normal(0.0, 0.04, n)
    state.demand[live] = np.maximum(1.0, state.demand[live] * np.exp(growth))

    health = state.health[live]
    pull = cat.TRAJECTORY_HEALTH_TARGET[trajectory] - health
    state.health[live] = health + 0.2 * pull + rng.normal(0.0, 0.3, n)

    activity = state.active_users[live] * np.exp(0.25 * state.health[live])
    state.activity[live] = np.column_stack([state.activity[live][:, 1:], activity])
    state.months_since_change[live] += 1
