"""Files the kit writes and reads: outputs written whole or not at all, and only over
regular files; inputs read up to a cap, whatever the file is.

Outputs (the cache, recordings, reports) are written through a temporary file and a rename,
which would replace whatever the name held: a FIFO, a socket, a device node (as root,
``--out /dev/null`` would replace the machine's ``/dev/null``). So an output may only be a
regular file or a new name; ``check_output`` says so before a command runs, and
``write_whole`` checks again before it renames. Inputs are read with a bounded read, not
by the size ``stat`` reports, which a FIFO or a device does not have.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path

MAX_INPUT_BYTES = 256 * 1024 * 1024
"""The largest data file or recording read (a postback is a few kilobytes)."""


class NotRegularFile(OSError):
    """An output names something that is not a regular file (a folder, a FIFO, a device
    node, a socket), or nothing at all: it is never replaced."""


class TooLarge(OSError):
    """An input is larger than its cap; it was not read further."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_output(path: str | os.PathLike[str]) -> Path:
    """``path`` as a ``Path`` when a file may be written there: a regular file (or a
    symbolic link to one: the link is replaced, the file it named left alone) or a new
    name in an existing folder; ``NotRegularFile`` saying why not otherwise, as
    ``"<path>: <reason>"``."""
    text = os.fspath(path)
    if not text.strip():
        raise NotRegularFile(f"{text!r}: an empty name names no file")
    target = Path(text)
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise NotRegularFile(f"{target}: cannot be written: {error.strerror or error}") from None
    if mode is not None and not stat.S_ISREG(mode):
        raise NotRegularFile(f"{target}: {_kind(mode)}; only a regular file is written")
    folder = target.resolve().parent
    if not folder.is_dir():
        raise NotRegularFile(f"{target}: no folder {folder}")
    return target


def write_whole(path: str | os.PathLike[str], data: bytes, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary file next to it, then
    renamed over it, so that a reader (or a Ctrl-C, or a full disk) finds the old file or
    the new one, never half of one; the temporary file is removed whatever stops the write.
    With ``sync`` the data reaches the disk before the rename (a recording); without it a
    crash may leave the old file (a cache, which checks what it reads anyway).
    ``NotRegularFile`` (nothing written) when ``path`` is not a regular file or a new name."""
    path = check_output(path)  # a str as it was given: Path("") would be "."
    # Named for the process and thread: two writers of one file never share a part file.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        with open(temporary, "wb") as file:
            file.write(data)
            if sync:
                file.flush()
                os.fsync(file.fileno())
        check_output(path)  # again: what the name holds may have changed while writing
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def read_capped(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of ``path``, read up to ``limit`` (one byte more, to tell): ``TooLarge``
    past it, whatever the file is (a FIFO or a device has no size to ask for first). The
    error's message does not name the file: the caller does."""
    with open(path, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"larger than {limit} bytes; not read further")
    return data
