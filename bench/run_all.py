"""Run every benchmark module in bench/ and collect their results.

Each `bench/bench_*.py` exposes `main(out_dir: Path) -> dict` and writes its own
JSON file; this runner calls them in name order and writes a combined
`bench/results/summary.json`. Pass module names to run a subset:
`python -m bench.run_all bench_features`.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def discover() -> list[str]:
    return sorted(path.stem for path in Path(__file__).resolve().parent.glob("bench_*.py"))


def main(names: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    RESULTS.mkdir(parents=True, exist_ok=True)
    # Running a subset keeps the other modules' last results in the summary.
    summary_path = RESULTS / "summary.json"
    summary: dict[str, dict] = (
        json.loads(summary_path.read_text()) if summary_path.is_file() else {}
    )

    for name in names or discover():
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        summary[name] = module.main(RESULTS)
        print(f"== {name} finished in {time.perf_counter() - started:.1f} s", flush=True)

    summary_path.write_text(json.dumps(summary, indent=2, default=str))
    print(f"results written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
