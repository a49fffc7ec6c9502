"""Context features: who the account is and what it holds, outside the formula."""

from __future__ import annotations

import numpy as np
import pandas as pd

from expansion_propensity.config import LabelConfig
from expansion_propensity.features.calendar import Grid, arr_before
from expansion_propensity.features.prepare import Prepared
from expansion_propensity.features.timeline import (
    NEVER,
    count_covering,
    merge_intervals,
    step_sum,
)


def context_features(
    prepared: Prepared, grid: Grid, labels: LabelConfig
) -> dict[str, np.ndarray | pd.Series]:
    """Compute segment, plan_tier, industry, arr, seats, products and prior_expansions."""
    subscriptions = prepared.subscriptions
    core = subscriptions[subscriptions["is_core"]]

    return {
        "segment": prepared.accounts["segment"].to_numpy()[grid.code],
        "plan_tier": plan_tier_before(prepared, core, grid.code, grid.day),
        "industry": prepared.accounts["industry"].to_numpy()[grid.code],
        "arr": arr_before(prepared, grid.code, grid.day),
        "seats": step_sum(
            np.concatenate([core["code"], core["code"]]),
            np.concatenate([core["start"], core["end"]]),
            np.concatenate([core["seats"], -core["seats"]]),
            grid.code,
            grid.day,
        ),
        "products": products_before(prepared, grid.code, grid.day),
        "prior_expansions": _prior_expansions(prepared, grid, labels),
    }


def products_before(prepared: Prepared, codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Count the distinct products with a paid period in force on the day before ``days``."""
    subscriptions = prepared.subscriptions
    n_products = int(subscriptions["product_code"].max()) + 1 if len(subscriptions) else 1
    pair = subscriptions["code"].to_numpy() * n_products + subscriptions["product_code"].to_numpy()
    pair, starts, ends = merge_intervals(pair, subscriptions["start"], subscriptions["end"])
    return count_covering(pair // n_products, starts, ends, codes, days)


def tier_rank_before(
    periods: pd.DataFrame,
    group_codes: np.ndarray,
    codes: np.ndarray,
    days: np.ndarray,
    n_tiers: int,
) -> np.ndarray:
    """Return the highest tier rank in force per query among ``periods`` grouped by
    ``group_codes``, or -1 when none is in force.
    """
    rank = np.full(len(codes), -1, dtype=np.int64)
    # One pass per tier: tiers are a handful, and each pass is vectorised over all rows.
    for tier in range(n_tiers):
        of_tier = (periods["tier_rank"] == tier).to_numpy()
        in_force = count_covering(
            group_codes[of_tier],
            periods["start"].to_numpy()[of_tier],
            periods["end"].to_numpy()[of_tier],
            codes,
            days,
        )
        rank = np.where(in_force > 0, tier, rank)
    return rank


def plan_tier_before(
    prepared: Prepared, core: pd.DataFrame, codes: np.ndarray, days: np.ndarray
) -> pd.Series:
    """Return the highest core-product tier in force, <NA> without a core period."""
    tiers = prepared.tier_order
    rank = tier_rank_before(core, core["code"].to_numpy(), codes, days, len(tiers))
    names = pd.array(list(tiers) + [pd.NA], dtype="string")
    return pd.Series(names[np.where(rank >= 0, rank, len(tiers))], dtype="string")


def expansion_changes(prepared: Prepared, labels: LabelConfig) -> pd.DataFrame:
    """Return the days on which an account's ARR rose by a qualifying amount.

    Each day's net change across all periods starting or ending that day is
    compared with the ARR in force before it, using the label thresholds, so a
    renewal that replaces a period on the same day counts only its increase.
    """
    subscriptions = prepared.subscriptions
    changes = pd.DataFrame(
        {
            "code": np.concatenate([subscriptions["code"], subscriptions["code"]]),
            "day": np.concatenate([subscriptions["start"], subscriptions["end"]]),
            "delta": np.concatenate([subscriptions["arr"], -subscriptions["arr"]]),
        }
    )
    changes = changes[changes["day"] < NEVER]
    daily = changes.groupby(["code", "day"], sort=True)["delta"].sum().reset_index()
    after = daily.groupby("code")["delta"].cumsum().round(2)
    before = after - daily["delta"]

    threshold = np.maximum(labels.min_increase_pct * before, labels.min_increase_amount)
    qualifying = (before > 0) & (daily["delta"] > 0) & (daily["delta"] >= threshold)
    return daily.loc[qualifying, ["code", "day"]].reset_index(drop=True)


def _prior_expansions(prepared: Prepared, grid: Grid, labels: LabelConfig) -> np.ndarray:
    expansions = expansion_changes(prepared, labels)
    return step_sum(expansions["code"], expansions["day"], 1.0, grid.code, grid.day)
