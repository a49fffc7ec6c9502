"""Draw the accounts: firmographics, join dates, starting plan and hidden traits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from expansion_propensity.synthetic import catalogue as cat

# Share of accounts that were already customers when the window opens.
PRE_WINDOW_SHARE = 0.40
# Pre-window accounts joined between 1 and 6 years before the window opens.
PRE_WINDOW_YEARS = (1.0, 6.0)

NAME_PREFIXES = np.array(
    ["North", "Blue", "Iron", "Bright", "Silver", "Cedar", "Summit", "Harbor", "Nova", "Maple"]
    + ["Granite", "Atlas", "Pioneer", "Clear", "Swift", "Vertex", "Lumen", "Orbit"]
)
NAME_SUFFIXES = np.array(
    ["Labs", "Systems", "Partners", "Health", "Retail", "Works", "Analytics", "Group", "Media"]
    + ["Logistics", "Capital", "Foods", "Learning", "Energy", "Studio", "Networks"]
)


@dataclass
class Accounts:
    """Fixed account attributes, one array entry per account."""

    account_id: np.ndarray
    account_name: np.ndarray
    segment: np.ndarray
    industry: np.ndarray
    region: np.ndarray
    customer_since: np.ndarray
    # Index of the window month the account joins in; -1 for pre-window accounts.
    join_month: np.ndarray
    # Price paid per list-price dollar: segment discount times a per-deal factor.
    price_factor: np.ndarray
    # Hidden appetite to buy more: shifts the expansion log-odds and never shows
    # in any exported table, so it bounds how well a model can do.
    budget: np.ndarray
    trajectory: np.ndarray
    # Order in which the account adopts features: a feature is used once the
    # adoption share exceeds its key. Popular features get small keys.
    adoption_key: np.ndarray
    survey_responder: np.ndarray
    survey_phase: np.ndarray

    @property
    def size(self) -> int:
        return len(self.account_id)


def draw_accounts(rng: np.random.Generator, n: int, starts: np.ndarray) -> Accounts:
    """Draw ``n`` accounts whose join dates spread before and through the window."""
    width = max(6, len(str(n)))
    account_id = np.array([f"ACC-{i:0{width}d}" for i in range(1, n + 1)])
    names = (
        rng.choice(NAME_PREFIXES, n).astype(object)
        + " "
        + rng.choice(NAME_SUFFIXES, n).astype(object)
        + " "
        + np.arange(1, n + 1).astype(str).astype(object)
    )

    segment = rng.choice(3, size=n, p=cat.SEGMENT_SHARES)
    industry = rng.choice(len(cat.INDUSTRIES), size=n, p=cat.INDUSTRY_SHARES)
    region = rng.choice(len(cat.REGIONS), size=n, p=cat.REGION_SHARES)
    customer_since, join_month = _draw_join_dates(rng, n, starts)

    segment_discount = np.array([1.0, 0.9, 0.78])[segment]
    price_factor = segment_discount * np.exp(rng.normal(0.0, 0.10, n))

    popularity = cat.FEATURE_POPULARITY[None, :]
    # Key = U ** popularity-weighted power keeps popular features early in the order.
    adoption_key = rng.random((n, len(cat.FEATURES))) ** (0.6 + 2.0 * popularity)
    adoption_key[:, 0] = 0.0

    return Accounts(
        account_id=account_id,
        account_name=names.astype(str),
        segment=segment,
        industry=industry,
        region=region,
        customer_since=customer_since,
        join_month=join_month,
        price_factor=price_factor,
        budget=rng.normal(0.0, 0.45, n),
        trajectory=rng.choice(3, size=n, p=cat.TRAJECTORY_SHARES),
        adoption_key=adoption_key,
        survey_responder=rng.random(n) < 0.55,
        survey_phase=rng.integers(0, 3, n),
    )


def _draw_join_dates(
    rng: np.random.Generator, n: int, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return customer_since dates and the window month each account joins in."""
    months = len(starts)
    pre_window = rng.random(n) < PRE_WINDOW_SHARE

    low, high = PRE_WINDOW_YEARS
    days_before = np.round(rng.uniform(low, high, n) * 365.25).astype(np.int64)
    since_pre = starts[0] - days_before

    # Joins within the window grow over time, as a growing vendor's do.
    # The last month gets none, so every account has a full month of history.
    weights = np.linspace(1.0, 1.6, max(months - 1, 1))
    join_month = rng.choice(len(weights), size=n, p=weights / weights.sum())
    month_end = np.append(starts[1:], starts[-1] + 31)
    month_days = (month_end - starts).astype(np.int64)
    day_offset = np.floor(rng.random(n) * month_days[join_month]).astype(np.int64)
    since_in = starts[join_month] + day_offset

    customer_since = np.where(pre_window, since_pre, since_in)
    join_month = np.where(pre_window, -1, join_month)
    return customer_since, join_month
