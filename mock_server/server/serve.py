"""Run the mock on a production server: granian (through the RSGI front), or waitress (WSGI)
where granian is missing.

Flask, the app and the servers are imported only when a server starts, so the command line
can read :data:`THREADS` and :data:`SERVERS` from here at no cost.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib.util
import logging
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mock_server.core.config import MockConfig
from mock_server.core.faults import HideInjectedFaults
from mock_server.server.access_log import AccessLog, RsgiAccessLog, granian_logging, with_access_log
from mock_server.server.port import BACKLOG, claim, http_root

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

SERVERS = ("granian", "waitress")
# Python threads for what runs in threads: the admin API and Flask (the page, the spec) under
# granian's RSGI front, every request under waitress, and the WSGI baselines of the benchmarks.
THREADS = 16
MAX_HEADER_BYTES = 64 * 1024
"""The most a request's line and headers may take (both servers refuse more)."""
BACKPRESSURE = 8192
"""Connections a granian worker serves at once (its default, the backlog, let about 1,000
silent clients lock everyone else out)."""
STOP_SECONDS = 1
"""How long Ctrl-C or SIGTERM waits for answers in flight before the workers are killed."""
WAITRESS_CONNECTIONS = 1000
"""The most connections waitress holds open at once (its own default is 100)."""

# Filled in the parent before granian forks its workers, so they start without rebuilding.
_PRELOADED: dict[int, WSGIApplication] = {}


@dataclass(frozen=True)
class ServerOptions:
    """How ``everflow-mock serve`` runs (``MockConfig`` says how the mock behaves).

    With waitress, which runs one process, ``workers`` become more threads: ``threads``
    times ``workers``, all sharing one state.
    """

    host: str = "127.0.0.1"
    port: int = 4010
    workers: int = 1
    threads: int = THREADS
    server: str = "auto"
    access_log: bool = True

    @property
    def root(self) -> str:
        """``http://host:port``, with an IPv6 address in brackets."""
        return http_root(self.host, self.port)


def preload(config: MockConfig) -> WSGIApplication:
    """Build (and validate) the app once, before any worker starts."""
    from mock_server.app import MockApp
    from mock_server.pipeline.registry import get_state

    app = MockApp(config)  # Flask is built when a request needs it (page, spec)
    get_state(app).store.prepare()
    _PRELOADED[id(config)] = app
    # Everything built so far lives as long as the server: keep the cyclic GC from rescanning
    # it (a full collection over Faker, openapi-core and the catalogue costs milliseconds).
    gc.collect()
    gc.freeze()
    return app


def _load_app(config: MockConfig, key: int) -> WSGIApplication:
    if key in _PRELOADED:
        return _PRELOADED[key]
    from mock_server.app import MockApp

    return MockApp(config)


def server_name(choice: str = "auto") -> str:
    """The server ``serve`` will use: ``choice``, or for ``auto`` granian when it is
    installed and waitress otherwise."""
    if choice != "auto":
        return choice
    return "granian" if importlib.util.find_spec("granian") else "waitress"


def _rsgi_app(config: MockConfig, key: int, options: ServerOptions) -> Any:
    """A granian worker's app: the preloaded mock behind the RSGI front (and access log),
    with silent connections to the port swept away."""
    from mock_server.http.rsgi import RsgiFront
    from mock_server.http.silent import start_sweeping

    start_sweeping(options.port)
    app: Any = RsgiFront(_load_app(config, key), flask_threads=options.threads)  # type: ignore[arg-type]
    if options.access_log:
        app = RsgiAccessLog(app)
    return app


def run_wsgi(
    app: WSGIApplication,
    loader: Callable[[], WSGIApplication],
    options: ServerOptions,
    listener: socket.socket | None = None,
) -> None:
    """Serve a WSGI app the way ``everflow-mock serve`` does, until Ctrl-C or SIGTERM.

    ``loader`` gives each granian worker its app; ``listener`` is the socket ``claim``
    bound (claimed here when not given). The benchmarks serve their baseline app through
    this too, so that both run on exactly the same server settings.
    """
    listener = listener or claim(options.host, options.port)
    if server_name(options.server) == "granian":
        if options.access_log:
            loader = functools.partial(with_access_log, loader)
        _serve_granian(loader, "wsgi", options, listener)
    else:
        serve_waitress(AccessLog(app) if options.access_log else app, options, listener)


def _serve_granian(
    loader: Callable[[], Any],
    interface: str,
    options: ServerOptions,
    listener: socket.socket,
    header_timeout: float = 30.0,
) -> None:
    from granian.constants import Interfaces, Loops
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import Server

    asynchronous = interface != "wsgi"
    # granian takes only an IP address: the one a name (localhost) resolved to in claim().
    granian: Any = Server(
        "everflow-mock",
        address=listener.getsockname()[0],
        port=options.port,
        interface=Interfaces(interface),
        workers=options.workers,
        # The RSGI front's Python runs on one event loop; Flask has a thread pool of its own.
        blocking_threads=1 if asynchronous else options.threads,
        loop=Loops.uvloop if asynchronous and importlib.util.find_spec("uvloop") else Loops.auto,
        backlog=BACKLOG,
        backpressure=BACKPRESSURE,
        # In-flight answers (a Prefer: delay of up to a minute) must not hold a stop up.
        workers_kill_timeout=STOP_SECONDS,
        http1_settings=HTTP1Settings(
            header_read_timeout=int(header_timeout * 1000), max_buffer_size=MAX_HEADER_BYTES
        ),
        log_level=LogLevels.warning,
        log_dictconfig=granian_logging(),
    )
    _serve_on(granian, listener)
    # granian installs its own SIGINT and SIGTERM handlers, whatever the process inherited.
    granian.serve(target_loader=loader, wrap_loader=False)


