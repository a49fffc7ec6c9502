"""The `expansion generate` command, run as a user runs it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from expansion_propensity.cli import app

SMALL_RUN = ["--accounts", "40", "--months", "12", "--seed", "3"]


def test_demo_truth_goes_to_interim(project):
    result = CliRunner().invoke(app, ["generate", *SMALL_RUN])

    assert result.exit_code == 0, result.output
    assert (project / "data" / "raw" / "demo" / "usage.csv").is_file()
    truth = project / "data" / "interim" / "demo_truth"
    assert (truth / "true_probabilities.parquet").is_file()
    assert json.loads((truth / "manifest.json").read_text())["accounts"] == 40
    assert not (project / "data" / "raw" / "demo_truth").exists()


def test_custom_out_truth_goes_to_sibling(project):
    out = project / "exports" / "trial"
    result = CliRunner().invoke(app, ["generate", "--out", str(out), *SMALL_RUN])

    assert result.exit_code == 0, result.output
    assert (out / "accounts.csv").is_file()
    assert (project / "exports" / "trial_truth" / "true_probabilities.parquet").is_file()
    assert not (project / "data" / "interim" / "demo_truth").exists()


def test_summary_lists_headline_figures(project):
    result = CliRunner().invoke(app, ["generate", *SMALL_RUN])

    for label in ("rows: usage", "quarterly expansion rate", "ACV p99", "annual churn rate"):
        assert label in result.output, label


def test_out_that_is_a_file_fails_cleanly(project):
    target = project / "taken"
    target.write_text("not a folder")
    result = CliRunner().invoke(app, ["generate", "--out", str(target), *SMALL_RUN])

    assert result.exit_code == 1
    assert "is a file" in result.output
