"""Benchmark batch scoring: time and peak memory on the demo and a 100,000-account export.

Also times exact TreeSHAP through the model bundle (LightGBM ``pred_contrib``
in chunks) against ``shap.TreeExplainer(booster).shap_values`` on the same
model and rows. Everything runs in a temporary project folder: the demo export
is generated and trained there, and each scoring run is a child process so its
peak resident memory is its own.

Run it with ``python -m bench.run_all bench_scoring`` or
``python -m bench.bench_scoring``; results go to ``bench/results/scoring.json``.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
LARGE_ACCOUNTS = 100_000
LARGE_MONTHS = 13
EXPLAIN_REPEATS = 7

logger = logging.getLogger(__name__)


def _project_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "EXPANSION_ROOT": str(root),
            "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
            "MLFLOW_DISABLE_TELEMETRY": "true",
        }
    )
    return env


def _run(args: list[str], root: Path) -> str:
    """Run a child process in the project ``root``; return its stdout, raise on failure."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args],
        cwd=root,
        env={**_project_env(root), "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{args} failed with code {done.returncode}:\n{done.stderr[-4000:]}")
    logger.info("%s took %.1f s", " ".join(args[:4]), time.perf_counter() - started)
    return done.stdout


def _cli(root: Path, *args: str) -> None:
    _run(["-m", "expansion_propensity.cli", *args], root)


def _child_json(root: Path, *args: str) -> dict:
    output = _run(["-m", "bench.bench_scoring", *args], root)
    return json.loads(output.strip().splitlines()[-1])


def _peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_score(data_dir: str, out: str) -> dict:
    """Time run_score on ``data_dir`` in this process; report seconds and peak RSS."""
    from expansion_propensity import paths
    from expansion_propensity.config import Config
    from expansion_propensity.scoring import run_score

    rss_before = _peak_rss_mib()
    started = time.perf_counter()
    # The large export is scored with the demo's exported champion: the registry
    # would only offer a model trained on the same export folder.
    run_score(Path(data_dir), None, Config(), Path(out), model=str(paths.champion_dir()))
    seconds = time.perf_counter() - started

    manifest = json.loads(next(Path(out).glob("*/manifest.json")).read_text())
    return {
        "accounts_scored": manifest["counts"]["accounts_scored"],
        "seconds": round(seconds, 2),
        "ms_per_account": round(1000 * seconds / manifest["counts"]["accounts_scored"], 3),
        "peak_rss_mib": round(_peak_rss_mib(), 1),
        "rss_before_scoring_mib": round(rss_before, 1),
        "tiers": {name: tier["accounts"] for name, tier in manifest["counts"]["tiers"].items()},
        "plays": manifest["counts"]["plays"],
    }


def _interleaved_seconds(actions: dict, repeats: int) -> dict[str, list[float]]:
    """Time each action ``repeats`` times, alternating between them.

    Alternating spreads any change in machine load over both contenders, so
    the minimum of each list compares like with like.
    """
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeats):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - started)
    return times


def child_explain(data_dir: str) -> dict:
    """Time our chunked contributions against shap.TreeExplainer on the demo's scoring rows."""
    import numpy as np
    import pandas as pd
    import shap

    from expansion_propensity.config import Config
    from expansion_propensity.features import build_scoring_frame
    from expansion_propensity.ingest import load_export
    from expansion_propensity.modeling.bundle import load_bundle
    from expansion_propensity.scoring.explain import explain

    config = Config()
    bundle, _ = load_bundle(None, config)
    export = load_export(Path(data_dir), None)
    features = build_scoring_frame(export, config, export.as_of + pd.Timedelta(days=1))
    prepared = bundle.prepare(features)
    explainer = shap.TreeExplainer(bundle.booster)

    our_values = explain(bundle, features)[bundle.feature_columns].to_numpy()
    their_values = np.asarray(explainer.shap_values(prepared))
    max_difference = float(np.abs(our_values - their_values).max())

    # Ours starts from plain pandas input (it includes prepare), shap gets the
    # prepared frame and runs with its default additivity check.
    times = _interleaved_seconds(
        {
            "ours": lambda: explain(bundle, features),
            "tree_explainer": lambda: explainer.shap_values(prepared),
        },
        EXPLAIN_REPEATS,
    )
    rows = len(features)
    ours, theirs = min(times["ours"]), min(times["tree_explainer"])
    return {
        "rows": rows,
        "trees": int(bundle.booster.num_trees()),
        "features": len(bundle.feature_columns),
        "ours_ms_per_account": round(1000 * ours / rows, 4),
        "tree_explainer_ms_per_account": round(1000 * theirs / rows, 4),
        "ours_over_tree_explainer": round(ours / theirs, 3),
        "ours_median_ms_per_account": round(1000 * float(np.median(times["ours"])) / rows, 4),
        "tree_explainer_median_ms_per_account": round(
            1000 * float(np.median(times["tree_explainer"])) / rows, 4
        ),
        "max_abs_difference": max_difference,
        "repeats": EXPLAIN_REPEATS,
        "timing": "minimum over interleaved repeats, wall clock",
    }


def main(out_dir: Path = RESULTS) -> dict:
    """Generate, train and score in a temporary project; write scoring.json to ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="bench_scoring_") as folder:
        root = Path(folder)
        demo = root / "data" / "raw" / "demo"
        large = root / "data" / "raw" / "large"

        _cli(root, "generate", "--out", str(demo))
        _cli(root, "train", "--data", str(demo))
        demo_result = _child_json(root, "score", str(demo), str(root / "scores_demo"))
        explain_result = _child_json(root, "explain", str(demo))

        started = time.perf_counter()
        _cli(
            root,
            "generate",
            "--out",
            str(large),
            "--accounts",
            str(LARGE_ACCOUNTS),
            "--months",
            str(LARGE_MONTHS),
        )
        generate_seconds = time.perf_counter() - started
        large_result = _child_json(root, "score", str(large), str(root / "scores_large"))
        large_result["export"] = f"{LARGE_ACCOUNTS:,} accounts over {LARGE_MONTHS} months"
        large_result["generate_seconds"] = round(generate_seconds, 1)

    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "demo": demo_result,
        "large": large_result,
        "explain": explain_result,
    }
    (out_dir / "scoring.json").write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    command = sys.argv[1] if len(sys.argv) > 1 else "all"
    if command == "score":
        print(json.dumps(child_score(sys.argv[2], sys.argv[3])))
    elif command == "explain":
        print(json.dumps(child_explain(sys.argv[2])))
    else:
        print(json.dumps(main(RESULTS), indent=2))