def _serve_on(granian: Any, listener: socket.socket) -> None:
    """Make granian serve on ``listener`` (which ``claim`` bound and listens on).

    On Linux granian binds a socket of its own in each worker, with ``SO_REUSEPORT``, so a
    second server on the same port would share it silently; elsewhere it binds one in the
    main process. Either way the claim would end before granian binds, and a server started
    in that instant could take the port too. Instead granian gets the claimed socket, as it
    does on Windows: its workers, forked, inherit it. Workers started another way (spawned,
    Python 3.14's default) do not inherit it, and granian binds its own as before.

    granian has no public way to take a socket, so this sets its private attributes;
    ``test_granian_takes_the_claimed_socket_through_the_attributes_serve_sets`` fails
    should granian change them.
    """
    import multiprocessing

    from granian._granian import SocketHolder

    if multiprocessing.get_start_method() != "fork":
        listener.close()
        return

    def adopt_claimed_socket() -> None:
        listener.set_inheritable(True)
        granian._ssp = None
        granian._shd = SocketHolder(listener.fileno(), False, BACKLOG)  # type: ignore[call-arg]
        granian._sfd = listener.fileno()
        granian._sso = listener  # closed by granian at shutdown

    granian._init_shared_socket = adopt_claimed_socket


def serve_waitress(
    app: WSGIApplication,
    options: ServerOptions,
    listener: socket.socket,
    read_timeout: float = MockConfig.read_timeout,
    max_body: int = MockConfig.max_body,
) -> None:
    """Serve a WSGI app on waitress on ``listener`` until Ctrl-C or SIGTERM, bounded as
    ``everflow-mock serve`` is (connections, header bytes, body bytes, read timeout): the
    mock where granian is missing, and ``everflow-mock proxy``, whose tally lives in one
    process. For a command's own process: on return, SIGINT and SIGTERM are left ignored."""
    import waitress

    logging.getLogger("waitress").addFilter(HideInjectedFaults())
    # "Task queue depth is N": requests queued in the backlog while waitress starts (the
    # socket listens before it), and under load; not a problem to report on a mock's console.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    # A process started with SIGINT ignored (nohup, `&` in a script) keeps it ignored, and
    # Python then installs no Ctrl-C handler: install it, so Ctrl-C stops waitress anyway.
    stop = stop_like_ctrl_c()
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        waitress.serve(
            app,
            sockets=[listener],
            threads=options.threads * options.workers,
            # waitress reads a whole request before the app sees it: bound what it reads and
            # how long a silent client may hold a connection (bodies past max_body get the
            # app's 413, far past it waitress's own).
            channel_timeout=max(1, int(read_timeout)),
            cleanup_interval=max(1, int(read_timeout)),
            max_request_body_size=2 * max_body,
            max_request_header_size=MAX_HEADER_BYTES,
            # waitress reads on one I/O thread, so an open connection costs little; its
            # default of 100 let 100 slow clients lock everyone else out.
            connection_limit=WAITRESS_CONNECTIONS,
            _quiet=True,
        )
    finally:
        # Stopped: signals are ignored from here to the process's exit. A Python handler
        # (this one) is reset to the default as the interpreter ends, so one more Ctrl-C
        # or SIGTERM would kill a process that had stopped cleanly.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _raise_open_files_limit() -> None:
    """Let the server hold as many connections as the system allows this process: a soft
    limit of 1,024 open files (a common default) would let that many silent clients lock
    everyone else out before the server even sees them."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def stop_like_ctrl_c() -> Callable[[int, object], None]:
    """A handler that stops waitress (SIGINT and SIGTERM): answer what delays hold back at
    once, then stop as Ctrl-C does (waitress would wait up to 5 s for its threads).

    It stops once: a signal that follows while the server stops is ignored (the stop is
    bounded), so a second Ctrl-C or SIGTERM cannot break off the shutdown, or the summary
    and reports after it, with a traceback, nor deadlock the handler it interrupts. Whatever it needs is imported before it is
    installed: an import in a handler that a second signal interrupts leaves a module
    half-initialised (an ``ImportError`` at the next signal)."""
    from mock_server.http.wsgi import STOPPING

    stopped = False

    def stop(signum: int, frame: object) -> None:
        # A later call returns before touching any lock: a handler runs between two
        # bytecodes of the main thread, maybe inside this one's STOPPING.set(), whose
        # lock a second set() would wait for forever.
        nonlocal stopped
        if stopped:
            return
        stopped = True
        STOPPING.set()
        raise KeyboardInterrupt

    return stop


def run(
    config: MockConfig,
    options: ServerOptions,
    on_ready: Callable[[], None],
    listener: socket.socket | None = None,
) -> None:
    """Serve the mock until Ctrl-C or SIGTERM; ``on_ready`` is called just before it starts
    (after the address was claimed and the app was built, so never for a busy port)."""
    listener = listener or claim(options.host, options.port)
    with listener:
        app = preload(config)
        on_ready()
        if server_name(options.server) == "granian":
            # Not for waitress: it waits on select(), which takes no file number past 1,023.
            _raise_open_files_limit()
            loader = functools.partial(_rsgi_app, config, id(config), options)
            _serve_granian(loader, "rsgi", options, listener, config.read_timeout)
        else:
            logged = AccessLog(app) if options.access_log else app
            serve_waitress(logged, options, listener, config.read_timeout, config.max_body)
