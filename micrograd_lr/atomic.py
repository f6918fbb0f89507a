"""Writing files atomically: a reader sees the old file or the whole new one, never half."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import tempfile
import time
from pathlib import Path

__all__ = ["STALE_AFTER", "TEMPORARY_PATTERN", "check_writable", "resolve_target", "write_atomic"]

TEMPORARY_PATTERN = re.compile(r"\.mglr-(\d+)-[0-9a-f]{8}\.tmp")
"""Names of our temporary files: ``.mglr-PID-RANDOM.tmp``, at most 31 characters whatever
the target's name, so a target name of any legal length still works."""

STALE_AFTER = 24 * 3600.0
"""Seconds after which a temporary file of ours is removed even if its PID is running
(the PID may have been reused by another program)."""


def resolve_target(path: str | os.PathLike[str]) -> Path:
    """The file a write to ``path`` changes: through symlinks to their final target, as
    ``cp`` does, so the link stays a link. A dangling link gives the path it points to.

    Raises
    ------
    IsADirectoryError
        When the target is a folder (checked before anything is written).
    """
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "it is a folder, not a file", str(path))
    return target


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True  # exists but not ours, or cannot tell: leave its file alone
    return True


def _remove_stale_temporaries(folder: Path) -> None:
    """Remove temporary files that a killed writer (SIGKILL, power loss) left in ``folder``.

    Only names of our own pattern, and only when their writer's PID is gone or the file is
    older than `STALE_AFTER`: a concurrent writer's file is never touched.
    """
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        match = TEMPORARY_PATTERN.fullmatch(entry.name)
        if match is None:
            continue
        with contextlib.suppress(OSError):  # gone already, or not ours to remove
            if not entry.is_file(follow_symlinks=False):
                continue
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
            if old or not _pid_running(int(match.group(1))):
                os.unlink(entry.path)


def _create_temporary(folder: Path, mode: int) -> tuple[int, Path]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        temporary = folder / f".mglr-{os.getpid()}-{secrets.token_hex(4)}.tmp"
        try:
            return os.open(temporary, flags, mode), temporary
        except FileExistsError:  # pragma: no cover - 2**32 names
            continue


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    The temporary file is written, flushed to disk (``fsync``) and only then renamed over
    the target (``os.replace``, atomic on POSIX and Windows), so a reader or a crash sees
    the old file or the whole new one. On any error that can be caught the temporary file
    is removed; a writer killed outright (SIGKILL) leaves it behind, and the next write
    into that folder removes it (see `TEMPORARY_PATTERN` and `STALE_AFTER`).

    - The temporary name is short and fixed in length, so any legal target name works.
    - A new file gets the usual permissions (0o666 minus the umask); a file that is
      replaced keeps its permission bits (a 0600 file stays 0600).
    - A symlink is written through to its target, as ``cp`` does, and stays a link.

    Text is encoded as UTF-8.

    Parameters
    ----------
    path : str or path-like
        The file to create or replace; its folder must exist.
    data : bytes or str
        The whole content.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    IsADirectoryError
        ``path`` is a folder (nothing is written).
    OSError
        The folder is missing or not writable, the disk is full, ...
    """
    target = resolve_target(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    folder = target.parent
    _remove_stale_temporaries(folder)
    try:
        kept_mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        kept_mode = None
    # os.open with mode 0o666 lets the umask decide a new file's permissions, as open()
    # would; tempfile's files are 0o600, which would make a drawing unreadable to others.
    fd, temporary = _create_temporary(folder, 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            if kept_mode is not None:
                os.chmod(file.fileno(), kept_mode)
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_folder(folder)
    return Path(path)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); best effort where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_writable(folder: str | os.PathLike[str]) -> None:
    """Check, before any work, that files can be created in ``folder``.

    A temporary file is created and removed: permission bits alone do not tell (root may
    write anywhere they allow, yet not into /proc or onto a read-only mount).

    Raises
    ------
    OSError
        With the reason (``strerror``) when a file cannot be created there.
    """
    with tempfile.TemporaryFile(dir=folder):
        pass
