"""HTTP request headers by their WSGI environ names (CGI's rule), one way for every part
that reads an environ: the fronts, the pipeline, the journal and the proxy."""

from __future__ import annotations

_UNPREFIXED = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})


def environ_key(header: str) -> str:
    """The environ key of a request header: ``X-Eflow-Api-Key`` -> ``HTTP_X_EFLOW_API_KEY``
    (``Content-Type`` and ``Content-Length`` have no ``HTTP_``)."""
    name = header.upper().replace("-", "_")
    return name if name in _UNPREFIXED else "HTTP_" + name


def header_name(key: str) -> str:
    """The header an ``HTTP_*`` environ key stands for, as it is usually written:
    ``HTTP_X_EFLOW_API_KEY`` -> ``X-Eflow-Api-Key``."""
    return key.removeprefix("HTTP_").replace("_", "-").title()
