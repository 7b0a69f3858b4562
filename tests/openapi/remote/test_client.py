"""ContractClient: read-only unless allowed to write, paced, retrying within bounds, careful
with the key, and keeping a record of every write."""

from __future__ import annotations

import time

import httpx
import pytest

from mock_server import create_app, get_state
from mock_server.testing.local_server import LocalServer
from openapi.remote.client import ContractClient
from openapi.remote.defaults import MAX_ANSWER_BYTES, MAX_JSON_DEPTH, RETRY_AFTER_CAP
from openapi.remote.failures import (
    OutOfTime,
    RequestTimeout,
    RetryRefused,
    TooDeep,
    TransportFailure,
    json_depth,
    retry_after_seconds,
)
from openapi.remote.findings import Write
from openapi.remote.targets import UnsafeTarget, WriteRefused, check_base_url


class Recorder:
    """A transport that answers from a script and remembers every request."""

    def __init__(self, statuses: list[int], headers: dict[str, str] | None = None) -> None:
        self.statuses = statuses
        self.headers = headers or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.statuses[min(len(self.requests), len(self.statuses)) - 1]
        return httpx.Response(status, headers=self.headers, json={"error": "x"})


def client_for(recorder: Recorder, sleeps: list[float], **kwargs: object) -> ContractClient:
    return ContractClient(
        "https://api.eflow.team/v1",
        "k",
        transport=httpx.MockTransport(recorder),
        sleep=sleeps.append,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    "url", ["http://api.eflow.team/v1", "http://10.0.0.5/v1", "ftp://api.eflow.team/v1", "nonsense"]
)
def test_refuses_urls_that_would_expose_the_key(url: str) -> None:
    with pytest.raises(UnsafeTarget):
        check_base_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pa55word-x@127.0.0.1:4010/v1",
        "https://pa55word-x@api.eflow.team/v1",
        "ftp://user:pa55word-x@api.eflow.team/v1",
    ],
)
def test_refuses_credentials_in_the_url_without_repeating_them(url: str) -> None:
    with pytest.raises(UnsafeTarget) as refused:
        check_base_url(url)
    message = str(refused.value)
    assert "credentials" in message
    assert "EVERFLOW_API_KEY" in message
    assert "pa55word" not in message
    assert "user" not in message.split("user:password")[-1]


@pytest.mark.parametrize(
    "url", ["https://api.eflow.team", "https://api.eflow.team/", "http://127.0.0.1:4010/v2"]
)
def test_base_url_must_end_in_v1(url: str) -> None:
    with pytest.raises(UnsafeTarget, match=r"must end in /v1, e\.g\. https://api\.eflow\.team/v1"):
        check_base_url(url)


def test_base_url_carries_no_query() -> None:
    with pytest.raises(UnsafeTarget, match="query"):
        check_base_url("https://api.eflow.team/v1?api_key=x")


@pytest.mark.parametrize(
    "url",
    [
        "https://api.eflow.team/v1",
        "http://127.0.0.1:4010/v1",
        "http://localhost/v1",
        "http://[::1]:80/v1",
    ],
)
def test_allows_https_and_plain_http_to_loopback(url: str) -> None:
    assert check_base_url(url).host


def test_retries_429_and_5xx_with_growing_jittered_backoff_then_stops() -> None:
    recorder, sleeps = Recorder([503, 429, 500, 502]), []
    client = client_for(recorder, sleeps, rate=0, retries=3, backoff=0.5)
    response = client.get("/networks/pixels/1")
    assert response.status_code == 502
    assert len(recorder.requests) == 4
    assert len(sleeps) == 3
    for attempt, slept in enumerate(sleeps):
        assert 0.5 * 2**attempt <= slept <= 0.5 * 2**attempt + 0.5


def test_does_not_retry_other_statuses() -> None:
    recorder, sleeps = Recorder([404]), []
    assert client_for(recorder, sleeps, rate=0).get("/networks/pixels/1").status_code == 404
    assert len(recorder.requests) == 1


def test_honours_retry_after() -> None:
    recorder, sleeps = Recorder([429, 200], {"Retry-After": "7"}), []
    client_for(recorder, sleeps, rate=0, backoff=0.01).get("/networks/pixels/1")
    assert sleeps == [7.0]


