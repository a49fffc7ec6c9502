"""Writers whose files are safe to open: atomic replacement and spreadsheet-safe CSV.

Every writer puts the bytes in a temporary file in the target's folder and then
calls ``os.replace``, so a reader sees either the old file or the complete new
one. A crash or exception mid-write leaves the old file untouched and removes
the temporary file. The finished file gets the mode of a newly created file
(``0o666`` less the process umask), not the ``0o600`` of the temporary file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from expansion_propensity.atomic import default_file_mode

# A spreadsheet treats a cell starting with one of these as a formula (tab and
# carriage return can hide one), so such text cells get a leading single quote.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``path``, and move it onto ``path`` on success.

    The temporary file lives in the same folder so ``os.replace`` is an atomic
    rename on the same file system. On any exception it is deleted and the
    exception propagates.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    temp_path = Path(temp_name)

    try:
        yield temp_path
        os.chmod(temp_path, default_file_mode())
        os.replace(temp_path, path)
    finally:
        temp_path.unlink(missing_ok=True)


def write_atomic(path: Path | str, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(temp_path)`` and move the result onto ``path`` atomically."""
    with atomic_path(path) as temp_path:
        writer(temp_path)
    return Path(path)


def write_text_atomic(path: Path | str, text: str) -> Path:
    return write_atomic(path, lambda temp: temp.write_text(text, encoding="utf-8"))


def write_json_atomic(path: Path | str, payload: dict) -> Path:
    text = json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n"
    return write_text_atomic(path, text)


def write_parquet_atomic(path: Path | str, frame: pd.DataFrame) -> Path:
    return write_atomic(path, lambda temp: frame.to_parquet(temp, index=False))


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells cannot run as spreadsheet formulas.

    Only text columns (string, object or category dtype) change: a cell starting
    with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    single quote. Numeric columns keep their values, so a negative number stays
    a number.
    """
    safe = frame.copy()
    text_columns = safe.select_dtypes(include=["string", "object", "category"]).columns

    for column in text_columns:
        values = safe[column].astype("string")
        risky = values.str.startswith(FORMULA_PREFIXES).fillna(False)
        safe[column] = values.mask(risky, "'" + values)

    return safe


def write_csv_safe(
    path: Path | str, frame: pd.DataFrame, decimals: dict[str, int] | None = None
) -> Path:
    """Write ``frame`` as a spreadsheet-safe UTF-8 CSV with BOM, atomically.

    ``decimals`` maps float columns to the number of decimals they are rounded
    to in the file, and other columns keep every digit.

    The byte-order mark makes Excel detect UTF-8, so accented names open intact.
    Rows end in CRLF as RFC 4180 states, and the csv module then quotes any cell
    containing a carriage return or line feed, so such a cell cannot split a row.
    """
    safe = neutralise_formulas(frame)
    if decimals:
        safe = safe.round({column: n for column, n in decimals.items() if column in safe})
    return write_atomic(
        path,
        lambda temp: safe.to_csv(temp, index=False, encoding="utf-8-sig", lineterminator="\r\n"),
    )
