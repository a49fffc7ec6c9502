"""Benchmark the features stage: load and snapshot-build time and peak memory.

Generates a 5,000-account and a 50,000-account export of 36 months each (cached
under ``bench/results/cache`` so reruns skip generation), then loads and builds
each one in a child process, so every peak resident memory figure belongs to
one size alone. Build time covers ``build_snapshots`` plus ``assign_splits``.

Run it with ``python -m bench.run_all bench_features`` or
``python -m bench.bench_features``; results go to ``bench/results/features.json``.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
SIZES = (5_000, 50_000)
MONTHS = 36
SEED = 42


def _cached_export(cache: Path, n_accounts: int) -> tuple[Path, float | None]:
    """Return the export folder for ``n_accounts`` and the seconds spent generating it
    (None when it came from the cache).
    """
    from expansion_propensity.synthetic import generate_export

    folder = cache / f"features_{n_accounts}x{MONTHS}"
    done = folder / "COMPLETE"
    if done.is_file():
        return folder / "export", None

    started = time.perf_counter()
    generate_export(
        folder / "export",
        n_accounts=n_accounts,
        months=MONTHS,
        seed=SEED,
        truth_dir=folder / "truth",
    )
    done.write_text("generated\n")
    return folder / "export", time.perf_counter() - started


def measure(data_dir: Path) -> dict:
    """Load and build one export in this process; return seconds and peak RSS in MiB."""
    from expansion_propensity.config import Config
    from expansion_propensity.features import assign_splits, build_snapshots
    from expansion_propensity.ingest import load_export

    config = Config()
    started = time.perf_counter()
    export = load_export(data_dir, None)
    loaded = time.perf_counter()
    peak_after_load = _peak_rss_mib()

    result = build_snapshots(export, config)
    table = assign_splits(result.table, config)
    built = time.perf_counter()

    return {
        "load_s": round(loaded - started, 2),
        "build_s": round(built - loaded, 2),
        "peak_rss_after_load_mib": round(peak_after_load),
        "peak_rss_mib": round(_peak_rss_mib()),
        "usage_rows": len(export.usage),
        "snapshots": len(table),
        "accounts": int(table["account_id"].nunique()),
        "positive_rate": round(float(table.loc[table["label"].notna(), "label"].mean()), 4),
    }


def _peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure_in_child(data_dir: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_features", "--measure", str(data_dir)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"measuring {data_dir} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(out_dir: Path) -> dict:
    """Run every size, write ``features.json`` to ``out_dir`` and print a table."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "months": MONTHS,
        "runs": {},
    }

    for n_accounts in SIZES:
        data_dir, generate_s = _cached_export(out_dir / "cache", n_accounts)
        run = _measure_in_child(data_dir)
        run["generate_s"] = None if generate_s is None else round(generate_s, 1)
        results["runs"][str(n_accounts)] = run

    (out_dir / "features.json").write_text(json.dumps(results, indent=2))
    _print_table(results["runs"])
    return results


def _print_table(runs: dict) -> None:
    header = f"{'accounts':>9} {'usage rows':>11} {'snapshots':>10} {'load s':>7} {'build s':>8} {'peak MiB':>9}"
    print(header)
    for n_accounts, run in runs.items():
        print(
            f"{int(n_accounts):>9,} {run['usage_rows']:>11,} {run['snapshots']:>10,} "
            f"{run['load_s']:>7.1f} {run['build_s']:>8.1f} {run['peak_rss_mib']:>9,}"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(Path(sys.argv[2]))))
    else:
        main(RESULTS)
