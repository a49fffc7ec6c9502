"""Models: the weighted-formula baseline, calibrated LightGBM, expansion potential, and tracking.

``run_train`` is imported lazily because it pulls in MLflow, which scoring
code that only needs the bundle should not pay for.
"""

from __future__ import annotations

from expansion_propensity.modeling.baseline import WeightedFormulaBaseline
from expansion_propensity.modeling.bundle import ModelBundle, load_bundle

__all__ = ["ModelBundle", "WeightedFormulaBaseline", "load_bundle", "run_train"]


def run_train(*args, **kwargs):
    """Run `expansion train`; see ``expansion_propensity.modeling.train.run_train``."""
    from expansion_propensity.modeling.train import run_train as _run_train

    return _run_train(*args, **kwargs)
