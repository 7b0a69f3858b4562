"""Files written whole or not at all: the kit's cache and the proxy's recordings."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path


def write_whole(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary file next to it, then
    renamed over it, so that a reader (or a Ctrl-C, or a full disk) finds the old file or
    the new one, never half of one; the temporary file is removed whatever stops the write.
    With ``sync`` the data reaches the disk before the rename (a recording); without it a
    crash may leave the old file (a cache, which checks what it reads anyway)."""
    # Named for the process and thread: two writers of one file never share a part file.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        with open(temporary, "wb") as file:
            file.write(data)
            if sync:
                file.flush()
                os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
