"""The port ``everflow-mock serve`` listens on, claimed before anything else starts: a busy
one is the commonest mistake, said before a large data file loads."""

from __future__ import annotations

import errno
import socket

BACKLOG = 2048
"""Connections the kernel queues before the server accepts them."""


def http_root(host: str, port: int) -> str:
    """``http://host:port``, with an IPv6 address in brackets: where a server on ``host``
    and ``port`` is reached."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class CannotListen(OSError):
    """The address cannot be bound: the port is in use, the host is not this machine's, ..."""


def claim(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port``, or ``CannotListen`` saying why not.

    It binds as the servers do (``SO_REUSEADDR``, so a port left in TIME_WAIT by a previous
    run is fine) but without ``SO_REUSEPORT``, so a port another server listens on is an
    error, including one granian holds: granian's own sockets would share it silently. It
    listens at once: two sockets merely bound with ``SO_REUSEADDR`` may share a port, so two
    servers started together would both pass. The server then serves on this very socket,
    and connections made meanwhile wait in its backlog instead of being refused.
    """
    where = f"{host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as error:
        raise CannotListen(f"cannot listen on {where}: {error.strerror or error}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise CannotListen(
                f"cannot listen on {where}: the port is in use (another everflow-mock?); "
                "stop that server or choose another --port"
            ) from None
        raise CannotListen(f"cannot listen on {where}: {error.strerror or error}") from None
    return sock
