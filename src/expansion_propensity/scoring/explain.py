"""Exact TreeSHAP contributions of the LightGBM raw score, computed in chunks.

The model bundle's ``contributions`` calls LightGBM's ``pred_contrib``, which
computes exact TreeSHAP values in C++. Each row of the
result has one column per feature plus ``base_value``, and the row sums to the
raw score (log-odds) of that account.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from expansion_propensity.errors import ModelError

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_ROWS = 5_000
ADDITIVITY_TOLERANCE = 1e-6


def explain(
    bundle, features: pd.DataFrame, chunk_rows: int = DEFAULT_CHUNK_ROWS, console=None
) -> pd.DataFrame:
    """Return SHAP contributions of every row of ``features``, with a progress bar.

    Chunks bound the memory of the dense contribution matrix and let the bar
    move on large books. The result has a fresh RangeIndex, row-aligned with
    ``features``.
    """
    if chunk_rows <= 0:
        raise ValueError(f"chunk_rows must be positive, got {chunk_rows}")

    parts = []
    started = time.perf_counter()
    progress = Progress(
        TextColumn("explaining accounts"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console or Console(stderr=True),
        transient=True,
    )
    with progress:
        task = progress.add_task("explain", total=len(features))
        for start in range(0, len(features), chunk_rows):
            chunk = features.iloc[start : start + chunk_rows]
            parts.append(pd.DataFrame(bundle.contributions(chunk)).reset_index(drop=True))
            progress.advance(task, len(chunk))

    if not parts:
        return pd.DataFrame(columns=[*bundle.feature_columns, "base_value"], dtype="float64")

    seconds = time.perf_counter() - started
    logger.info(
        "explained %d accounts in %.1f s (%.2f ms per account)",
        len(features),
        seconds,
        1000 * seconds / len(features),
    )
    return pd.concat(parts, ignore_index=True)


def additivity_error(contributions: pd.DataFrame, raw_score: np.ndarray) -> float:
    """Return the largest |base value + sum of contributions - raw score| over the rows."""
    if len(contributions) == 0:
        return 0.0
    total = contributions.sum(axis=1).to_numpy(dtype="float64")
    return float(np.max(np.abs(total - np.asarray(raw_score, dtype="float64"))))


def check_additivity(contributions: pd.DataFrame, raw_score: np.ndarray) -> float:
    """Raise ModelError unless every row's contributions add up to its raw score."""
    error = additivity_error(contributions, raw_score)
    if error > ADDITIVITY_TOLERANCE:
        raise ModelError(
            f"SHAP contributions differ from the raw score by up to {error:.2e} "
            f"(tolerance {ADDITIVITY_TOLERANCE:.0e}); the model bundle's contributions and "
            "raw_score disagree, so retrain with `make train`"
        )
    logger.debug("SHAP additivity check passed: max error %.2e", error)
    return error
