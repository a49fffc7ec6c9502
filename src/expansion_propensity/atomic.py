"""Atomic file writes: a sibling temporary file, then a rename over the target.

A reader never sees a half-written file, and an interrupted write leaves the
previous file in place.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def default_file_mode() -> int:
    """Return the mode a plain open() would give a new file under the current umask."""
    # os.umask can only be read by setting it, so it is set back at once. The two
    # calls are not atomic: a file another thread creates in between gets mode 0o666.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, write: Callable[[str], None]) -> None:
    """Call ``write(temporary_path)``, then rename the result over ``path``.

    mkstemp creates files with mode 0600, so the file gets the umask's usual
    mode before the rename; otherwise colleagues could not read the outputs.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        os.chmod(temporary, default_file_mode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, content: bytes) -> None:
    write_atomic(path, lambda temporary: Path(temporary).write_bytes(content))
