import os
import stat

import pytest

from expansion_propensity.atomic import write_atomic, write_bytes_atomic


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_written_file_has_umask_mode(tmp_path, umask_022):
    target = tmp_path / "out" / "report.json"

    write_bytes_atomic(target, b"{}")

    assert target.read_bytes() == b"{}"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_failed_write_keeps_old_file(tmp_path):
    target = tmp_path / "scores.parquet"
    target.write_bytes(b"old")

    def fail(temporary: str) -> None:
        with open(temporary, "wb") as stream:
            stream.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, fail)

    assert target.read_bytes() == b"old"
    assert [path.name for path in tmp_path.iterdir()] == ["scores.parquet"]
