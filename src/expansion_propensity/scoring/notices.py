"""Warnings about a scoring run that a reader of its outputs must see before trusting them.

Each warning is one sentence. The manifest stores them under ``warnings``, the
report shows them as a banner near the top and the terminal summary repeats them
at the end.
"""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)


def is_constant(values) -> bool:
    """Return whether every value is the same, as for a model that learned nothing."""
    array = np.asarray(values, dtype="float64")
    return len(array) > 1 and bool(np.all(array == array[0]))


def check_data_source(model_source: str | None, export_source: str, model: str) -> bool:
    """Log a warning and return True when the model was trained on another export.

    ``model_source`` is the bundle's ``data_source`` metadata (None for a model
    trained before it was recorded, which is not checked), ``export_source``
    the ``tracking.data_source_key`` of the export being scored.
    """
    if model_source is None or model_source == export_source:
        return False

    logger.warning(
        "model %s was trained on export %r but is scoring export %r; its propensities may not "
        "fit this export, so train on it with `expansion train` or pass a model trained on it",
        model,
        model_source,
        export_source,
    )
    return True


def collect_warnings(
    model_info: dict,
    constant_propensity: bool,
    constant_raw_score: bool,
    model_source: str | None,
    export_source: str,
    source_mismatch: bool,
) -> list[str]:
    """Return the run's warnings in the order the report and terminal show them."""
    warnings = []
    reason = model_info.get("not_champion_reason")
    if reason:
        warnings.append(f"This model is not the champion: {reason}")

    if source_mismatch:
        warnings.append(
            f"This model was trained on export {model_source!r}, not on the scored export "
            f"{export_source!r}."
        )

    if constant_propensity:
        # The tie-breakers decide the order when every propensity is equal.
        order = "account id" if constant_raw_score else "the LightGBM raw score, then account id"
        warnings.append(
            "Every account has the same propensity, so ranks, tiers and drivers carry no "
            f"information, and ranks only follow {order}."
        )
    return warnings
