"""`expansion validate` as a user runs it: summary, report files and error exit."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from expansion_propensity.cli import app

runner = CliRunner()


def test_validate_summary(export_dir, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["validate", "--data", str(export_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "usage" in result.output
    assert "rejects.csv" in result.output
    report = json.loads((out / "validation_report.json").read_text())
    assert report["tables"]["accounts"]["rows_loaded"] == 3


def test_validate_lists_warnings(tables, make_export, tmp_path):
    tables["tickets"].loc[0, "opened_at"] = "2021-12-01"
    out = tmp_path / "out"
    result = runner.invoke(app, ["validate", "--data", str(make_export(tables)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "ticket_before_customer_since" in result.output


def test_validate_error_exit(export_dir, tmp_path):
    (export_dir / "usage.csv").unlink()
    out = tmp_path / "out"
    result = runner.invoke(app, ["validate", "--data", str(export_dir), "--out", str(out)])
    assert result.exit_code == 1
    assert "required table usage: file usage.csv or usage.parquet not found" in result.output
    assert json.loads((out / "validation_report.json").read_text())["status"] == "failed"


def test_validate_lists_rejects(tables, make_export, tmp_path):
    tables["tickets"].loc[2, "account_id"] = "A404"
    out = tmp_path / "out"
    result = runner.invoke(app, ["validate", "--data", str(make_export(tables)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Rejected rows by reason" in result.output
    assert "unknown account_id" in result.output
