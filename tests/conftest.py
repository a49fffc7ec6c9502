"""Shared fixtures: isolated project folders and small generated exports."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_RAVENSTACK = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ravenstack"


@pytest.fixture(scope="session", autouse=True)
def isolated_root(tmp_path_factory):
    """Point the project root and MLflow at a temporary folder for the whole session.

    Without it, a test that runs a command without the `project` fixture would
    write reports, models and runs into the repository's own data/ and mlflow.db.
    """
    root = tmp_path_factory.mktemp("session_root")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("EXPANSION_ROOT", str(root))
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        yield root


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """An empty project root with the data layout, used as the working folder."""
    for sub in ("data/raw", "data/interim", "data/processed", "data/scores", "models"):
        (tmp_path / sub).mkdir(parents=True)
    monkeypatch.setenv("EXPANSION_ROOT", str(tmp_path))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def ravenstack_dir() -> Path:
    """The shared ravenstack export; tests that use it skip when it is absent."""
    if not (SHARED_RAVENSTACK / "accounts.csv").is_file():
        pytest.skip(f"shared ravenstack export not found at {SHARED_RAVENSTACK}")
    return SHARED_RAVENSTACK
