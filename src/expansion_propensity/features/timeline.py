"""Vectorised point-in-time primitives over (code, day) event lists.

Every feature is built from a few operations on events that carry an integer
group code (an account, an account-product pair, ...) and a day number:

* ``step_sum`` sums the values of events dated strictly before a query day.
  An interval in force on day ``t - 1`` is then ``+v`` at its start and ``-v``
  at its end, and ``EventIndex.window_sum`` covers windows ``[t - w, t)``.
* ``merge_intervals`` unions overlapping intervals per code, so that counting
  covered intervals counts distinct items.
* ``explode_windows`` pairs each event with the query rows whose window holds
  it, for statistics that are not sums (medians, maxima).

Queries and events are matched by one sorted int64 key, ``code * SPAN + day``,
and ``numpy.searchsorted``, which keeps the cost at O((events + queries) log events)
with no Python loop over accounts or snapshot dates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Days are stored relative to DAY_OFFSET so that they fit in [0, SPAN); NEVER is
# the day of an event that does not happen (an open-ended subscription's end).
SPAN = 1 << 24
DAY_OFFSET = 1 << 23
NEVER = SPAN - 1


def to_days(values: pd.Series | pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """Convert timestamps to int64 day numbers; missing dates become NEVER."""
    as_days = np.asarray(pd.to_datetime(values)).astype("datetime64[D]")
    missing = np.isnat(as_days)
    days = as_days.astype(np.int64) + DAY_OFFSET
    days[missing] = NEVER
    return np.clip(days, 0, NEVER)


def from_days(days: np.ndarray) -> np.ndarray:
    """Convert day numbers back to datetime64[ns] (NEVER becomes NaT)."""
    days = np.asarray(days, dtype=np.int64)
    out = (days - DAY_OFFSET).astype("datetime64[D]").astype("datetime64[ns]")
    out[days >= NEVER] = np.datetime64("NaT")
    return out


def event_keys(codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Combine group codes and day numbers into one int64 key that sorts by code, then day."""
    return np.asarray(codes, dtype=np.int64) * SPAN + np.clip(np.asarray(days, np.int64), 0, NEVER)


class EventIndex:
    """Events sorted once by (code, day), for many sums and look-ups over the same events.

    Events dated NEVER are dropped: they never happen before any query day.
    """

    def __init__(self, codes: np.ndarray, days: np.ndarray) -> None:
        days = np.asarray(days, dtype=np.int64)
        dated = np.flatnonzero(days < NEVER)
        keys = event_keys(np.asarray(codes, dtype=np.int64)[dated], days[dated])
        self.order = dated[np.argsort(keys, kind="stable")]
        self.keys = np.sort(keys, kind="stable")

    def _positions(self, query_codes: np.ndarray, query_days: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.keys, event_keys(query_codes, query_days), side="left")

    def sum_before(
        self, values: np.ndarray | float, query_codes: np.ndarray, query_days: np.ndarray
    ) -> np.ndarray:
        """Sum ``values`` of the events with the query's code and a day before the query day."""
        if np.ndim(values) == 0:
            sorted_values = np.full(len(self.keys), float(values))
        else:
            sorted_values = np.asarray(values, dtype=np.float64)[self.order]
        cumulative = np.concatenate([[0.0], np.cumsum(sorted_values)])

        # The sum over one code's block is the difference of two cumulative sums:
        # from the code's first event to the last event before the query day.
        end = self._positions(query_codes, query_days)
        start = self._positions(query_codes, np.zeros_like(query_days))
        return cumulative[end] - cumulative[start]

    def window_sum(
        self,
        values: np.ndarray | float,
        query_codes: np.ndarray,
        query_days: np.ndarray,
        window: int,
    ) -> np.ndarray:
        """Sum ``values`` of the events dated in [day - window, day) per query."""
        query_days = np.asarray(query_days, dtype=np.int64)
        return self.sum_before(values, query_codes, query_days) - self.sum_before(
            values, query_codes, query_days - window
        )

    def last_before(self, query_codes: np.ndarray, query_days: np.ndarray) -> np.ndarray:
        """Return the input position of the latest same-code event before each query day,
        or -1 when there is none. Among events on one day the last in the input wins.
        """
        if len(self.keys) == 0:
            return np.full(len(query_codes), -1, dtype=np.int64)
        position = self._positions(query_codes, query_days) - 1
        found = position >= 0
        same_code = np.zeros(len(position), dtype=bool)
        same_code[found] = (self.keys[position[found]] // SPAN) == np.asarray(
            query_codes, np.int64
        )[found]
        return np.where(same_code, self.order[np.maximum(position, 0)], -1)