def test_a_retry_after_beyond_the_cap_is_not_waited_for() -> None:
    recorder, sleeps = Recorder([429], {"Retry-After": "60"}), []
    with pytest.raises(RetryRefused, match=r"Retry-After 60 s, longer than the 10 s"):
        client_for(recorder, sleeps, rate=0).get("/networks/pixels/1")
    assert sleeps == []
    assert len(recorder.requests) == 1
    assert RETRY_AFTER_CAP == 10


def test_a_retry_after_beyond_the_time_left_is_not_waited_for() -> None:
    fake = FakeTime()
    recorder = Recorder([503], {"Retry-After": "5"})
    client = ContractClient(
        "https://api.eflow.team/v1",
        "k",
        rate=0,
        max_time=4,
        transport=httpx.MockTransport(recorder),
        sleep=fake.sleep,
        clock=lambda: fake.now,
    )
    with pytest.raises(RetryRefused, match="left of --max-time 4 s"):
        client.get("/networks/pixels/1")
    assert fake.sleeps == []


def test_backoff_beyond_the_time_left_ends_the_run() -> None:
    fake = FakeTime()
    client = ContractClient(
        "https://api.eflow.team/v1",
        "k",
        rate=0,
        backoff=1.0,
        max_time=2.5,
        transport=httpx.MockTransport(Recorder([500])),
        sleep=fake.sleep,
        clock=lambda: fake.now,
    )
    with pytest.raises(OutOfTime, match=r"--max-time 2\.5 s used up waiting to retry"):
        client.get("/networks/pixels/1")
    assert len(fake.sleeps) == 1  # 1 s (+ jitter < 1 s) fits; the next 2 s does not


def test_retry_after_as_an_http_date() -> None:
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412475.0) == 5.0
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("soon") is None


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_paces_requests_under_the_rate() -> None:
    fake = FakeTime()
    client = ContractClient(
        "https://api.eflow.team/v1",
        "k",
        rate=5.0,
        transport=httpx.MockTransport(Recorder([200])),
        sleep=fake.sleep,
        clock=lambda: fake.now,
    )
    for _ in range(4):
        client.get("/networks/pixels/1")
    assert fake.sleeps == pytest.approx([0.2, 0.2, 0.2])
    fake.now += 5
    client.get("/networks/pixels/1")
    assert len(fake.sleeps) == 3


def test_sends_the_key_only_when_asked() -> None:
    recorder = Recorder([200])
    client = client_for(recorder, [], rate=0)
    client.get("/networks/pixels/1")
    client.get("/networks/pixels/1", with_key=False)
    assert [r.method for r in recorder.requests] == ["GET", "GET"]
    assert recorder.requests[0].headers["X-Eflow-Api-Key"] == "k"
    assert "X-Eflow-Api-Key" not in recorder.requests[1].headers


def test_a_read_only_client_sends_reads_and_search_and_nothing_else() -> None:
    recorder = Recorder([200])
    client = client_for(recorder, [], rate=0)
    client.get("/networks/pixels/1")
    client.get("/networks/pixels", params={"page": 1, "page_size": 5})
    client.request("POST", "/networks/pixelstable", json={"query": {}})
    assert [(r.method, r.url.path) for r in recorder.requests] == [
        ("GET", "/v1/networks/pixels/1"),
        ("GET", "/v1/networks/pixels"),
        ("POST", "/v1/networks/pixelstable"),
    ]
    assert client.writes == []
    refused = [
        ("POST", "/networks/pixels"),
        ("PUT", "/networks/pixels/1"),
        ("DELETE", "/networks/pixels/1"),
        ("PATCH", "/networks/pixels/1"),
        ("POST", "/networks/pixels/1"),
        ("GET", "/networks/pixels/1/../../offers/3"),
        ("POST", "/networks/pixelstable/1"),
        ("DELETE", "/networks/pixelstable"),
        ("GET", "/networks/offers"),
    ]
    for method, path in refused:
        with pytest.raises(WriteRefused, match="writes only with --allow-writes"):
            client.request(method, path, json={})
    assert len(recorder.requests) == 3, "a refused request must never be sent"
    assert client.writes == []


