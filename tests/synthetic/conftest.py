"""Small generated exports shared by the synthetic-data tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from expansion_propensity.synthetic import generate_export

SMALL = {"n_accounts": 300, "months": 24}


@pytest.fixture(scope="session")
def small_export(tmp_path_factory) -> tuple[Path, dict]:
    """A 300-account, 24-month export with seed 7 and its summary."""
    out = tmp_path_factory.mktemp("small") / "export"
    return out, generate_export(out, seed=7, **SMALL)


@pytest.fixture(scope="session")
def small_export_again(tmp_path_factory) -> Path:
    """The same export as ``small_export``, generated into another folder."""
    out = tmp_path_factory.mktemp("again") / "export"
    generate_export(out, seed=7, **SMALL)
    return out


@pytest.fixture(scope="session")
def modest_export(tmp_path_factory) -> tuple[Path, dict]:
    """A 2,000-account, 36-month export, large enough for stable rates and percentiles."""
    out = tmp_path_factory.mktemp("modest") / "export"
    return out, generate_export(out, n_accounts=2000, months=36, seed=11)
