"""Run the monthly simulation and write the export and its truth."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from expansion_propensity.errors import InputError
from expansion_propensity.synthetic import catalogue as cat
from expansion_propensity.synthetic import changes, dynamics, events, writer
from expansion_propensity.synthetic.accounts import Accounts, draw_accounts
from expansion_propensity.synthetic.dynamics import Drivers, State
from expansion_propensity.synthetic.ledger import SubscriptionLedger

logger = logging.getLogger(__name__)

MIN_ACCOUNTS = 10
MIN_MONTHS = 12
HORIZON_MONTHS = 3
DAYS_PER_MONTH = 365.25 / 12.0
NAT = np.datetime64("NaT", "D")

ProgressCallback = Callable[[int, int], None]


def generate_export(
    out_dir: Path,
    n_accounts: int = 5000,
    months: int = 36,
    seed: int = 42,
    truth_dir: Path | None = None,
    progress: ProgressCallback | None = None,
) -> dict:
    """Simulate ``n_accounts`` over ``months`` months and write the export to ``out_dir``.

    The true expansion probabilities go to ``truth_dir`` (default: the sibling
    folder ``<out_dir>_truth``), never inside the export. ``progress`` is called
    with (months done, months) after each simulated month. Returns the summary
    also written to ``truth_dir/manifest.json``.
    """
    out_dir = Path(out_dir)
    truth_dir = Path(truth_dir) if truth_dir is not None else default_truth_dir(out_dir)
    _check_arguments(out_dir, truth_dir, n_accounts, months)
    started_at = time.perf_counter()

    sim = Simulation(n_accounts, months, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    with writer.UsageWriter(out_dir / "usage.csv") as usage_out:
        for month in range(months):
            sim.step(month, usage_out)
            if progress is not None:
                progress(month + 1, months)

    tables = sim.tables()
    summary = writer.write_export(out_dir, tables, usage_rows=usage_out.rows)
    summary.update(sim.summary())
    summary.update(
        seed=seed,
        accounts=n_accounts,
        months=months,
        window_start=str(sim.starts[0]),
        window_end=str(cat.WINDOW_END),
        export_dir=str(out_dir),
        truth_dir=str(truth_dir),
    )
    writer.write_truth(truth_dir, sim.truth(), summary)
    summary["seconds"] = round(time.perf_counter() - started_at, 1)
    logger.debug(
        "generated %s accounts x %s months in %.1f s", n_accounts, months, summary["seconds"]
    )
    return summary


def default_truth_dir(out_dir: Path) -> Path:
    """Return the sibling folder ``<out_dir>_truth`` that keeps the truth out of the export."""
    return out_dir.parent / f"{out_dir.name}_truth"


def _check_arguments(out_dir: Path, truth_dir: Path, n_accounts: int, months: int) -> None:
    if n_accounts < MIN_ACCOUNTS:
        raise InputError(
            f"n_accounts={n_accounts} is too small; use at least {MIN_ACCOUNTS} accounts"
        )
    if months < MIN_MONTHS:
        raise InputError(
            f"months={months} is too short; use at least {MIN_MONTHS} months so that snapshots "
            "have history and a full label horizon"
        )
    for folder, role in ((out_dir, "export"), (truth_dir, "truth")):
        if folder.exists() and not folder.is_dir():
            raise InputError(
                f"{role} folder {folder} is a file; pass a folder path that is new or a folder"
            )
    out_resolved, truth_resolved = out_dir.resolve(), truth_dir.resolve()
    if truth_resolved == out_resolved or out_resolved in truth_resolved.parents:
        raise InputError(
            f"truth folder {truth_dir} is inside the export folder {out_dir}; choose a folder "
            "outside it so the true probabilities cannot leak into the export"
        )


class Simulation:
    """Monthly simulation state: accounts, their latent state, the ledger and the logs."""

    def __init__(self, n_accounts: int, months: int, seed: int) -> None:
        streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
        self.rng_accounts, self.rng_latent, self.rng_changes = streams[:3]
        self.rng_usage, self.rng_tickets, self.rng_surveys = streams[3:]

        self.starts = cat.month_starts(months)
        self.ends = np.append(self.starts[1:], cat.WINDOW_END + 1) - 1
        self.accounts = draw_accounts(self.rng_accounts, n_accounts, self.starts)
        self.ledger = SubscriptionLedger()
        self.state = initial_state(self.rng_accounts, self.accounts)
        self.log = changes.ChangeLog.empty()
        self.churn_reasons: list = []
        self.tickets: list[dict[str, np.ndarray]] = []
        self.surveys: list[dict[str, np.ndarray]] = []
        self.truth_chunks: list[pd.DataFrame] = []
        self._open_pre_window_accounts()

    def _open_pre_window_accounts(self) -> None:
        pre = np.flatnonzero(self.accounts.join_month < 0)
        since = self.accounts.customer_since[pre]
        # The periods in force when the window opens began at the last change
        # before it, somewhere between signup and the window start.
        last_change = events.random_days(
            self.rng_accounts, since, np.full_like(since, self.starts[0]) - 1
        )
        self._start_accounts(pre, last_change)
        self.state.months_since_change[pre] = (self.starts[0] - last_change).astype(
            np.int64
        ) / DAYS_PER_MONTH

    def _start_accounts(self, idx: np.ndarray, start: np.ndarray) -> None:
        state = self.state
        state.started[idx] = True
        state.core_row[idx] = self.ledger.open(
            idx, -1, start, state.tier[idx], state.seats[idx], state.core_arr[idx]
        )
        for addon in range(len(cat.ADDONS)):
            holders = idx[state.addon_held[idx, addon]]
            state.addon_row[holders, addon] = self.ledger.open(
                holders,
                addon,
                start[state.addon_held[idx, addon]],
                state.tier[holders],
                0,
                state.addon_arr[holders, addon],
            )

    def step(self, month: int, usage_out: writer.UsageWriter) -> None:
        """Simulate one month: hazards at its start, changes, joins, then activity."""
        state = self.state
        month_start, month_end = self.starts[month], self.ends[month]
        active = np.flatnonzero(state.started & state.alive)
        core_before = state.core_row.copy()
        change_day = np.full(self.accounts.size, NAT)

        drivers = [self.drivers(active, month, k) for k in range(HORIZON_MONTHS)]
        self.truth_chunks.append(
            pd.DataFrame(
                {
                    "account_id": self.accounts.account_id[active],
                    "snapshot_date": np.full(len(active), month_start),
                    "p_expand": dynamics.horizon_probability(drivers),
                }
            )
        )
        self._apply_changes(active, drivers[0], month_start, month_end, change_day)

        joiners = np.flatnonzero(self.accounts.join_month == month)
        self._start_accounts(joiners, self.accounts.customer_since[joiners])
        core_before[joiners] = state.core_row[joiners]

        live, first_day, last_day = self._live_in_month(month_start, month_end)
        dynamics.evolve(self.rng_latent, state, live)
        self._record_activity(month, live, first_day, last_day, core_before, change_day, usage_out)

    def drivers(self, idx: np.ndarray, month: int, ahead: int) -> Drivers:
        """Return the hazard drivers of ``idx`` for month ``month + ahead``, state held fixed."""
        state, accounts = self.state, self.accounts
        month_start = (self.starts[month].astype("datetime64[M]") + ahead).astype("datetime64[D]")
        next_start = (month_start.astype("datetime64[M]") + 1).astype("datetime64[D]")
        since = accounts.customer_since[idx]
        at = np.full(len(idx), month_start)
        renewal = dynamics.next_renewal(since, at)
        tenure = (month_start - since).astype(np.int64) / DAYS_PER_MONTH
        return Drivers(
            segment=accounts.segment[idx],
            industry=accounts.industry[idx],
            budget=accounts.budget[idx],
            utilisation=state.utilisation[idx],
            health=state.health[idx],
            growth=state.usage_growth[idx],
            tenure_months=tenure,
            months_since_change=state.months_since_change[idx] + ahead,
            days_to_renewal=(renewal - at).astype(np.int64),
            renewal_in_month=renewal < next_start,
            breadth=dynamics.adoption_share(tenure, state.health[idx]),
            addons_missing=len(cat.ADDONS) - state.addon_held[idx].sum(axis=1),
            tier=state.tier[idx],
        )

    def _apply_changes(self, active, drivers, month_start, month_end, change_day) -> None:
        rng, state = self.rng_changes, self.state
        churn_p = dynamics.churn_hazard(drivers)
        expand_p = (1.0 - churn_p) * dynamics.expansion_hazard(drivers)
        down_p = (1.0 - churn_p - expand_p) * dynamics.downgrade_hazard(drivers)
        draw = rng.random(len(active))
        churned = draw < churn_p
        expanded = ~churned & (draw < churn_p + expand_p)
        downgraded = ~churned & ~expanded & (draw < churn_p + expand_p + down_p)

        # Churn and many changes land on the renewal date when it falls in the month.
        renewal = dynamics.next_renewal(
            self.accounts.customer_since[active], np.full(len(active), month_start)
        )
        in_month = renewal <= month_end
        day = events.random_days(
            rng, np.full(len(active), month_start), np.full(len(active), month_end)
        )
        at_renewal = in_month & (rng.random(len(active)) < np.where(churned, 0.85, 0.4))
        day = np.where(at_renewal, renewal, day)

        changes.churn(rng, state, self.ledger, active[churned], day[churned], self.churn_reasons)
        changes.expand(
            rng, self.accounts, state, self.ledger, self.log, active[expanded], day[expanded]
        )
        changes.downgrade(
            rng, self.accounts, state, self.ledger, self.log, active[downgraded], day[downgraded]
        )
        changed = churned | expanded | downgraded
        change_day[active[changed]] = day[changed]

    def _live_in_month(self, month_start, month_end):
        """Return the accounts with at least one active day in the month and their day range."""
        state, since = self.state, self.accounts.customer_since
        last_day = np.where(state.alive, month_end, state.churn_date - 1)
        first_day = np.maximum(since, month_start)
        live = np.flatnonzero(state.started & (last_day >= first_day) & (last_day >= month_start))
        return live, first_day[live], last_day[live]

    def _record_activity(self, month, live, first_day, last_day, core_before, change_day, out):
        state = self.state
        tenure = (first_day - self.accounts.customer_since[live]).astype(np.int64) / DAYS_PER_MONTH
        core_rows = (core_before[live], state.core_row[live], change_day[live])
        out.write(
            events.usage_rows(
                self.rng_usage, self.accounts, state, live, first_day, last_day, core_rows, tenure
            )
        )
        self.tickets.append(events.ticket_rows(self.rng_tickets, state, live, first_day, last_day))
        self.surveys.append(
            events.survey_rows(
                self.rng_surveys, self.accounts, state, live, first_day, last_day, month
            )
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return every export table except usage, which is written month by month."""
        account_id = self.accounts.account_id
        return {
            "accounts": writer.accounts_frame(self.accounts, self.state),
            "subscriptions": self.ledger.to_frame(account_id),
            "tickets": writer.tickets_frame(account_id, self.tickets),
            "surveys": writer.surveys_frame(account_id, self.surveys),
            "churn_events": writer.churn_frame(account_id, self.churn_reasons),
        }

    def truth(self) -> pd.DataFrame:
        return pd.concat(self.truth_chunks, ignore_index=True)

    def summary(self) -> dict:
        """Return the headline figures: expansion rate, ACV percentiles and churn."""
        return writer.summarise(self.accounts, self.state, self.log, self.starts, self.truth())


