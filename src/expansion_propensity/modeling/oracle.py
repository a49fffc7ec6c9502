"""The oracle: true expansion probabilities of a generated export, kept beside it.

The synthetic generator writes ``true_probabilities.parquet`` (account_id,
snapshot_date, p_expand) outside the export, so no model can read it. Scoring
the test rows with it gives the best AUC any model could reach on that data.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from expansion_propensity import paths

logger = logging.getLogger(__name__)

TRUTH_FILE = "true_probabilities.parquet"


def truth_candidates(data_dir: Path) -> list[Path]:
    """Return the folders that may hold the export's truth, most specific first."""
    data_dir = Path(data_dir).resolve()
    candidates = [data_dir.with_name(f"{data_dir.name}_truth")]
    if data_dir == paths.demo_dir().resolve():
        candidates.insert(0, paths.truth_dir())
    return candidates


def find_truth(data_dir: Path) -> Path | None:
    """Return the truth file of the export at ``data_dir``, or None when there is none."""
    for folder in truth_candidates(data_dir):
        if (folder / TRUTH_FILE).is_file():
            return folder / TRUTH_FILE
    return None


def oracle_probabilities(truth_file: Path, rows: pd.DataFrame) -> np.ndarray:
    """Return the true probability of each row (joined on account_id and snapshot_date).

    Rows without a true probability get NaN; callers evaluate the oracle on the
    rows that have one.
    """
    truth = pd.read_parquet(truth_file, columns=["account_id", "snapshot_date", "p_expand"])
    truth["account_id"] = truth["account_id"].astype(str)
    truth["snapshot_date"] = pd.to_datetime(truth["snapshot_date"]).astype("datetime64[ns]")
    truth = truth.drop_duplicates(["account_id", "snapshot_date"])

    keys = pd.DataFrame(
        {
            "account_id": rows["account_id"].astype(str).to_numpy(),
            "snapshot_date": pd.to_datetime(rows["snapshot_date"]).astype("datetime64[ns]"),
        }
    )
    joined = keys.merge(truth, on=["account_id", "snapshot_date"], how="left", validate="m:1")
    probabilities = joined["p_expand"].to_numpy(dtype=float, na_value=np.nan)
    missing = int(np.isnan(probabilities).sum())
    if missing:
        logger.warning(
            "%d of %d test rows have no true probability in %s; the oracle is scored on the rest",
            missing,
            len(rows),
            truth_file,
        )
    return probabilities
