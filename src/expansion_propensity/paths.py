"""Project folders: the layered data layout and the model and tracking locations."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """Return the project root: $EXPANSION_ROOT if set, else the current folder.

    Commands run from the repository root (the Makefile does), so the current
    folder is the natural default; the variable lets tests point elsewhere.
    """
    return Path(os.environ.get("EXPANSION_ROOT", Path.cwd())).resolve()


def data_dir() -> Path:
    return project_root() / "data"


def raw_dir() -> Path:
    return data_dir() / "raw"


def demo_dir() -> Path:
    return raw_dir() / "demo"


def truth_dir() -> Path:
    """Folder for the generator's true probabilities, kept outside the export."""
    return data_dir() / "interim" / "demo_truth"


def interim_dir() -> Path:
    return data_dir() / "interim"


def processed_dir() -> Path:
    return data_dir() / "processed"


def scores_dir() -> Path:
    return data_dir() / "scores"


def models_dir() -> Path:
    return project_root() / "models"


def champion_dir() -> Path:
    return models_dir() / "champion"