def initial_state(rng: np.random.Generator, accounts: Accounts) -> State:
    """Draw each account's starting plan, demand and health, used when it starts."""
    n, segment = accounts.size, accounts.segment
    seats = np.round(
        cat.SEAT_MEDIAN[segment] * np.exp(rng.normal(0, 1, n) * cat.SEAT_LOG_SD[segment])
    )
    seats = np.maximum(seats, cat.SEAT_FLOOR[segment]).astype(np.int64)
    cumulative = np.cumsum(cat.TIER_SHARES[segment], axis=1)
    tier = np.minimum((rng.random(n)[:, None] > cumulative).sum(axis=1), 2)
    core_arr = dynamics.core_arr_for(tier, seats, accounts.price_factor)

    addon_held = rng.random((n, len(cat.ADDONS))) < cat.ADDON_START_SHARE[segment][:, None]
    addon_price = np.maximum(cat.ADDON_PRICE_SHARE[None, :] * core_arr[:, None], cat.ADDON_MIN_ARR)
    addon_arr = np.where(addon_held, np.ceil(addon_price / 10.0) * 10.0, 0.0)

    # New customers ramp up; established ones already use most of their seats.
    pre_window = accounts.join_month < 0
    fill = np.where(pre_window, rng.uniform(0.5, 0.95, n), rng.uniform(0.3, 0.7, n))
    demand = seats * fill
    health = rng.normal(cat.TRAJECTORY_HEALTH_TARGET[accounts.trajectory] * 0.6, 0.5)
    activity = np.maximum(1.0, np.round(demand)) * np.exp(0.25 * health)

    return State(
        started=np.zeros(n, bool),
        alive=np.ones(n, bool),
        churn_date=np.full(n, NAT),
        tier=tier,
        seats=seats,
        core_arr=core_arr,
        addon_held=addon_held,
        addon_arr=addon_arr,
        demand=demand,
        health=health,
        trajectory=accounts.trajectory.copy(),
        activity=np.repeat(activity[:, None], 4, axis=1),
        months_since_change=np.zeros(n),
        core_row=np.full(n, -1, dtype=np.int64),
        addon_row=np.full((n, len(cat.ADDONS)), -1, dtype=np.int64),
    )
