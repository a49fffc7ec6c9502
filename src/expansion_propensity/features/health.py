"""Health pillar from support tickets and surveys.

Ticket counts use the day a ticket was opened and are a real 0 without
tickets. A ticket's outcome (resolution time, satisfaction, escalation) is
known only once it is resolved, so outcomes count only for tickets resolved
before the snapshot. Without such tickets, resolution and satisfaction are NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from expansion_propensity.features.calendar import Grid
from expansion_propensity.features.prepare import Prepared
from expansion_propensity.features.timeline import explode_windows, last_before, step_sum, take

TICKET_COUNT_DAYS = 90
TICKET_OUTCOME_DAYS = 180


def health_features(prepared: Prepared, grid: Grid) -> dict[str, np.ndarray]:
    """Compute the ticket and survey health features per grid row."""
    tickets = prepared.tickets
    return {
        "tickets_90d": _count_opened(tickets, np.ones(len(tickets)), grid),
        "urgent_tickets_90d": _count_opened(tickets, tickets["urgent"].to_numpy(), grid),
        **_ticket_outcomes(tickets, grid),
        **_surveys(prepared.surveys, grid),
    }


def _count_opened(tickets: pd.DataFrame, weights: np.ndarray, grid: Grid) -> np.ndarray:
    return step_sum(
        np.concatenate([tickets["code"], tickets["code"]]),
        np.concatenate([tickets["day"], tickets["day"] + TICKET_COUNT_DAYS]),
        np.concatenate([weights, -weights]),
        grid.code,
        grid.day,
    )


def _ticket_outcomes(tickets: pd.DataFrame, grid: Grid) -> dict[str, np.ndarray]:
    """Median resolution hours, mean satisfaction and escalations over tickets opened in
    the last 180 days and resolved before the snapshot.
    """
    ticket_rows, grid_rows = explode_windows(
        tickets["code"], tickets["day"], TICKET_OUTCOME_DAYS, grid.code, grid.day
    )
    resolved = tickets["resolved_day"].to_numpy()[ticket_rows] < grid.day[grid_rows]
    ticket_rows, grid_rows = ticket_rows[resolved], grid_rows[resolved]

    outcomes = tickets.iloc[ticket_rows][["resolution_hours", "satisfaction", "escalated"]]
    by_row = outcomes.reset_index(drop=True).groupby(grid_rows)
    median_hours = by_row["resolution_hours"].median().reindex(range(len(grid)))
    satisfaction = by_row["satisfaction"].mean().reindex(range(len(grid)))
    escalations = by_row["escalated"].sum().reindex(range(len(grid)), fill_value=0.0)
    return {
        "median_resolution_hours": median_hours.to_numpy(dtype=float),
        "ticket_satisfaction": satisfaction.to_numpy(dtype=float),
        "escalations_180d": escalations.to_numpy(dtype=float),
    }


def _surveys(surveys: pd.DataFrame, grid: Grid) -> dict[str, np.ndarray]:
    """Latest survey score before the snapshot; responses on the same day are averaged."""
    daily = surveys.groupby(["code", "day"], sort=True)["score"].mean().reset_index()
    position = last_before(daily["code"], daily["day"], grid.code, grid.day)
    return {
        "nps_latest": take(daily["score"], position, np.nan),
        "no_survey_data": (position < 0).astype(float),
    }
