"""Atomic writes: all or nothing, with the usual file permissions."""

import os
import stat

import pytest

from dso_model.io.atomic import write_atomic, write_text_atomic


def test_written_file_has_umask_permissions_not_owner_only(tmp_path):
    mask = os.umask(0o022)
    os.umask(mask)
    path = write_text_atomic(tmp_path / "out.txt", "hello")
    assert path.read_text() == "hello"
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")

    def fail(p):
        p.write_text("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        write_atomic(target, fail)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
