"""Writing files atomically: a reader sees the old file or the whole new one, never half."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

__all__ = ["check_writable", "write_atomic"]


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    The temporary file is renamed over ``path`` (``os.replace``, atomic on POSIX and
    Windows) only once it is complete, so a failure leaves no partial file behind. Text is
    encoded as UTF-8. The new file gets the usual permissions (0o666 minus the umask).

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
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
    # os.open with mode 0o666 lets the umask decide the permissions, as open() would;
    # tempfile's files are 0o600, which would make a drawing unreadable to others.
    fd = os.open(
        temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
    )
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(payload)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


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
