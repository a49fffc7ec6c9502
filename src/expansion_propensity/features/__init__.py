"""Point-in-time snapshot features, expansion labels and time splits."""

from expansion_propensity.features.run import run_features
from expansion_propensity.features.snapshots import (
    SnapshotResult,
    build_scoring_frame,
    build_snapshots,
)
from expansion_propensity.features.splits import assign_splits

__all__ = [
    "SnapshotResult",
    "assign_splits",
    "build_scoring_frame",
    "build_snapshots",
    "run_features",
]
