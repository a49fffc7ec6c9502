"""Evaluation plots written as PNG files (matplotlib's Agg backend, no display needed)."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.calibration import calibration_curve  # noqa: E402

from expansion_propensity.features import registry  # noqa: E402
from expansion_propensity.modeling.evaluate import decile_table  # noqa: E402


def _save(figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_calibration(labels, probabilities: dict[str, np.ndarray], path: Path) -> Path:
    """Plot the reliability curve (10 quantile bins) of each model against the diagonal."""
    figure, axes = plt.subplots(figsize=(5.5, 5))
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    for name, values in probabilities.items():
        observed, predicted = calibration_curve(labels, values, n_bins=10, strategy="quantile")
        axes.plot(predicted, observed, marker="o", label=name)
    upper = max(float(np.max(values)) for values in probabilities.values())
    axes.set_xlim(0, min(1.0, upper * 1.05))
    axes.set_ylim(0, min(1.0, upper * 1.05))
    axes.set_xlabel("mean predicted probability")
    axes.set_ylabel("observed expansion rate")
    axes.set_title("Calibration on the test period")
    axes.legend()
    return _save(figure, path)


def cumulative_gains(labels, probabilities) -> tuple[np.ndarray, np.ndarray]:
    """Return the share of rows contacted and the share of positives captured, from (0, 0).

    Points fall only at the end of each block of tied probabilities, so the
    straight line across a block is the expected curve over every order of
    its rows, and the curve does not depend on row order.
    """
    labels = np.asarray(labels, dtype=float)
    probabilities = np.asarray(probabilities, dtype=float)
    order = np.argsort(-probabilities, kind="stable")
    ranked_probabilities = probabilities[order]
    block_end = np.append(ranked_probabilities[1:] != ranked_probabilities[:-1], True)

    captured = np.cumsum(labels[order])[block_end] / max(labels.sum(), 1.0)
    contacted = (np.flatnonzero(block_end) + 1) / len(labels)
    return np.concatenate([[0.0], contacted]), np.concatenate([[0.0], captured])


def plot_cumulative_gains(labels, probabilities: dict[str, np.ndarray], path: Path) -> Path:
    """Plot the share of expansions captured against the share of accounts contacted."""
    figure, axes = plt.subplots(figsize=(5.5, 5))
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="random")
    for name, values in probabilities.items():
        contacted, gains = cumulative_gains(labels, values)
        axes.plot(contacted, gains, label=name)
    axes.set_xlabel("share of snapshots, highest probability first")
    axes.set_ylabel("share of expansions captured")
    axes.set_title("Cumulative gains on the test period")
    axes.legend()
    return _save(figure, path)


def plot_lift_by_decile(labels, probabilities: dict[str, np.ndarray], path: Path) -> Path:
    """Plot each model's lift per probability decile (1 = highest) as grouped bars."""
    figure, axes = plt.subplots(figsize=(7, 4.5))
    width = 0.8 / max(len(probabilities), 1)
    for position, (name, values) in enumerate(probabilities.items()):
        table = decile_table(labels, values)
        axes.bar(table["decile"] + (position - 0.5) * width, table["lift"], width, label=name)
    axes.axhline(1.0, linestyle="--", color="grey")
    axes.set_xticks(range(1, 11))
    axes.set_xlabel("decile (1 = highest probability)")
    axes.set_ylabel("lift over the base rate")
    axes.set_title("Lift by decile on the test period")
    axes.legend()
    return _save(figure, path)


def plot_shap_summary(contributions: pd.DataFrame, features: pd.DataFrame, path: Path) -> Path:
    """Draw shap's beeswarm summary from exact TreeSHAP contributions (LightGBM pred_contrib)."""
    import shap

    values = contributions.drop(columns="base_value")
    display = features[values.columns].copy()
    # shap colours points by feature value, which needs numbers: use category codes.
    for column in display.columns:
        if isinstance(display[column].dtype, pd.CategoricalDtype):
            display[column] = display[column].cat.codes.replace(-1, np.nan).astype(float)
    with warnings.catch_warnings():
        # shap colours by value quantiles, which numpy warns about for a feature
        # that is missing in every row (an export without usage data).
        warnings.filterwarnings("ignore", message="All-NaN slice encountered")
        shap.summary_plot(values.to_numpy(), display, show=False, max_display=20)
    figure = plt.gcf()
    figure.suptitle("SHAP summary (LightGBM, log-odds)")
    return _save(figure, path)


def pillar_importance(contributions: pd.DataFrame) -> pd.Series:
    """Return each pillar's share of mean |SHAP|, summed over the pillar's features."""
    mean_abs = contributions.drop(columns="base_value").abs().mean()
    by_pillar = mean_abs.groupby(registry.pillar_of).sum()
    return (by_pillar / by_pillar.sum()).reindex(registry.PILLARS, fill_value=0.0)


def plot_pillar_importance(shares: pd.Series, weights: dict[str, float], path: Path) -> Path:
    """Plot LightGBM's learned pillar shares beside the formula's weights."""
    figure, axes = plt.subplots(figsize=(6.5, 4.5))
    positions = np.arange(len(shares))
    formula = [weights.get(pillar, 0.0) for pillar in shares.index]
    axes.bar(positions - 0.2, shares.to_numpy(), 0.4, label="LightGBM mean |SHAP| share")
    axes.bar(positions + 0.2, formula, 0.4, label="formula weight")
    axes.set_xticks(positions, shares.index)
    axes.set_ylabel("share")
    axes.set_title("Importance by pillar: learned vs formula")
    axes.legend()
    return _save(figure, path)
