"""The vectorised point-in-time primitives, against brute-force answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from expansion_propensity.features.timeline import (
    NEVER,
    count_covering,
    explode_windows,
    from_days,
    last_before,
    max_per_day,
    merge_intervals,
    step_sum,
    take,
    to_days,
)


@pytest.fixture
def events():
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 5, 300)
    days = rng.integers(100, 200, 300)
    values = rng.integers(1, 10, 300).astype(float)
    return codes, days, values


def test_day_round_trip():
    dates = pd.to_datetime(["2024-01-01", None, "1999-12-31"])
    days = to_days(dates)
    assert days[1] == NEVER
    assert days[0] - days[2] == (dates[0] - dates[2]).days
    np.testing.assert_array_equal(from_days(days), np.asarray(dates, dtype="datetime64[ns]"))


def test_step_sum_counts_strictly_before(events):
    codes, days, values = events
    query_codes = np.repeat(np.arange(6), 3)
    query_days = np.tile([100, 150, 250], 6)
    expected = [
        values[(codes == code) & (days < day)].sum()
        for code, day in zip(query_codes, query_days, strict=True)
    ]
    np.testing.assert_allclose(step_sum(codes, days, values, query_codes, query_days), expected)


def test_step_sum_ignores_never():
    result = step_sum([1, 1], [10, NEVER], [1.0, 5.0], np.array([1]), np.array([NEVER - 1]))
    assert result.tolist() == [1.0]


def test_last_before_picks_latest(events):
    codes, days, _ = events
    positions = last_before(codes, days, np.array([0, 2, 9]), np.array([150, 100, 150]))
    latest = days[(codes == 0) & (days < 150)].max()
    assert days[positions[0]] == latest
    assert codes[positions[0]] == 0
    assert positions[1] == -1  # nothing before day 100
    assert positions[2] == -1  # unknown code


def test_take_fills_missing():
    assert take([5, 6], np.array([1, -1]), np.nan)[0] == 6
    assert np.isnan(take([5, 6], np.array([1, -1]), np.nan)[1])


def test_merge_intervals_unions_per_code():
    codes, starts, ends = merge_intervals(
        np.array([1, 1, 1, 2, 1]), np.array([0, 5, 20, 0, 8]), np.array([5, 10, 30, 3, 12])
    )
    assert codes.tolist() == [1, 1, 2]
    assert starts.tolist() == [0, 20, 0]
    assert ends.tolist() == [12, 30, 3]


def test_count_covering_matches_brute_force(events):
    codes, days, _ = events
    pair = codes * 10 + days % 3
    merged_pair, starts, ends = merge_intervals(pair, days, days + 20)
    query_codes = np.repeat(np.arange(5), 4)
    query_days = np.tile([110, 140, 190, 230], 5)
    result = count_covering(merged_pair // 10, starts, ends, query_codes, query_days)

    for code, day, count in zip(query_codes, query_days, result, strict=True):
        in_window = (codes == code) & (days < day) & (days >= day - 20)
        assert count == len(np.unique(pair[in_window]))


def test_explode_windows_pairs(events):
    codes, days, _ = events
    query_codes = np.repeat(np.arange(5), 3)
    query_days = np.tile([120, 160, 200], 5)
    event_rows, query_rows = explode_windows(codes, days, 30, query_codes, query_days)

    pairs = set(zip(event_rows.tolist(), query_rows.tolist(), strict=True))
    expected = {
        (e, q)
        for e in range(len(codes))
        for q in range(len(query_codes))
        if codes[e] == query_codes[q] and query_days[q] - 30 <= days[e] < query_days[q]
    }
    assert pairs == expected


def test_max_per_day_reduces_duplicates():
    codes, days, maxima = max_per_day(
        np.array([2, 1, 2, 1]), np.array([5, 7, 5, 3]), np.array([4.0, 1.0, 9.0, 2.0])
    )
    assert codes.tolist() == [1, 1, 2]
    assert days.tolist() == [3, 7, 5]
    assert maxima.tolist() == [2.0, 1.0, 9.0]
