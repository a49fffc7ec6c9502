"""Contract changes of one month: expansions, downgrades and churn, written to the ledger."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from expansion_propensity.synthetic import catalogue as cat
from expansion_propensity.synthetic.accounts import Accounts
from expansion_propensity.synthetic.dynamics import State, core_arr_for
from expansion_propensity.synthetic.ledger import SubscriptionLedger

SEAT_ADD, DEPARTMENT, UPGRADE, CROSS_SELL = 0, 1, 2, 3
EXPANSION_KINDS = np.array(["seat_add", "department", "tier_upgrade", "cross_sell"])
# Base odds of each expansion kind per segment (rows SMB, Mid-Market, Enterprise).
KIND_WEIGHTS = np.array(
    [
        [0.65, 0.00, 0.25, 0.10],
        [0.38, 0.12, 0.22, 0.28],
        [0.12, 0.33, 0.10, 0.45],
    ]
)
# A qualifying expansion raises ARR by at least this share and amount; the
# generator adds a margin so whole-dollar rounding never lands below them.
MIN_INCREASE_SHARE = 0.10
MIN_INCREASE_AMOUNT = 1000.0


@dataclass
class ChangeLog:
    """Expansion, downgrade and churn events, kept for the manifest and the summary."""

    account: list[np.ndarray]
    date: list[np.ndarray]
    kind: list[np.ndarray]
    arr_before: list[np.ndarray]
    arr_after: list[np.ndarray]

    @classmethod
    def empty(cls) -> ChangeLog:
        return cls([], [], [], [], [])

    def add(
        self,
        account: np.ndarray,
        date: np.ndarray,
        kind: np.ndarray | str,
        before: np.ndarray,
        after: np.ndarray,
    ) -> None:
        self.account.append(account)
        self.date.append(date)
        self.kind.append(np.broadcast_to(kind, account.shape).astype(object))
        self.arr_before.append(before)
        self.arr_after.append(after)

    def arrays(self) -> dict[str, np.ndarray]:
        if not self.account:
            return {"account": np.array([], dtype=np.int64), "date": np.array([], "datetime64[D]")}
        return {
            "account": np.concatenate(self.account),
            "date": np.concatenate(self.date),
            "kind": np.concatenate(self.kind),
            "arr_before": np.concatenate(self.arr_before),
            "arr_after": np.concatenate(self.arr_after),
        }


def required_increase(total_arr: np.ndarray) -> np.ndarray:
    """Return the smallest ARR increase that qualifies, with a rounding margin."""
    return np.maximum(MIN_INCREASE_SHARE * total_arr, MIN_INCREASE_AMOUNT) * 1.01 + 1.0


def expand(
    rng: np.random.Generator,
    accounts: Accounts,
    state: State,
    ledger: SubscriptionLedger,
    log: ChangeLog,
    idx: np.ndarray,
    date: np.ndarray,
) -> None:
    """Apply one expansion to each account in ``idx``, effective on ``date``."""
    if len(idx) == 0:
        return
    kind = _choose_kind(rng, accounts, state, idx)
    before = state.total_arr[idx]

    addon = kind == CROSS_SELL
    _cross_sell(rng, state, ledger, idx[addon], date[addon])
    core = ~addon
    _grow_core(rng, accounts, state, ledger, idx[core], date[core], kind[core])

    log.add(idx, date, EXPANSION_KINDS[kind], before, state.total_arr[idx])
    state.months_since_change[idx] = 0


def _choose_kind(
    rng: np.random.Generator, accounts: Accounts, state: State, idx: np.ndarray
) -> np.ndarray:
    weights = KIND_WEIGHTS[accounts.segment[idx]].copy()
    # Full seats make a seat purchase the natural next step.
    weights[:, SEAT_ADD] *= np.where(state.utilisation[idx] > 0.85, 2.0, 1.0)
    weights[:, UPGRADE] *= state.tier[idx] < 2
    weights[:, CROSS_SELL] *= ~state.addon_held[idx].all(axis=1)
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    draw = rng.random(len(idx))[:, None]
    return np.minimum((draw > cumulative).sum(axis=1), 3)


def _grow_core(
    rng: np.random.Generator,
    accounts: Accounts,
    state: State,
    ledger: SubscriptionLedger,
    idx: np.ndarray,
    date: np.ndarray,
    kind: np.ndarray,
) -> None:
    seats = state.seats[idx]
    tier = state.tier[idx] + (kind == UPGRADE)
    growth = np.where(kind == DEPARTMENT, rng.uniform(0.3, 0.9, len(idx)), 0.0)
    growth = np.where(kind == SEAT_ADD, rng.uniform(0.12, 0.45, len(idx)), growth)
    new_seats = np.ceil(seats * (1.0 + growth)).astype(np.int64)
    # Seat buyers cover the users already waiting for a seat.
    waiting = np.ceil(state.demand[idx] * rng.uniform(1.0, 1.2, len(idx))).astype(np.int64)
    new_seats = np.where(kind == SEAT_ADD, np.maximum(new_seats, waiting), new_seats)

    # Top up the seats until the increase clears the qualifying threshold.
    factor = accounts.price_factor[idx]
    shortfall = required_increase(state.total_arr[idx]) - (
        core_arr_for(tier, new_seats, factor) - state.core_arr[idx]
    )
    seat_price = cat.PRICE_PER_SEAT[tier] * factor
    new_seats += np.ceil(np.maximum(shortfall, 0.0) / seat_price).astype(np.int64)

    _replace_core(accounts, state, ledger, idx, date, tier, new_seats)


def _replace_core(
    accounts: Accounts,
    state: State,
    ledger: SubscriptionLedger,
    idx: np.ndarray,
    date: np.ndarray,
    tier: np.ndarray,
    seats: np.ndarray,
) -> None:
    ledger.close(state.core_row[idx], date)
    state.tier[idx] = tier
    state.seats[idx] = seats
    state.core_arr[idx] = core_arr_for(tier, seats, accounts.price_factor[idx])
    state.core_row[idx] = ledger.open(idx, -1, date, tier, seats, state.core_arr[idx])


def _cross_sell(
    rng: np.random.Generator,
    state: State,
    ledger: SubscriptionLedger,
    idx: np.ndarray,
    date: np.ndarray,
) -> None:
    if len(idx) == 0:
        return
    # Pick a random add-on the account lacks.
    score = rng.random((len(idx), len(cat.ADDONS))) - 2.0 * state.addon_held[idx]
    addon = np.argmax(score, axis=1)
    price = np.maximum(
        cat.ADDON_PRICE_SHARE[addon] * state.core_arr[idx] * rng.uniform(0.8, 1.3, len(idx)),
        np.maximum(required_increase(state.total_arr[idx]), cat.ADDON_MIN_ARR),
    )
    price = np.ceil(price / 10.0) * 10.0
    state.addon_held[idx, addon] = True
    state.addon_arr[idx, addon] = price
    state.addon_row[idx, addon] = ledger.open(idx, addon, date, state.tier[idx], 0, price)


def downgrade(
    rng: np.random.Generator,
    accounts: Accounts,
    state: State,
    ledger: SubscriptionLedger,
    log: ChangeLog,
    idx: np.ndarray,
    date: np.ndarray,
) -> None:
    """Apply one downgrade to each account in ``idx``: fewer seats, a lower tier or a dropped add-on."""
    if len(idx) == 0:
        return
    before = state.total_arr[idx]
    has_addon = state.addon_held[idx].any(axis=1)
    drop_addon = has_addon & (rng.random(len(idx)) < 0.35)
    tier_down = ~drop_addon & (state.tier[idx] > 0) & (rng.random(len(idx)) < 0.25)
    seat_cut = ~drop_addon & ~tier_down

    sub = idx[drop_addon]
    score = rng.random((len(sub), len(cat.ADDONS))) + 2.0 * state.addon_held[sub]
    addon = np.argmax(score, axis=1)
    ledger.close(state.addon_row[sub, addon], date[drop_addon])
    state.addon_held[sub, addon] = False
    state.addon_arr[sub, addon] = 0.0
    state.addon_row[sub, addon] = -1

    core = tier_down | seat_cut
    seats = state.seats[idx]
    cut = np.floor(seats * (1.0 - rng.uniform(0.15, 0.4, len(idx)))).astype(np.int64)
    new_seats = np.where(seat_cut, np.maximum(cut, 1), seats)
    new_tier = state.tier[idx] - tier_down
    _replace_core(accounts, state, ledger, idx[core], date[core], new_tier[core], new_seats[core])

    log.add(idx, date, "downgrade", before, state.total_arr[idx])
    state.months_since_change[idx] = 0


def churn(
    rng: np.random.Generator,
    state: State,
    ledger: SubscriptionLedger,
    idx: np.ndarray,
    date: np.ndarray,
    reasons: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> None:
    """Close every open period of the accounts in ``idx`` and mark them churned on ``date``."""
    if len(idx) == 0:
        return
    ledger.close(state.core_row[idx], date)
    for addon in range(len(cat.ADDONS)):
        ledger.close(state.addon_row[idx, addon], date)
    state.alive[idx] = False
    state.churn_date[idx] = date
    state.core_row[idx] = -1
    state.addon_row[idx] = -1

    # Unhealthy accounts leave over fit and support; healthy ones over budget or a rival.
    unhealthy = state.health[idx] < -0.3
    healthy_reason = rng.choice([0, 2, 4], size=len(idx), p=[0.5, 0.35, 0.15])
    unhealthy_reason = rng.choice([1, 3, 2], size=len(idx), p=[0.5, 0.35, 0.15])
    reasons.append(
        (idx, date, cat.CHURN_REASONS[np.where(unhealthy, unhealthy_reason, healthy_reason)])
    )