def scripted(*answers: httpx.Response) -> tuple[list[httpx.Request], httpx.MockTransport]:
    """A transport answering ``answers`` in turn (the last one again), and what it got."""
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return answers[min(len(sent), len(answers)) - 1]

    return sent, httpx.MockTransport(answer)


def writer(transport: httpx.BaseTransport, **kwargs: object) -> ContractClient:
    settings: dict[str, object] = {"rate": 0, "backoff": 0, **kwargs}
    return ContractClient(
        "https://api.eflow.team/v1",
        "k",
        allow_writes=True,
        transport=transport,
        **settings,  # type: ignore[arg-type]
    )


def test_a_writing_client_records_every_write_it_sends_with_the_id_it_touched() -> None:
    created = httpx.Response(200, json={"network_pixel_id": 77})
    sent, transport = scripted(created, httpx.Response(200, json={"network_pixel_id": 77}))
    client = writer(transport)
    client.request("POST", "/networks/pixels", json={"description": "x"})
    client.request("PUT", "/networks/pixels/77", json={"description": "y"})
    client.request("GET", "/networks/pixels/77")
    client.request("POST", "/networks/pixelstable", json={})
    client.request("DELETE", "/networks/pixels/77")
    assert [r.method for r in sent] == ["POST", "PUT", "GET", "POST", "DELETE"]
    assert client.writes == [
        Write("POST", "/v1/networks/pixels", 77, "200"),
        Write("PUT", "/v1/networks/pixels/77", 77, "200"),
        Write("DELETE", "/v1/networks/pixels/77", 77, "200"),
    ]


def test_a_create_is_retried_after_a_429_but_never_after_a_5xx() -> None:
    sent, transport = scripted(httpx.Response(429), httpx.Response(503))
    client = writer(transport, retries=3)
    assert client.request("POST", "/networks/pixels", json={}).status_code == 503
    assert len(sent) == 2
    assert [w.status for w in client.writes] == ["429", "503"]
    sent, transport = scripted(httpx.Response(503), httpx.Response(200, json={"result": True}))
    client = writer(transport, retries=3)
    assert client.request("DELETE", "/networks/pixels/5").status_code == 200
    assert [w.status for w in client.writes] == ["503", "200"], "a delete may be repeated"


def test_a_write_without_an_answer_is_recorded_too() -> None:
    def interrupted(request: httpx.Request) -> httpx.Response:
        raise KeyboardInterrupt

    client = writer(httpx.MockTransport(interrupted))
    with pytest.raises(KeyboardInterrupt):
        client.request("PUT", "/networks/pixels/5", json={})
    assert client.writes == [
        Write("PUT", "/v1/networks/pixels/5", 5, "no answer (KeyboardInterrupt)")
    ]

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = writer(httpx.MockTransport(refused), retries=0)
    with pytest.raises(TransportFailure):
        client.request("POST", "/networks/pixels", json={})
    assert client.writes == [Write("POST", "/v1/networks/pixels", None, "no answer (transport)")]


def test_a_grace_lets_a_client_out_of_time_send_again() -> None:
    fake = FakeTime()
    _, transport = scripted(httpx.Response(200, json={"result": True}))
    client = writer(transport, max_time=5, sleep=fake.sleep, clock=lambda: fake.now)
    fake.now += 6
    with pytest.raises(OutOfTime):
        client.request("DELETE", "/networks/pixels/5")
    client.grant_grace(30)
    assert client.request("DELETE", "/networks/pixels/5").status_code == 200
    fake.now += 31
    with pytest.raises(OutOfTime):
        client.request("DELETE", "/networks/pixels/5")


def test_an_answer_keeps_the_body_it_answered_but_not_the_key() -> None:
    _, transport = scripted(httpx.Response(200, json={"pixels": []}))
    client = writer(transport)
    response = client.request("POST", "/networks/pixelstable", json={"query": {}})
    assert response.request.content == b'{"query":{}}'
    assert "X-Eflow-Api-Key" not in response.request.headers


