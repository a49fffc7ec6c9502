"""Expansion labels: did ARR rise enough within the horizon after each snapshot?

The label window of a snapshot at day s is [s, s + horizon): a change dated s
counts, one dated s + horizon does not. ARR at the window's end (in force on
day s + horizon - 1) is compared with ARR in force on day s - 1. The label is
therefore net: a rise that is reversed inside the window is not an expansion,
and a downgrade offsets an upgrade. A churn dated inside the window makes the
label 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from expansion_propensity.config import LabelConfig
from expansion_propensity.features.calendar import ARR_EPSILON, Grid, arr_before
from expansion_propensity.features.context import tier_rank_before
from expansion_propensity.features.prepare import Prepared
from expansion_propensity.features.timeline import step_sum

EXPANSION_TYPES = ("seats", "upgrade", "cross_sell")
NO_EXPANSION = "none"


@dataclass(frozen=True)
class Labels:
    """Label columns aligned with the grid rows."""

    label: pd.Series
    expansion_amount: np.ndarray
    expansion_type: pd.Series


def label_grid(prepared: Prepared, grid: Grid, labels: LabelConfig, as_of_day: int) -> Labels:
    """Label each grid row; rows whose window runs past the as-of date stay unlabelled."""
    horizon = labels.horizon_days
    labelled = grid.day + horizon - 1 <= as_of_day

    before = arr_before(prepared, grid.code, grid.day)
    after = arr_before(prepared, grid.code, grid.day + horizon)
    increase = np.round(after - before, 2)
    threshold = np.maximum(labels.min_increase_pct * before, labels.min_increase_amount)
    churned = _churns_in_window(prepared, grid, horizon) > 0
    positive = (increase > ARR_EPSILON) & (increase >= threshold) & ~churned

    label = pd.array(np.where(positive, 1, 0), dtype="Int8")
    label[~labelled] = pd.NA
    amount = np.where(positive, increase, 0.0)
    amount[~labelled] = np.nan

    kind = np.full(len(grid), NO_EXPANSION, dtype=object)
    rows = np.flatnonzero(positive & labelled)
    kind[rows] = _expansion_types(prepared, grid.code[rows], grid.day[rows], horizon)
    kind[~labelled] = None
    return Labels(
        label=pd.Series(label),
        expansion_amount=amount,
        expansion_type=pd.Series(kind, dtype="string"),
    )


def _churns_in_window(prepared: Prepared, grid: Grid, horizon: int) -> np.ndarray:
    churn = prepared.churn
    until_end = step_sum(churn["code"], churn["day"], 1.0, grid.code, grid.day + horizon)
    until_start = step_sum(churn["code"], churn["day"], 1.0, grid.code, grid.day)
    return until_end - until_start


def _expansion_types(
    prepared: Prepared, codes: np.ndarray, days: np.ndarray, horizon: int
) -> np.ndarray:
    """Name the largest contributor to each expansion.

    Contributions are compared per product. ARR of a product not held before is
    cross-sell. The ARR change of a product held on both days is an upgrade when
    its highest tier rose, and seats otherwise. Ties go to seats, then upgrade,
    then cross-sell.
    """
    if len(codes) == 0:
        return np.array([], dtype=object)
    subscriptions = prepared.subscriptions
    n_products = int(subscriptions["product_code"].max()) + 1
    period_pair = subscriptions["code"].to_numpy() * n_products + subscriptions["product_code"]

    # One row per (expansion, product the account ever held).
    pairs = np.unique(period_pair.to_numpy())
    rows = pd.DataFrame({"row": np.arange(len(codes)), "code": codes, "day": days}).merge(
        pd.DataFrame({"code": pairs // n_products, "pair": pairs}), on="code"
    )
    pair, start, end = rows["pair"].to_numpy(), rows["day"].to_numpy(), rows["day"] + horizon
    end = end.to_numpy()

    arr_start = _pair_arr(subscriptions, period_pair, pair, start)
    arr_end = _pair_arr(subscriptions, period_pair, pair, end)
    n_tiers = len(prepared.tier_order)
    tier_start = tier_rank_before(subscriptions, period_pair.to_numpy(), pair, start, n_tiers)
    tier_end = tier_rank_before(subscriptions, period_pair.to_numpy(), pair, end, n_tiers)

    held_start, held_end = arr_start > ARR_EPSILON, arr_end > ARR_EPSILON
    both = held_start & held_end
    change = arr_end - arr_start
    contributions = np.column_stack(
        [
            np.bincount(
                rows["row"], np.where(both & (tier_end <= tier_start), change, 0), len(codes)
            ),
            np.bincount(
                rows["row"], np.where(both & (tier_end > tier_start), change, 0), len(codes)
            ),
            np.bincount(rows["row"], np.where(~held_start & held_end, arr_end, 0), len(codes)),
        ]
    )
    return np.asarray(EXPANSION_TYPES, dtype=object)[np.argmax(contributions, axis=1)]


def _pair_arr(
    subscriptions: pd.DataFrame, period_pair: pd.Series, pair: np.ndarray, days: np.ndarray
) -> np.ndarray:
    arr = step_sum(
        np.concatenate([period_pair, period_pair]),
        np.concatenate([subscriptions["start"], subscriptions["end"]]),
        np.concatenate([subscriptions["arr"], -subscriptions["arr"]]),
        pair,
        days,
    )
    return np.round(arr, 2)
