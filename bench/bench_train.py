"""Benchmark `expansion train` on the 5,000-account, 36-month demo export.

Generates the export once, cached under ``bench/results/cache`` with its truth
in the sibling ``export_truth`` folder so the oracle is evaluated. Then times
``run_train`` end to end in a fresh project folder with its own MLflow store.
The time covers load and validation, snapshots, the three models, evaluation,
MLflow logging, registration, the champion gate and the export.

Run it with ``python -m bench.run_all bench_train`` or ``python -m bench.bench_train``;
results go to ``bench/results/train.json``.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
N_ACCOUNTS = 5_000
MONTHS = 36
SEED = 42


def _cached_export(cache: Path) -> tuple[Path, float | None]:
    """Return the export folder and the seconds spent generating it (None when cached)."""
    from expansion_propensity.synthetic import generate_export

    folder = cache / f"train_{N_ACCOUNTS}x{MONTHS}"
    done = folder / "COMPLETE"
    if done.is_file():
        return folder / "export", None

    started = time.perf_counter()
    generate_export(folder / "export", n_accounts=N_ACCOUNTS, months=MONTHS, seed=SEED)
    done.write_text("generated\n")
    return folder / "export", time.perf_counter() - started


def _fresh_project(out_dir: Path) -> Path:
    root = out_dir / "train_project"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    os.environ["EXPANSION_ROOT"] = str(root)
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    return root


def main(out_dir: Path) -> dict:
    """Time one training on the demo export, write ``train.json`` to ``out_dir`` and print it."""
    from expansion_propensity import paths
    from expansion_propensity.config import Config
    from expansion_propensity.modeling.train import run_train

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir, generate_s = _cached_export(out_dir / "cache")
    _fresh_project(out_dir)

    started = time.perf_counter()
    result = run_train(data_dir, None, Config(), paths.champion_dir())
    elapsed = time.perf_counter() - started

    evaluation = result.evaluation
    keys = ("roc_auc", "pr_auc", "brier", "ece", "lift_top10", "recall_top20")
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "accounts": N_ACCOUNTS,
        "months": MONTHS,
        "generate_s": None if generate_s is None else round(generate_s, 1),
        "train_s": round(elapsed, 1),
        "test_snapshots": len(evaluation.labels),
        "best_iteration": result.models.lightgbm.best_iteration,
        "calibration_method": result.models.bundle.calibration_method,
        "metrics": {
            model: {key: round(values[key], 4) for key in keys}
            for model, values in evaluation.metrics.items()
        },
        "auc_gap_to_oracle": {model: round(gap, 4) for model, gap in evaluation.auc_gaps().items()},
        "potential": {key: round(value, 4) for key, value in evaluation.potential_metrics.items()},
        "champion": result.decision.promoted,
    }
    (out_dir / "train.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main(RESULTS)
