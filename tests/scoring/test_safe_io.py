import json
import os
import stat

import pandas as pd
import pytest

from expansion_propensity.scoring.safe_io import (
    neutralise_formulas,
    write_atomic,
    write_csv_safe,
    write_json_atomic,
    write_parquet_atomic,
    write_text_atomic,
)

HOSTILE_NAMES = [
    '=HYPERLINK("http://127.0.0.1/x","click")',
    "-2+3",
    "+SUM(A1:A2)",
    "@cmd",
    "\tTabbed",
    "\rReturn",
    "Zoë GmbH",
    "Plain Name",
]


def hostile_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_name": pd.array(HOSTILE_NAMES, dtype="string"),
            "contribution": [-0.25, -2.0, 0.5, -1e-3, 3.0, -4.0, 0.0, 1.0],
            "rank": [1, 2, 3, 4, 5, 6, 7, 8],
            "negative_driver": ["-0.25 days", None, "ok", "ok", "ok", "ok", "ok", "ok"],
        }
    )


def test_formula_cells_get_quote():
    safe = neutralise_formulas(hostile_frame())

    assert safe["account_name"].tolist() == [
        '\'=HYPERLINK("http://127.0.0.1/x","click")',
        "'-2+3",
        "'+SUM(A1:A2)",
        "'@cmd",
        "'\tTabbed",
        "'\rReturn",
        "Zoë GmbH",
        "Plain Name",
    ]
    assert safe.loc[0, "negative_driver"] == "'-0.25 days"
    assert pd.isna(safe.loc[1, "negative_driver"])


def test_numeric_columns_untouched():
    frame = hostile_frame()

    safe = neutralise_formulas(frame)

    assert safe["contribution"].dtype == "float64"
    assert safe["contribution"].tolist() == frame["contribution"].tolist()
    assert safe["rank"].tolist() == frame["rank"].tolist()


def test_csv_is_safe_and_bom_encoded(tmp_path):
    path = tmp_path / "scores.csv"

    write_csv_safe(path, hostile_frame())

    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    read = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
    assert read.loc[0, "account_name"] == '\'=HYPERLINK("http://127.0.0.1/x","click")'
    assert read.loc[1, "account_name"] == "'-2+3"
    assert read.loc[5, "account_name"] == "'\rReturn"
    assert read.loc[6, "account_name"] == "Zoë GmbH"
    assert read["contribution"].dtype == "float64"
    assert read.loc[1, "contribution"] == -2.0
    assert read.loc[0, "contribution"] == -0.25


def test_csv_negative_numbers_not_quoted(tmp_path):
    path = tmp_path / "scores.csv"

    write_csv_safe(path, hostile_frame())

    second_line = path.read_text(encoding="utf-8-sig").splitlines()[1]
    assert ",-0.25,1," in second_line


def test_failed_write_keeps_old_file(tmp_path):
    path = tmp_path / "scores.parquet"
    write_text_atomic(path, "old contents")

    class Unwritable:
        def to_parquet(self, *args, **kwargs):
            with open(args[0], "w") as handle:
                handle.write("partial")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_parquet_atomic(path, Unwritable())

    assert path.read_text() == "old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.parquet"]


def test_failed_first_write_leaves_nothing(tmp_path):
    path = tmp_path / "out" / "manifest.json"

    def partial_writer(temp):
        temp.write_text('{"half": ')
        raise ValueError("serialisation failed")

    with pytest.raises(ValueError, match="serialisation failed"):
        write_atomic(path, partial_writer)

    assert list((tmp_path / "out").iterdir()) == []


def test_unserialisable_manifest_writes_nothing(tmp_path):
    path = tmp_path / "manifest.json"
    loop: list = []
    loop.append(loop)

    with pytest.raises(ValueError, match="Circular reference"):
        write_json_atomic(path, {"loop": loop})

    assert list(tmp_path.iterdir()) == []


def test_failed_csv_write_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "scores.csv"
    write_csv_safe(path, hostile_frame())
    before = path.read_bytes()

    def broken_to_csv(self, target, **kwargs):
        with open(target, "w") as handle:
            handle.write("account_name\npartial")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken_to_csv)
    with pytest.raises(KeyboardInterrupt):
        write_csv_safe(path, hostile_frame())

    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]


def test_json_written_sorted(tmp_path):
    path = tmp_path / "manifest.json"

    write_json_atomic(path, {"b": 1, "a": pd.Timestamp("2024-01-01")})

    assert json.loads(path.read_text()) == {"a": "2024-01-01 00:00:00", "b": 1}


def test_parquet_keeps_raw_text(tmp_path):
    path = tmp_path / "scores.parquet"

    write_parquet_atomic(path, hostile_frame())

    assert pd.read_parquet(path)["account_name"].tolist() == HOSTILE_NAMES


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.parametrize(
    "write",
    [
        lambda path: write_text_atomic(path, "text"),
        lambda path: write_json_atomic(path, {"a": 1}),
        lambda path: write_parquet_atomic(path, hostile_frame()),
        lambda path: write_csv_safe(path, hostile_frame()),
    ],
    ids=["text", "json", "parquet", "csv"],
)
def test_written_file_mode_follows_umask(tmp_path, umask_022, write):
    path = write(tmp_path / "out")

    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_replaced_file_mode_follows_umask(tmp_path, umask_022):
    path = tmp_path / "out.txt"
    path.write_text("old")
    path.chmod(0o600)

    write_text_atomic(path, "new")

    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_csv_rounds_listed_columns(tmp_path):
    frame = pd.DataFrame({"propensity": [0.123456789], "arr": [62.65167170466443], "x": [1 / 3]})

    write_csv_safe(tmp_path / "out.csv", frame, {"propensity": 4, "arr": 2, "absent": 1})

    lines = (tmp_path / "out.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[1] == f"0.1235,62.65,{1 / 3!r}"
    assert frame.loc[0, "propensity"] == 0.123456789
