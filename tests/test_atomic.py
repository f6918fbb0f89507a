"""Atomic file writing: complete files only, permissions as usual, no debris on failure."""

import os
import signal
import subprocess
import sys
from pathlib import Path

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


# Regressions (issue 10 #6).
def test_a_target_name_of_any_legal_length_works(tmp_path):
    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")
    path = tmp_path / ("a" * (name_max - 4) + ".svg")
    write_atomic(path, "<svg/>")
    assert path.read_text() == "<svg/>"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_rewriting_keeps_the_permissions_of_the_file_replaced(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("old")
    path.chmod(0o600)
    write_atomic(path, "new")
    assert path.read_text() == "new" and path.stat().st_mode & 0o777 == 0o600


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "graph.svg"
    real.write_text("old")
    link = tmp_path / "link.svg"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    dangling = tmp_path / "dangling.svg"
    dangling.symlink_to(tmp_path / "real" / "new.svg")
    write_atomic(dangling, "made")
    assert dangling.is_symlink() and (tmp_path / "real" / "new.svg").read_text() == "made"
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["graph.svg", "new.svg"]


def test_a_folder_is_refused_before_anything_is_written(tmp_path):
    (tmp_path / "j_graph.svg").mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomic(tmp_path / "j_graph.svg", "x" * 10_000)
    assert [p.name for p in tmp_path.iterdir()] == ["j_graph.svg"]


def test_the_data_is_synced_before_the_rename(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd)))
    monkeypatch.setattr(
        atomic.os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))
    )
    write_atomic(tmp_path / "f", "x")
    assert calls[:2] == ["fsync", "replace"]


@pytest.mark.parametrize("failing", ["write", "fsync", "chmod"])
def test_no_temporary_file_is_left_on_any_error(tmp_path, monkeypatch, failing):
    path = tmp_path / "f"
    path.write_text("old")

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if failing == "write":
        monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: _FailingFile(fd))
    else:
        monkeypatch.setattr(atomic.os, failing, fail)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


class _FailingFile:
    def __init__(self, fd):
        self.fd = fd

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        os.close(self.fd)

    def fileno(self):
        return self.fd

    def write(self, data):
        raise OSError(28, "No space left on device")


KILLED_WRITER = """
import os, sys, time
from micrograd_lr import atomic
atomic.os.replace = lambda a, b: (print("written", flush=True), time.sleep(600))
atomic.write_atomic(sys.argv[1], b"x" * 5_000_000)
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_temporaries_of_a_killed_writer_are_removed_by_the_next_write(tmp_path):
    target = tmp_path / "big.png"
    for _ in range(3):
        child = subprocess.Popen(
            [sys.executable, "-c", KILLED_WRITER, str(target)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(atomic.__file__).parents[1],
        )
        assert child.stdout.readline() == "written\n"
        child.send_signal(signal.SIGKILL)
        child.wait()
        # Each writer removed the previous one's debris: they do not pile up.
        leftovers = [p.name for p in tmp_path.iterdir() if p.name != "big.png"]
        assert leftovers == [f".mglr-{child.pid}-{leftovers[0][-12:-4]}.tmp"]
        assert atomic.TEMPORARY_PATTERN.fullmatch(leftovers[0])
    # A running writer's temporary (this process's PID) is left alone.
    mine = tmp_path / f".mglr-{os.getpid()}-0123abcd.tmp"
    mine.write_bytes(b"in progress")
    write_atomic(target, b"small")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["big.png", mine.name])
    assert target.read_bytes() == b"small"