def test_never_follows_a_redirect_to_another_host() -> None:
    other = create_app()
    with LocalServer(other) as elsewhere:
        moved = Recorder([302], {"Location": elsewhere.url + "/networks/pixels/1"})
        response = client_for(moved, [], rate=0).get("/networks/pixels/1")
        assert response.status_code == 302
        assert get_state(other).requests == []


@pytest.mark.slow
def test_a_slow_server_times_out_within_the_request_deadline(trickling_url: str) -> None:
    client = ContractClient(trickling_url, "k", rate=0, retries=0, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(RequestTimeout, match=r"within 0.5 s \(--timeout\)"):
        client.get("/networks/pixels/1")
    # The server trickles for 10 s; per-read timeouts alone would wait for all of it.
    assert time.monotonic() - started < 6  # the server trickles for 10 s


@pytest.mark.slow
def test_a_slow_server_cannot_outlast_the_run_budget(trickling_url: str) -> None:
    client = ContractClient(trickling_url, "k", rate=0, retries=0, timeout=30, max_time=0.5)
    started = time.monotonic()
    with pytest.raises(OutOfTime, match=r"--max-time 0\.5 s used up during GET"):
        client.get("/networks/pixels/1")
    assert time.monotonic() - started < 6  # the server trickles for 10 s
    with pytest.raises(OutOfTime, match="before GET"):
        client.get("/networks/pixels/1")


def test_pacing_beyond_the_time_left_ends_the_run() -> None:
    fake = FakeTime()
    client = ContractClient(
        "https://api.eflow.team/v1",
        "k",
        rate=0.1,
        max_time=5,
        transport=httpx.MockTransport(Recorder([200])),
        sleep=fake.sleep,
        clock=lambda: fake.now,
    )
    client.get("/networks/pixels/1")
    with pytest.raises(OutOfTime):
        client.get("/networks/pixels/1")
    assert fake.sleeps == []


def test_an_oversized_answer_is_refused() -> None:
    def huge(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b" " * (MAX_ANSWER_BYTES + 1))

    client = ContractClient(
        "https://api.eflow.team/v1", "k", rate=0, transport=httpx.MockTransport(huge)
    )
    with pytest.raises(TransportFailure, match="larger than 1048576 bytes"):
        client.get("/networks/pixels/1")


@pytest.mark.parametrize("streamed", [False, True], ids=["in-memory", "streamed"])
def test_an_oversized_answer_is_refused_naming_the_request(streamed: bool) -> None:
    def huge(request: httpx.Request) -> httpx.Response:
        body = b" " * (MAX_ANSWER_BYTES + 1)
        # an iterator is read as it arrives (iter_raw), bytes are already in memory
        return httpx.Response(200, content=iter([body]) if streamed else body)

    client = ContractClient(
        "https://api.eflow.team/v1", "k", rate=0, transport=httpx.MockTransport(huge)
    )
    with pytest.raises(TransportFailure) as refused:
        client.get("/networks/pixels/1")
    assert str(refused.value).startswith(
        f"the answer to GET /v1/networks/pixels/1 is larger than {MAX_ANSWER_BYTES} bytes"
    )


def test_answers_come_back_with_the_key_masked() -> None:
    key = "k&<>|\"'-" + "x" * 200

    def echo(request: httpx.Request) -> httpx.Response:
        sent = request.headers["X-Eflow-Api-Key"]
        body = {"description": sent, sent[:150]: [sent[3:]], "n": 1}
        return httpx.Response(200, headers={"X-Echo": sent}, json=body)

    client = ContractClient(
        "https://api.eflow.team/v1", key, rate=0, transport=httpx.MockTransport(echo)
    )
    response = client.get("/networks/pixels/1")
    assert response.json() == {"description": "********", "********": ["********"], "n": 1}
    assert response.headers["X-Echo"] == "********"
    assert "X-Eflow-Api-Key" not in response.request.headers
    assert "xxxxxxxx" not in response.text


def test_proxies_come_from_the_environment_but_never_for_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from openapi.remote.targets import environment_proxy

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert environment_proxy(httpx.URL("https://api.eflow.team/v1")) == "http://proxy.example:3128"
    assert environment_proxy(httpx.URL("http://127.0.0.1:4010/v1")) is None
    monkeypatch.setenv("NO_PROXY", "eflow.team")
    assert environment_proxy(httpx.URL("https://api.eflow.team/v1")) is None


def test_unreachable_target_is_a_transport_failure() -> None:
    client = ContractClient("http://127.0.0.1:9/v1", "k", rate=0, retries=0)
    with pytest.raises(TransportFailure, match="ConnectError"):
        client.get("/networks/pixels/1")


def test_writes_are_paced_and_bounded_like_reads() -> None:
    fake = FakeTime()
    _, transport = scripted(httpx.Response(200, json={"result": True}))
    client = writer(transport, rate=5.0, max_time=1, sleep=fake.sleep, clock=lambda: fake.now)
    client.request("PUT", "/networks/pixels/5", json={})
    client.request("DELETE", "/networks/pixels/5")
    client.request("POST", "/networks/pixels", json={})
    assert fake.sleeps == pytest.approx([0.2, 0.2])
    fake.now += 1
    with pytest.raises(OutOfTime, match="before DELETE /networks/pixels/5"):
        client.request("DELETE", "/networks/pixels/5")


def test_a_write_never_sent_is_not_recorded() -> None:
    fake = FakeTime()
    sent, transport = scripted(httpx.Response(200, json={"result": True}))
    client = writer(transport, max_time=5, sleep=fake.sleep, clock=lambda: fake.now)
    fake.now += 6
    with pytest.raises(OutOfTime, match="before DELETE"):
        client.request("DELETE", "/networks/pixels/5")
    assert sent == []
    assert client.writes == []


def test_json_depth_counts_brackets_outside_strings() -> None:
    assert json_depth(b'{"a": [1, {"b": "]]]{{{[[["}], "c\\"[": {}}') == 3
    assert json_depth(b"  [[[]]]") == 3
    assert json_depth(b"<html>[[[[</html>") == 0
    assert json_depth(b"[" * 100_000, limit=10) == 11
    # a sibling closed before a deeper one opens: the depth of the deepest, not less
    assert json_depth(b'{"a": [], "b": [[1]]}') == 3


def test_an_answer_nested_too_deep_is_refused_unparsed() -> None:
    def deep(request: httpx.Request) -> httpx.Response:
        depth = MAX_JSON_DEPTH + 1 if request.url.path.endswith("/1") else 100_000
        return httpx.Response(200, content=b"[" * depth + b"]" * depth)

    client = ContractClient(
        "https://api.eflow.team/v1", "a-key-0123456789", rate=0, transport=httpx.MockTransport(deep)
    )
    for path in ("/networks/pixels/1", "/networks/pixels/2"):
        with pytest.raises(TooDeep, match=f"more than {MAX_JSON_DEPTH} levels deep"):
            client.get(path)


def test_non_ascii_header_values_come_through() -> None:
    def note(request: httpx.Request) -> httpx.Response:
        headers = [(b"X-Note", "café".encode("latin-1")), (b"X-Utf8", "café".encode())]
        return httpx.Response(200, headers=headers, json={})

    client = ContractClient(
        "https://api.eflow.team/v1", "a-key-0123456789", rate=0, transport=httpx.MockTransport(note)
    )
    response = client.get("/networks/pixels/1")
    # one header that is not UTF-8 makes httpx read them all as Latin-1; each is read on
    # its own instead, so the UTF-8 one is no mojibake
    assert response.headers["X-Note"] == "café"
    assert response.headers["X-Utf8"] == "café"


def test_a_retry_after_of_unicode_digits_is_no_number() -> None:
    assert retry_after_seconds("²") is None
    assert retry_after_seconds("٣") is None
    sleeps: list[float] = []
    answers = iter([429, 200])

    def busy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(next(answers), headers=[(b"Retry-After", "²".encode())], json={})

    client = ContractClient(
        "https://api.eflow.team/v1",
        "a-key-0123456789",
        rate=0,
        backoff=0.5,
        transport=httpx.MockTransport(busy),
        sleep=sleeps.append,
    )
    assert client.get("/networks/pixels/1").status_code == 200
    assert len(sleeps) == 1
    assert sleeps[0] < 1.0  # the backoff, not a number read from "²"


def test_a_key_given_per_request_is_sent_and_masked_instead_of_the_clients() -> None:
    caller = "caller-key-" + "y" * 20

    def echo(request: httpx.Request) -> httpx.Response:
        sent = request.headers["X-Eflow-Api-Key"]
        return httpx.Response(200, headers={"X-Echo": sent}, json={"description": sent})

    client = ContractClient(
        "https://api.eflow.team/v1", "own-key-zzzzzzzz", rate=0, transport=httpx.MockTransport(echo)
    )
    response = client.get("/networks/pixels/1")
    assert response.json() == {"description": "********"}
    response = client.request("GET", "/networks/pixels/1", key=caller)
    assert response.json() == {"description": "********"}
    assert response.headers["X-Echo"] == "********"


def test_an_encoded_body_is_sent_as_it_is() -> None:
    recorder = Recorder([200])
    client = client_for(recorder, [], rate=0)
    body = b'{"paging":  {"page": 2}}'
    client.request("POST", "/networks/pixelstable", content=body)
    (sent,) = recorder.requests
    assert sent.content == body
    assert sent.headers["Content-Type"] == "application/json"


def test_a_retry_after_of_the_cap_itself_is_waited_for() -> None:
    recorder, sleeps = Recorder([429, 200], {"Retry-After": str(int(RETRY_AFTER_CAP))}), []
    client_for(recorder, sleeps, rate=0, backoff=0.01).get("/networks/pixels/1")
    assert sleeps == [float(RETRY_AFTER_CAP)]


def test_a_refused_retry_says_why_and_that_nothing_more_is_sent() -> None:
    recorder, sleeps = Recorder([429], {"Retry-After": "60"}), []
    with pytest.raises(RetryRefused) as refused:
        client_for(recorder, sleeps, rate=0).get("/networks/pixels/1")
    assert str(refused.value).endswith(
        "answered 429 with Retry-After 60 s, longer than the 10 s the suite waits; not "
        "retried, no further requests sent"
    )


def test_a_retry_after_of_exactly_the_time_left_is_refused_as_such() -> None:
    fake = FakeTime()
    client = ContractClient(
        "https://api.eflow.team/v1",
        "k",
        rate=0,
        max_time=4,
        transport=httpx.MockTransport(Recorder([503], {"Retry-After": "4"})),
        sleep=fake.sleep,
        clock=lambda: fake.now,
    )
    with pytest.raises(RetryRefused) as refused:
        client.get("/networks/pixels/1")
    assert str(refused.value).endswith(
        "answered 503 with Retry-After 4 s, more than the 4.0 s left of --max-time 4 s; not retried"
    )


def test_a_retry_after_once_the_time_is_used_up_says_none_is_left() -> None:
    fake = FakeTime()

    def slow(request: httpx.Request) -> httpx.Response:
        fake.now += 6  # the answer came after the run's 4 s were gone
        return httpx.Response(503, headers={"Retry-After": "1"}, json={"error": "x"})

    client = ContractClient(
        "https://api.eflow.team/v1",
        "k",
        rate=0,
        max_time=4,
        transport=httpx.MockTransport(slow),
        sleep=fake.sleep,
        clock=lambda: fake.now,
    )
    with pytest.raises(RetryRefused) as refused:
        client.get("/networks/pixels/1")
    assert str(refused.value).endswith(
        "answered 503 with Retry-After 1 s, more than the 0.0 s left of --max-time 4 s; not retried"
    )


def test_a_get_sends_its_query_parameters() -> None:
    recorder = Recorder([200])
    client_for(recorder, [], rate=0).get("/networks/pixels", params={"page": 2, "page_size": 5})
    assert recorder.requests[0].url.params == httpx.QueryParams({"page": "2", "page_size": "5"})


def test_a_write_s_path_is_whole_under_a_base_url_with_a_trailing_slash() -> None:
    sent, transport = scripted(httpx.Response(200, json={"result": True}))
    client = ContractClient(
        "https://api.eflow.team/v1/", "k", rate=0, allow_writes=True, transport=transport
    )
    client.request("DELETE", "/networks/pixels/5")
    assert sent[0].url.path == "/v1/networks/pixels/5"
    assert client.writes == [Write("DELETE", "/v1/networks/pixels/5", 5, "200")]
