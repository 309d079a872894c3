"""Replacing a file all at once, so that a crash never leaves a half-written checkpoint behind."""
import contextlib
import os
import secrets


def write_atomically(path, data):
    """Write the bytes ``data`` to ``path`` so that ``path`` holds either its old content or all of
    ``data``, even if the process is killed or the machine loses power mid-write.

    The bytes go to a temporary file in the same directory (same file system, so the rename is
    atomic), are flushed and fsynced, and the file is renamed over ``path`` with ``os.replace``; the
    directory is then fsynced so that the rename itself is durable. On an error the temporary file is
    removed and ``path`` is untouched. A process killed mid-write leaves a ``.<name>.<random>.tmp``.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
    # Mode 0o666 lets the umask decide the permissions, as for a file opened with open(path, "wb").
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory):
    # Only POSIX can open a directory to fsync it; elsewhere the rename's durability is the file system's.
    if os.name != "posix":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
