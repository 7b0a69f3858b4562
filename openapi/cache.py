"""Files the kit computes once and keeps between runs: the parsed spec, the built-in catalogue.

A developer's ``pytest -k one_test`` and every ``everflow-mock serve`` would otherwise parse
the spec's YAML and draw the catalogue from Faker again. Each file is named by its caller
after everything that decides its content (a hash), and holds a checksum of its body: a file
that is missing, cut short or changed reads as missing, and the caller computes the value as
before. So the cache can make a start faster, never different; a folder that cannot be
written only leaves it slow.

Where: ``$EVERFLOW_CACHE_DIR`` (set but empty: no cache at all), else the user's cache
folder, ``$XDG_CACHE_HOME`` or ``~/.cache``, in ``everflow-postback-kit``. Standard library
only.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from openapi.files import write_whole

log = logging.getLogger("openapi")
CACHE_ENV = "EVERFLOW_CACHE_DIR"
_HEAD = b"everflow-postback-kit cache 1 sha256="


def cache_dir() -> Path | None:
    """The cache folder, or ``None`` when ``$EVERFLOW_CACHE_DIR`` is set but empty."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return Path(chosen) if chosen else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "everflow-postback-kit"


def read(name: str) -> bytes | None:
    """The body last written under ``name``, or ``None`` (no cache, no file, or not as it
    was written)."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / name
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head, _, body = data.partition(b"\n")
    if head != _HEAD + hashlib.sha256(body).hexdigest().encode():
        log.warning("ignoring the cache file %s: it is not as it was written", path)
        return None
    return body


def write(name: str, body: bytes, replaces: str | None = None) -> None:
    """Keep ``body`` under ``name`` (atomically: a reader sees the old file or the new),
    and remove the other files whose names start with ``replaces`` (older versions of the
    same value), so that the cache does not grow with every change of the kit."""
    folder = cache_dir()
    if folder is None:
        return
    data = _HEAD + hashlib.sha256(body).hexdigest().encode() + b"\n" + body
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_whole(folder / name, data, sync=False)
        stale = [old for old in os.listdir(folder) if replaces and old.startswith(replaces)]
        for old in stale:
            if old != name:
                os.unlink(folder / old)
    except OSError as error:
        log.debug("cache file %s not written: %s", name, error)