def step_sum(
    codes: np.ndarray,
    days: np.ndarray,
    values: np.ndarray | float,
    query_codes: np.ndarray,
    query_days: np.ndarray,
) -> np.ndarray:
    """Sum ``values`` of the events with the query's code and a day strictly before its day.

    Events dated NEVER never count. Returns float64, one value per query.
    """
    return EventIndex(codes, days).sum_before(values, query_codes, query_days)


def last_before(
    codes: np.ndarray, days: np.ndarray, query_codes: np.ndarray, query_days: np.ndarray
) -> np.ndarray:
    """Return, per query, the position in the inputs of the latest same-code event
    strictly before the query day, or -1 when there is none.

    Among events on the same day the one that comes last in the input wins.
    """
    return EventIndex(codes, days).last_before(query_codes, query_days)


def take(values, positions: np.ndarray, missing: float) -> np.ndarray:
    """Index ``values`` by ``positions`` from ``last_before``; -1 gives ``missing``."""
    padded = np.concatenate([np.asarray(values, dtype=float), [missing]])
    return padded[positions]


def max_per_day(
    codes: np.ndarray, days: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reduce events to one per (code, day) with the largest value.

    Returns ``(codes, days, maxima)`` sorted by code, then day.
    """
    keys = event_keys(codes, days)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    if len(keys) == 0:
        return keys, keys.copy(), np.asarray(values, dtype=float)[order]

    first = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    maxima = np.maximum.reduceat(np.asarray(values, dtype=float)[order], first)
    return keys[first] // SPAN, keys[first] % SPAN, maxima


def merge_intervals(
    codes: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Union the intervals ``(start, end]`` per code into disjoint intervals.

    Intervals that overlap or touch (the next start is at most the running end)
    merge. Returns ``(codes, starts, ends)`` of the merged intervals.
    """
    codes = np.asarray(codes, dtype=np.int64)
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.maximum(np.asarray(ends, dtype=np.int64), starts)
    if len(codes) == 0:
        return codes, starts, ends

    order = np.lexsort((starts, codes))
    codes, starts, ends = codes[order], starts[order], ends[order]

    # Offsetting each end by its code makes one running maximum act per code,
    # because codes are sorted and every offset end exceeds the previous codes'.
    running_end = np.maximum.accumulate(codes * SPAN + ends) - codes * SPAN
    previous_end = np.concatenate([[-1], running_end[:-1]])
    new_block = np.concatenate([[True], codes[1:] != codes[:-1]]) | (starts > previous_end)
    merged_codes = codes[new_block]
    merged_starts = starts[new_block]
    merged_ends = np.maximum.reduceat(ends, np.flatnonzero(new_block))
    return merged_codes, merged_starts, merged_ends


def count_covering(
    codes: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    query_codes: np.ndarray,
    query_days: np.ndarray,
) -> np.ndarray:
    """Count the intervals ``(start, end]`` of the query's code that contain its day."""
    both_codes = np.concatenate([codes, codes])
    both_days = np.concatenate([starts, ends])
    signs = np.concatenate([np.ones(len(starts)), -np.ones(len(ends))])
    return step_sum(both_codes, both_days, signs, query_codes, query_days)


def explode_windows(
    event_codes: np.ndarray,
    event_days: np.ndarray,
    window_days: int,
    query_codes: np.ndarray,
    query_days: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Pair each event with every query of its code whose window ``[t - w, t)`` contains it.

    Queries must be sorted by (code, day). Returns ``(event_positions, query_positions)``.
    """
    query_keys = event_keys(query_codes, query_days)
    event_days = np.asarray(event_days, dtype=np.int64)
    low = np.searchsorted(query_keys, event_keys(event_codes, event_days), side="right")
    high = np.searchsorted(
        query_keys, event_keys(event_codes, event_days + window_days), side="right"
    )
    counts = high - low

    event_positions = np.repeat(np.arange(len(counts)), counts)
    first_output = np.repeat(np.cumsum(counts) - counts, counts)
    query_positions = np.repeat(low, counts) + np.arange(counts.sum()) - first_output
    return event_positions, query_positions
