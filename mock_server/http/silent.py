"""Close connections that never send a byte: granian's worker, on Linux.

granian closes a connection whose request header is unfinished after its header read
timeout, and an idle keep-alive connection after the same time, but one that sends nothing
at all stays open for ever, and a few thousand of them lock every other client out. The
server's own socket table is invisible from Python, but not the worker's file descriptors:
a thread in each worker looks at its TCP connections every :data:`SWEEP_SECONDS` and shuts
down the ones that have received no byte in :data:`SILENT_SECONDS` since they opened
(``TCP_INFO``: nothing received, last data long ago). The server sees the end of the
stream and drops the connection, as it would if the client had left.

Elsewhere than on Linux (no ``/proc/self/fd``, another ``TCP_INFO``) nothing is swept.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import sys
import threading

SILENT_SECONDS = 5.0
"""How long a connection may stay open without sending a byte."""
SWEEP_SECONDS = 1.0
"""How often the worker looks."""

# struct tcp_info (linux/tcp.h): u8 tcpi_state first; u32 tcpi_last_data_recv (ms) at 52;
# u64 tcpi_bytes_received at 128 (Linux 4.1 and later).
_TCP_INFO_BYTES = 136
_ESTABLISHED = 1
_LAST_DATA_RECV = struct.Struct("=I")
_BYTES_RECEIVED = struct.Struct("=Q")
_INET = (socket.AF_INET, socket.AF_INET6)


def silent_for(sock: socket.socket) -> float | None:
    """Seconds ``sock`` (a connected TCP socket) has been open without receiving a byte, or
    ``None`` when it has received something or is not established."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_BYTES)
    if len(info) < _TCP_INFO_BYTES or info[0] != _ESTABLISHED:
        return None
    if _BYTES_RECEIVED.unpack_from(info, 128)[0]:
        return None
    return float(_LAST_DATA_RECV.unpack_from(info, 52)[0]) / 1000


def sweep(port: int, after: float = SILENT_SECONDS) -> int:
    """Shut down this process's connections to local ``port`` that have been silent for
    ``after`` seconds or more; returns how many."""
    closed = 0
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            sock = socket.socket(fileno=fd)
        except OSError:  # not a socket (or already closed)
            continue
        try:
            tcp = sock.type == socket.SOCK_STREAM and sock.family in _INET
            if not tcp or sock.getsockname()[1] != port:
                continue
            silent = silent_for(sock)  # a listening socket is not established: None
            if silent is not None and silent >= after:
                sock.shutdown(socket.SHUT_RDWR)
                closed += 1
        except OSError:
            continue
        finally:
            sock.detach()  # the fd is the server's: never close it here
    return closed


def start_sweeping(port: int, after: float = SILENT_SECONDS) -> threading.Thread | None:
    """Sweep ``port``'s silent connections every :data:`SWEEP_SECONDS` in a daemon thread,
    on Linux; returns the thread (``None`` elsewhere)."""
    if not sys.platform.startswith("linux") or not os.path.isdir("/proc/self/fd"):
        return None

    def run() -> None:
        stop = threading.Event()
        while not stop.wait(SWEEP_SECONDS):
            with contextlib.suppress(OSError):
                sweep(port, after)

    thread = threading.Thread(target=run, name="everflow-mock-sweeper", daemon=True)
    thread.start()
    return thread
