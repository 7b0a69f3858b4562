"""Answers decoded as they arrive: one encoding at most, never past the answer cap, inside
the deadline, against a real server sending compression bombs."""

from __future__ import annotations

import functools
import gzip
import json
import time
import tracemalloc
import zlib
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from openapi.remote.client import ContractClient
from openapi.remote.decoding import STEP, encodings, read_bounded, single_encoding
from openapi.remote.defaults import MAX_ANSWER_BYTES
from openapi.remote.failures import OutOfTime, TransportFailure, UnusableEncoding

BOMB_SIZE = 64 * MAX_ANSWER_BYTES
"""What a bomb decodes to: 64 MiB, far past the cap."""
PEAK_LIMIT = 16 * MAX_ANSWER_BYTES
"""The most memory (traced, all threads) a refused bomb may cost: the 1 MiB cap, a step of
decoding, and the in-process server's and httpx's own buffers (about 10 MB at times,
whatever the bomb), against the 64 MiB the bomb decodes to."""


def _zeros(size: int) -> Iterator[bytes]:
    block = bytes(1 << 20)
    for _ in range(size // len(block)):
        yield block


def _compress(chunks: Iterator[bytes], wbits: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return b"".join(compressor.compress(chunk) for chunk in chunks) + compressor.flush()


@functools.cache
def gzip_bomb() -> bytes:
    return _compress(_zeros(BOMB_SIZE), zlib.MAX_WBITS | 16)


@functools.cache
def deflate_bomb(wrapped: bool) -> bytes:
    return _compress(_zeros(BOMB_SIZE), zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)


@functools.cache
def stacked_bomb() -> bytes:
    """gzip of the gzip bomb: a few hundred bytes that decode, twice, to 64 MiB."""
    return gzip.compress(gzip_bomb(), 9)


def _client(httpserver: HTTPServer, **kwargs: float) -> ContractClient:
    """A client of ``httpserver`` that has read one plain answer already, so that what it
    loads once (the spec, httpx's parts) is not counted as a decoding's memory."""
    client = ContractClient(httpserver.url_for("/v1"), "k", rate=0, retries=0, **kwargs)
    httpserver.expect_request("/v1/networks/pixels/0").respond_with_json({})
    client.get("/networks/pixels/0")
    return client


def _serve(httpserver: HTTPServer, body: bytes, encoding: str) -> None:
    httpserver.expect_request("/v1/networks/pixels/1").respond_with_data(
        body,
        headers={"Content-Encoding": encoding},
        content_type="application/json",
    )


def _peak_while(call: functools.partial[object]) -> tuple[BaseException, int]:
    """The exception ``call`` raised and the peak of Python memory traced while it ran."""
    tracemalloc.start()
    try:
        call()
    except TransportFailure as error:
        raised: BaseException = error
    else:
        pytest.fail("the answer was read")
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return raised, peak


def test_encodings_lists_every_coding_but_identity() -> None:
    assert encodings("") == []
    assert encodings("identity") == []
    assert encodings("GZIP") == ["gzip"]
    assert encodings("gzip, gzip") == ["gzip", "gzip"]
    assert encodings(" deflate ,identity, br") == ["deflate", "br"]


@pytest.mark.slow
@pytest.mark.parametrize("encoding", ["gzip, gzip", "gzip,deflate", "deflate, gzip, identity"])
def test_stacked_encodings_are_refused_unread(httpserver: HTTPServer, encoding: str) -> None:
    _serve(httpserver, stacked_bomb(), encoding)
    started = time.monotonic()
    error, peak = _peak_while(functools.partial(_client(httpserver).get, "/networks/pixels/1"))
    assert isinstance(error, UnusableEncoding)
    assert error.check == "content_encoding"
    assert "encoded 2 times" in str(error) or "encoded 3 times" in str(error)
    assert "at most one encoding" in str(error)
    assert peak < PEAK_LIMIT
    assert time.monotonic() - started < 2


@pytest.mark.slow
@pytest.mark.parametrize(
    ("encoding", "bomb"),
    [
        ("gzip", gzip_bomb),
        ("x-gzip", gzip_bomb),
        ("deflate", functools.partial(deflate_bomb, True)),
        ("deflate", functools.partial(deflate_bomb, False)),
    ],
)
def test_a_bomb_in_one_encoding_stops_at_the_cap(
    httpserver: HTTPServer, encoding: str, bomb: functools.partial[bytes]
) -> None:
    _serve(httpserver, bomb(), encoding)
    error, peak = _peak_while(functools.partial(_client(httpserver).get, "/networks/pixels/1"))
    assert type(error) is TransportFailure
    assert f"larger than {MAX_ANSWER_BYTES} bytes once decoded ({encoding})" in str(error)
    # the cap and one step of decoding, not the 256 MiB the bomb decodes to
    assert peak < PEAK_LIMIT


@pytest.mark.slow
@pytest.mark.parametrize("encoding", ["br", "zstd", "compress"])
def test_an_encoding_the_client_does_not_decode_is_refused(
    httpserver: HTTPServer, encoding: str
) -> None:
    _serve(httpserver, b"\x00" * 100, encoding)
    with pytest.raises(UnusableEncoding, match=f"encoded as '{encoding}'"):
        _client(httpserver).get("/networks/pixels/1")


def test_a_coding_of_unknown_name_is_named_by_its_size() -> None:
    with pytest.raises(UnusableEncoding) as refused:
        single_encoding("gzip, token-sekret-123", "GET /x")
    assert "'gzip', an unknown coding of 16 characters" in str(refused.value)
    assert "sekret" not in str(refused.value)


@pytest.mark.slow
@pytest.mark.parametrize("encoding", ["gzip", "deflate", "identity", ""])
def test_an_ordinary_encoded_answer_is_decoded(httpserver: HTTPServer, encoding: str) -> None:
    body = json.dumps({"network_pixel_id": 1, "note": "x" * 5000}).encode()
    encoded = {
        "gzip": gzip.compress(body),
        "deflate": zlib.compress(body),
    }.get(encoding, body)
    _serve(httpserver, encoded, encoding)
    response = _client(httpserver).get("/networks/pixels/1")
    assert response.json() == json.loads(body)
    assert "Content-Encoding" not in response.headers
    sent = httpserver.log[0][0]
    assert sent.headers["Accept-Encoding"] == "gzip, deflate"


@pytest.mark.slow
def test_a_body_that_is_not_what_its_encoding_says_is_a_clear_failure(
    httpserver: HTTPServer,
) -> None:
    _serve(httpserver, b'{"token": "sekret-123"}', "gzip")
    with pytest.raises(TransportFailure, match=r"is not valid gzip \(Content-Encoding\)") as failed:
        _client(httpserver).get("/networks/pixels/1")
    assert "sekret" not in str(failed.value)


def test_decoding_looks_at_the_deadline_between_steps() -> None:
    steps: list[int] = []

    def check_time() -> None:
        steps.append(1)
        if len(steps) > 3:
            raise OutOfTime("deadline")

    with pytest.raises(OutOfTime):
        read_bounded([gzip_bomb()[:100_000]], "gzip", "GET /x", check_time, 1 << 30)
    assert len(steps) == 4


def test_raw_bytes_past_the_cap_are_refused_before_decoding() -> None:
    with pytest.raises(TransportFailure, match="larger than 10 bytes"):
        read_bounded([b"x" * 6, b"x" * 6], None, "GET /x", lambda: None, 10)


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def test_deflate_is_read_with_or_without_its_zlib_wrapper_but_gzip_only_as_gzip() -> None:
    body = b'{"network_pixel_id": 1}'
    for encoded in (zlib.compress(body), _raw_deflate(body)):
        assert read_bounded([encoded], "deflate", "GET /x", lambda: None) == body
    with pytest.raises(TransportFailure, match=r"is not valid gzip \(Content-Encoding\)"):
        read_bounded([_raw_deflate(body)], "gzip", "GET /x", lambda: None)


def test_a_deflate_answer_broken_after_its_start_is_refused_not_read_another_way() -> None:
    # a zlib stream whose checksum is wrong: its last bytes happen to be valid raw deflate
    encoded = zlib.compress(b'{"network_pixel_id": 1}')[:-4]
    with pytest.raises(TransportFailure, match=r"not valid deflate .*incorrect data check"):
        read_bounded([encoded, b"\x03\x00\x00\x00"], "deflate", "GET /x", lambda: None)


def _encoded(body: bytes, coding: str | None) -> bytes:
    if coding is None:
        return body
    return _compress(iter([body]), zlib.MAX_WBITS | 16 if coding == "gzip" else zlib.MAX_WBITS)


BODIES = {
    "varied": bytes(range(256)) * 40,  # 10,240 bytes: one decoding step
    "repetitive": b"{}" * 100_000,  # 200,000 bytes from a few hundred: several steps
}


@pytest.mark.parametrize("coding", [None, "gzip", "deflate"])
@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES)
def test_a_body_of_exactly_the_limit_is_read_whole_and_one_byte_less_refuses_it(
    body: bytes, coding: str | None
) -> None:
    encoded = _encoded(body, coding)
    chunks = [encoded[i : i + 100] for i in range(0, len(encoded), 100)]
    whole = read_bounded(chunks, coding, "GET /x", lambda: None, len(body))
    assert whole == body
    with pytest.raises(TransportFailure) as refused:
        read_bounded(chunks, coding, "GET /x", lambda: None, len(body) - 1)
    # Read as it is, the raw bytes pass the cap first; decoded, what they decode to does.
    said = f"the answer to GET /x is larger than {len(body) - 1} bytes"
    assert str(refused.value) == (
        said if coding is None else f"{said} once decoded ({coding}); not read further"
    )


def test_raw_bytes_are_counted_across_chunks_and_the_decoded_not_raw_size_is_capped() -> None:
    """Plain chunks of 100 bytes pass the cap together, not each alone; a gzip answer a
    little smaller than the cap raw but larger decoded is refused once decoded."""
    with pytest.raises(TransportFailure) as refused:
        read_bounded([b"x" * 100] * 11, None, "GET /x", lambda: None, 1000)
    assert str(refused.value) == "the answer to GET /x is larger than 1000 bytes"
    body = bytes(range(256)) * 8
    encoded = _encoded(body, "gzip")
    assert len(encoded) < len(body)
    with pytest.raises(TransportFailure, match="once decoded"):
        read_bounded([encoded], "gzip", "GET /x", lambda: None, len(body) - 1)


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_no_decoding_step_goes_past_the_limit_by_more_than_a_byte(coding: str) -> None:
    """A step is asked for what the limit still allows and one byte more (to tell a body
    past it): decoding a bomb against a 1,000-byte limit holds about 1,000 bytes, not a
    step's 64 KiB or the bomb's 64 MiB."""
    bomb = gzip_bomb() if coding == "gzip" else deflate_bomb(True)
    tracemalloc.start()
    try:
        with pytest.raises(TransportFailure, match="larger than 1000 bytes once decoded"):
            read_bounded([bomb[:900]], coding, "GET /x", lambda: None, 1000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < STEP  # zlib's window and state (about 40 KiB) and the kept bytes
