"""Locate and read an export's files: CSV or Parquet, detected by extension and content."""

from __future__ import annotations

import codecs
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from expansion_propensity.errors import InputError
from expansion_propensity.ingest.mapping import Mapping

logger = logging.getLogger(__name__)

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
PARQUET_SUFFIXES = (".parquet", ".pq")
PARQUET_MAGIC = b"PAR1"
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class RawTable:
    """One table's file as read: the values untouched (text for CSV) and the file bytes."""

    name: str
    path: Path
    frame: pd.DataFrame
    content: bytes


def find_file(data_dir: Path, table: str, mapping: Mapping) -> Path | None:
    """Return the table's file in the export folder, or None when it is absent.

    A file named in the mapping must exist; without one, the loader looks for
    `<table>.csv` and `<table>.parquet`.
    """
    named = mapping.table(table).file
    if named is not None:
        path = data_dir / named
        if not path.is_file():
            raise InputError(
                f"{table}: file {named} named in the mapping not found in {data_dir}; "
                f"files there: {_listing(data_dir)}"
            )
        return path

    candidates = [data_dir / f"{table}{suffix}" for suffix in (".csv", ".parquet")]
    found = [path for path in candidates if path.is_file()]
    if len(found) > 1:
        raise InputError(
            f"{table}: both {found[0].name} and {found[1].name} found in {data_dir}; "
            f"remove one, or name the file under tables.{table}.file in the mapping"
        )
    return found[0] if found else None


def missing_file_message(data_dir: Path, table: str) -> str:
    return (
        f"required table {table}: file {table}.csv or {table}.parquet not found in {data_dir}; "
        f"files there: {_listing(data_dir)}. Name the file under tables.{table}.file in a "
        "mapping (--mapping) if the export calls it something else."
    )


# A wrong --data folder can hold hundreds of files; the message lists this many.
MAX_LISTED_FILES = 8


def _listing(data_dir: Path) -> str:
    names = sorted(path.name for path in data_dir.iterdir() if path.is_file())
    if not names:
        return "none"
    listed = ", ".join(names[:MAX_LISTED_FILES])
    hidden = len(names) - MAX_LISTED_FILES
    return f"{listed} and {hidden} more" if hidden > 0 else listed


def read_table(table: str, path: Path, mapping: Mapping) -> RawTable:
    """Read a table's file; CSV values stay text so that the parsers see what was written."""
    content = path.read_bytes()
    if not content:
        raise InputError(
            f"{path.name} is empty (0 bytes) and has no header row; export the {table} table "
            "again, or remove the file if the table is optional"
        )

    if content.startswith(PARQUET_MAGIC):
        frame = _read_parquet(path, content)
    elif path.suffix.lower() in PARQUET_SUFFIXES:
        raise InputError(
            f"{path.name} has a Parquet extension but is not a Parquet file (no PAR1 header); "
            "export it again as Parquet or CSV"
        )
    else:
        _check_text_file(path, content)
        text = _decode(path, content, mapping.encoding_for(table), table)
        frame = _read_csv(path, text, mapping.table(table).delimiter, table)

    logger.debug("read %s: %d rows, %d columns", path.name, len(frame), frame.shape[1])
    return RawTable(name=table, path=path, frame=frame, content=content)


def _check_text_file(path: Path, content: bytes) -> None:
    head = content[:8192]
    if head.startswith(ZIP_MAGIC):
        kind = "a ZIP archive or an Excel workbook"
    elif b"\x00" in head:
        kind = "a binary file"
    elif path.suffix.lower() not in CSV_SUFFIXES:
        kind = f"a {path.suffix or 'extension-less'} file"
    else:
        return
    raise InputError(
        f"{path.name} is neither CSV nor Parquet (it looks like {kind}); "
        "save the table as CSV (UTF-8) or Parquet"
    )


def _decode(path: Path, content: bytes, encoding: str | None, table: str) -> bytes:
    """Return the content as UTF-8 bytes, or raise naming the first byte that fails."""
    if encoding is None:
        encoding = "utf-8-sig" if content.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        text = content.decode(encoding)
    except LookupError as err:
        raise InputError(
            f"{path.name}: unknown encoding {encoding!r} in the mapping; use a Python codec "
            "name such as utf-8, cp1252 or latin-1"
        ) from err
    except UnicodeDecodeError as err:
        line = content.count(b"\n", 0, err.start) + 1
        byte = content[err.start : err.start + 1].hex().upper()
        raise InputError(
            f"{path.name} is not valid {encoding}: byte 0x{byte} at offset {err.start} "
            f"(line {line}) cannot be decoded. Save the file as UTF-8, or state its encoding "
            f"(for example cp1252 or latin-1) under tables.{table}.encoding or encoding in "
            "the mapping."
        ) from err

    if encoding in ("utf-8", "utf8") and not text.startswith("\ufeff"):
        return content
    return text.removeprefix("\ufeff").encode("utf-8")


def _read_csv(path: Path, content: bytes, delimiter: str, table: str) -> pd.DataFrame:
    options = {
        "sep": delimiter,
        "dtype": "string",
        "keep_default_na": False,
        "na_values": [""],
    }
    try:
        return pd.read_csv(io.BytesIO(content), engine="pyarrow", **options)
    except (pa.ArrowInvalid, ValueError) as err:
        # The pyarrow reader rejects some irregular files that the C reader accepts,
        # and its messages carry no line numbers, so retry with the C reader.
        logger.debug("pyarrow CSV reader failed on %s (%s); retrying with the C reader", path, err)
    try:
        return pd.read_csv(io.BytesIO(content), engine="c", **options)
    except (pd.errors.ParserError, ValueError) as err:
        raise InputError(
            f"{path.name} cannot be read as CSV: {str(err).strip()}. Check the delimiter "
            f"(tables.{table}.delimiter in the mapping) and the quoting of that line."
        ) from err


def _read_parquet(path: Path, content: bytes) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(io.BytesIO(content))
    except (pa.ArrowException, OSError, ValueError) as err:
        raise InputError(f"{path.name} cannot be read as Parquet: {err}; export it again") from err
    return frame.reset_index(drop=True)
