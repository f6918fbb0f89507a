"""Atomic file writing: complete files only, permissions as usual, no debris on failure."""

import os

import pytest

from micrograd_lr import atomic
from micrograd_lr.atomic import write_atomic


def test_writes_text_as_utf8_and_bytes_as_is(tmp_path):
    assert write_atomic(tmp_path / "t.txt", "ü\n").read_bytes() == "ü\n".encode()
    assert write_atomic(tmp_path / "b.bin", b"\x00\xff").read_bytes() == b"\x00\xff"


def test_replaces_an_existing_file(tmp_path):
    path = tmp_path / "f"
    path.write_text("old")
    write_atomic(path, "new")
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_permissions_follow_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        path = write_atomic(tmp_path / "f", "x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640


def test_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "f"
    path.write_text("old")

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


def test_check_writable_leaves_nothing_behind_and_reports_the_reason(tmp_path):
    atomic.check_writable(tmp_path)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OSError):
        atomic.check_writable(tmp_path / "missing")
