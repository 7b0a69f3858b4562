"""An answer's body decoded as it arrives, never past the answer cap.

httpx decodes every ``Content-Encoding`` it is given, stacked ones too, and each chunk
whole: 1,827 bytes of ``gzip, gzip`` decode to gigabytes in one call, before any cap or
deadline is looked at. The client reads the raw bytes instead (``iter_raw``) and decodes
them here: at most one encoding (``gzip``, ``deflate`` or none), by a ``zlib``
decompressor asked for no more than the bytes the cap still allows, so that memory stays
under ``MAX_ANSWER_BYTES`` and the deadline is looked at between steps.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable

from openapi.remote.defaults import MAX_ANSWER_BYTES
from openapi.remote.failures import TransportFailure, UnusableEncoding

DECODED = frozenset({"gzip", "x-gzip", "deflate"})
"""The content encodings the client decodes (the ones it asks for in ``ACCEPT_ENCODING``)."""
ACCEPT_ENCODING = "gzip, deflate"
"""What the client asks for: no more than it decodes, one at a time."""
KNOWN = DECODED | {"br", "zstd", "compress", "x-compress"}
"""Codings named as they are in a message; any other is a server's text, named by its size."""
STEP = 64 * 1024
"""The most bytes one decompression step may produce; the deadline is looked at between."""


def encodings(header: str) -> list[str]:
    """The codings a ``Content-Encoding`` header lists, in order, lower case, ``identity``
    and empty items left out."""
    named = (part.strip().lower() for part in header.split(","))
    return [name for name in named if name and name != "identity"]


class _Decoder:
    """One encoding decoded step by step: ``step(data, most)`` decodes at most ``most``
    bytes of ``data`` and of what earlier steps left (``pending``). Deflate is tried with
    and without the zlib wrapper, as servers send both."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        gzip = coding in ("gzip", "x-gzip")
        self._inner = zlib.decompressobj(zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS)
        self._started = False
        self.pending = b""

    def step(self, data: bytes, most: int) -> bytes:
        source = self.pending + data
        try:
            out = self._inner.decompress(source, most)
        except zlib.error:
            if self.coding != "deflate" or self._started:
                raise
            self._inner = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._inner.decompress(source, most)
        self._started = True
        self.pending = self._inner.unconsumed_tail
        return out


def _named(coding: str) -> str:
    return repr(coding) if coding in KNOWN else f"an unknown coding of {len(coding)} characters"


def single_encoding(content_encoding: str, what: str) -> str | None:
    """The one encoding a ``Content-Encoding`` header names (``None``: none), or
    ``UnusableEncoding`` for more than one, or for one the client does not decode."""
    codings = encodings(content_encoding)
    if len(codings) > 1:
        raise UnusableEncoding(
            f"the answer to {what} is encoded {len(codings)} times (Content-Encoding: "
            f"{', '.join(map(_named, codings))}); the client decodes at most one encoding, not read"
        )
    if codings and codings[0] not in DECODED:
        raise UnusableEncoding(
            f"the answer to {what} is encoded as {_named(codings[0])} (Content-Encoding), which the "
            f"client neither asked for nor decodes ({ACCEPT_ENCODING}); not read"
        )
    return codings[0] if codings else None


def read_bounded(
    raw: Iterable[bytes],
    coding: str | None,
    what: str,
    check_time: Callable[[], None],
    limit: int = MAX_ANSWER_BYTES,
) -> bytes:
    """The body of an answer to ``what`` from its raw chunks, decoded from ``coding``
    (``single_encoding``'s; ``None``: as it is); ``check_time`` raises once the deadline
    has passed.

    ``TransportFailure`` when the body grows past ``limit`` bytes, raw or decoded, or is
    not the encoding it claims; its message holds no byte of the body.
    """
    decoder = _Decoder(coding) if coding else None
    chunks: list[bytes] = []
    size = raw_size = 0

    def keep(chunk: bytes) -> None:
        nonlocal size
        size += len(chunk)
        if size > limit:
            # Raw bytes past the limit were refused before: only decoding gets here.
            raise TransportFailure(
                f"the answer to {what} is larger than {limit} bytes once decoded ({coding}); "
                "not read further"
            )
        chunks.append(chunk)

    try:
        for data in raw:
            raw_size += len(data)
            if raw_size > limit:
                raise TransportFailure(f"the answer to {what} is larger than {limit} bytes")
            if decoder is None:
                keep(data)
            else:
                most = min(STEP, limit - size + 1)
                out = decoder.step(data, most)
                keep(out)
                while decoder.pending or len(out) == most:
                    check_time()
                    most = min(STEP, limit - size + 1)
                    out = decoder.step(b"", most)
                    keep(out)
            check_time()
    except zlib.error as error:
        raise TransportFailure(
            f"the answer to {what} is not valid {coding} (Content-Encoding): {error}"
        ) from None
    return b"".join(chunks)
