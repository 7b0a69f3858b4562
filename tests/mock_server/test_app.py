"""The mock answers GET /v1/networks/pixels/{pixelId} the way Everflow does."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import httpx
import pytest

from fixtures import PostbackFactory
from mock_server import (
    InvalidRecords,
    MockConfig,
    RateLimit,
    builtin_postbacks,
    create_app,
    get_state,
)
from mock_server.core.reply import Reply
from mock_server.pipeline.registry import get_pipeline
from mock_server.testing.local_server import LocalServer
from openapi import load_spec, spec_bytes

from .conftest import KEY, PIXELS, MakeTalker, Talker


def test_catalogue_postback_is_served_as_built(talker: Talker) -> None:
    answer = talker.get(PIXELS + "3", KEY)
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == builtin_postbacks(0)[2]
    assert answer.headers["X-RateLimit-Limit"] == "30"
    assert answer.headers["X-RateLimit-Remaining"] == "49"


@pytest.mark.parametrize("headers", [{}, {"X-Eflow-Api-Key": ""}])
def test_missing_key_is_401_with_the_documented_message(
    talker: Talker, headers: dict[str, str]
) -> None:
    answer = talker.get(PIXELS + "3", headers)
    assert answer.status == 401
    assert answer.json() == {"error": "No Authentication Method Found"}
    assert answer.headers["Content-Type"] == "application/json"


def test_header_name_is_case_insensitive(talker: Talker) -> None:
    assert talker.get(PIXELS + "3", {"x-eflow-api-key": "k"}).status == 200
    assert talker.get(PIXELS + "3", {"X-Eflow-API-Key": "k"}).status == 200


def test_configured_keys_turn_unknown_ones_away_with_401(make_talker: MakeTalker) -> None:
    """Everflow's current errors page: an invalid or revoked key is a 401, not a 403."""
    talker = make_talker(api_keys=("good-key",))
    assert talker.get(PIXELS + "3", {"X-Eflow-Api-Key": "good-key"}).status == 200
    refused = talker.get(PIXELS + "3", {"X-Eflow-Api-Key": "other"})
    assert refused.status == 401
    assert refused.json() == {"error": "Invalid API key."}
    assert refused.json() != talker.get(PIXELS + "3").json()  # not the keyless message


def test_unknown_id_is_404(talker: Talker) -> None:
    answer = talker.get(PIXELS + "999999", KEY)
    assert answer.status == 404
    assert answer.json() == {"error": "Partner postback not found."}


def test_error_key_can_be_capitalised(make_talker: MakeTalker) -> None:
    answer = make_talker(error_key="Error").get(PIXELS + "999999", KEY)
    assert answer.json() == {"Error": "Partner postback not found."}


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "-1",
        "0",
        "1.5",
        "1e3",
        "9" * 30,
        "%00",
        "3%00",
        "%20",
        "x" * 5000,
        "%E2%82%AC",
        "٣",
    ],
)
def test_malformed_ids_are_400(talker: Talker, raw: str) -> None:
    answer = talker.get(PIXELS + raw, KEY)
    assert answer.status == 400
    assert answer.json() == {"error": "Invalid parameters."}


def test_extra_path_segments_are_not_the_operation(talker: Talker) -> None:
    answer = talker.get(PIXELS + "1/2", KEY)
    assert answer.status == 404
    assert set(answer.json()) == {"error"}


def test_auth_is_checked_before_the_id(talker: Talker) -> None:
    assert talker.get(PIXELS + "abc").status == 401


def test_dynamic_mode_answers_any_id_with_the_factory_postback(make_talker: MakeTalker) -> None:
    talker = make_talker(dynamic=True, seed=5)
    answer = talker.get(PIXELS + "123456789", KEY)
    assert answer.status == 200
    assert answer.json() == PostbackFactory(5).build(123456789)


def test_prefer_dynamic_and_seed_per_request(talker: Talker) -> None:
    plain = talker.get(PIXELS + "5000", KEY)
    assert plain.status == 404
    dynamic = talker.get(PIXELS + "5000", {**KEY, "Prefer": "dynamic=true, seed=9"})
    assert dynamic.json() == PostbackFactory(9).build(5000)
    twin = talker.get(PIXELS + "5000?__dynamic=true&__seed=9", KEY)
    assert twin.body == dynamic.body


def test_dynamic_false_overrides_dynamic_server(make_talker: MakeTalker) -> None:
    talker = make_talker(dynamic=True)
    assert talker.get(PIXELS + "5000", {**KEY, "Prefer": "dynamic=false"}).status == 404


@pytest.mark.parametrize("code", [400, 401, 403, 404, 429, 500])
def test_prefer_code_answers_with_that_documented_status(talker: Talker, code: int) -> None:
    answer = talker.get(PIXELS + "3", {**KEY, "Prefer": f"code={code}"})
    assert answer.status == code
    assert set(answer.json()) == {"error"}


def test_prefer_code_200_answers_even_an_unknown_id(talker: Talker) -> None:
    answer = talker.get(PIXELS + "777777", {**KEY, "Prefer": "code=200"})
    assert answer.status == 200
    assert answer.json()["network_pixel_id"] == 777777


def test_query_twins_are_ignored_when_a_prefer_header_is_sent(talker: Talker) -> None:
    assert talker.get(PIXELS + "3?__code=404", KEY).status == 404
    assert talker.get(PIXELS + "3?__code=404", {**KEY, "Prefer": "return=minimal"}).status == 200


def test_prefer_example_serves_that_named_example(talker: Talker) -> None:
    answer = talker.get(PIXELS + "3", {**KEY, "Prefer": 'example="tiktok_event_specific"'})
    expected = load_spec()["components"]["examples"]["tiktok_event_specific"]["value"]
    assert answer.json() == expected


@pytest.mark.parametrize(
    ("prefer", "control", "value"),
    [
        ("code=418", "code", "418"),
        ("code=abc", "code", "abc"),
        ("example=nope", "example", "nope"),
        ("dynamic=maybe", "dynamic", "maybe"),
        ("seed=-4", "seed", "-4"),
        ("delay=soon", "delay", "soon"),
        ("fault=explode", "fault", "explode"),
    ],
)
def test_invalid_controls_get_a_422_problem_naming_the_value(
    talker: Talker, prefer: str, control: str, value: str
) -> None:
    answer = talker.get(PIXELS + "3", {**KEY, "Prefer": prefer})
    assert answer.status == 422
    assert answer.headers["Content-Type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"].endswith(":invalid-control")
    assert problem["status"] == 422
    assert (problem["control"], problem["value"]) == (control, value)
    assert value in problem["detail"]


def test_a_422_for_a_bad_control_carries_the_rate_limit_headers(talker: Talker) -> None:
    first = talker.get(PIXELS + "3", {**KEY, "Prefer": "code=abc"})
    second = talker.get(PIXELS + "3", {**KEY, "Prefer": "code=abc"})
    assert (first.status, second.status) == (422, 422)
    assert first.headers["X-RateLimit-Limit"] == "30"
    # The key passed and spent its token, as with any other answer.
    remaining = int(first.headers["X-RateLimit-Remaining"])
    assert int(second.headers["X-RateLimit-Remaining"]) == remaining - 1


def test_delay_control_adds_latency(talker: Talker) -> None:
    start = time.perf_counter()
    assert talker.get(PIXELS + "3", {**KEY, "Prefer": "delay=300"}).status == 200
    assert time.perf_counter() - start >= 0.3


def test_server_wide_delay(make_talker: MakeTalker) -> None:
    talker = make_talker(delay_ms=200)
    start = time.perf_counter()
    talker.get(PIXELS + "3", KEY)
    assert time.perf_counter() - start >= 0.2


def test_malformed_fault_sends_truncated_json(talker: Talker) -> None:
    answer = talker.get(PIXELS + "3", {**KEY, "Prefer": "fault=malformed"}, check=False)
    assert answer.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.body)


@pytest.mark.parametrize("fault", ["reset", "empty"])
def test_connection_faults_break_the_connection(fault: str) -> None:
    with LocalServer(create_app()) as local:
        with pytest.raises(httpx.TransportError):
            httpx.get(local.url + "/networks/pixels/3", headers={**KEY, "Prefer": f"fault={fault}"})
        assert httpx.get(local.url + "/networks/pixels/3", headers=KEY).status_code == 200


def test_fault_rate_one_breaks_every_answer(make_talker: MakeTalker) -> None:
    talker = make_talker(fault_rate=1.0)
    broken = 0
    for _ in range(6):
        try:
            answer = talker.get(PIXELS + "3", KEY, check=False)
        except (httpx.TransportError, ConnectionAbortedError):
            broken += 1  # in-process, the abort surfaces as the exception itself
            continue
        with pytest.raises(json.JSONDecodeError):
            json.loads(answer.body)
        broken += 1
    assert broken == 6


def test_one_rate_limit_bucket_for_the_network_shared_by_every_key(
    make_talker: MakeTalker,
) -> None:
    talker = make_talker(rate_limit=RateLimit(rate=0.001, burst=3))
    remaining = [talker.get(PIXELS + "3", KEY).headers["X-RateLimit-Remaining"] for _ in range(2)]
    another = talker.get(PIXELS + "3", {"X-Eflow-Api-Key": "another"})
    assert [*remaining, another.headers["X-RateLimit-Remaining"]] == ["2", "1", "0"]
    limited = talker.get(PIXELS + "3", {"X-Eflow-Api-Key": "a third"})
    assert limited.status == 429
    assert limited.json() == {"error": "Rate limit exceeded. Please slow down."}
    assert int(limited.headers["Retry-After"]) >= 1


def test_rate_limit_headers_are_on_every_answer_401_included(make_talker: MakeTalker) -> None:
    talker = make_talker(rate_limit=RateLimit(rate=0.001, burst=3), api_keys=("good",))
    talker.get(PIXELS + "3", {"X-Eflow-Api-Key": "good"})
    no_key = talker.get(PIXELS + "3")
    unknown_key = talker.get(PIXELS + "3", KEY)
    wrong_method = talker.request("PATCH", PIXELS + "3", {"X-Eflow-Api-Key": "good"}, check=False)
    for answer, status in ((no_key, 401), (unknown_key, 401), (wrong_method, 405)):
        assert answer.status == status
        assert answer.headers["X-RateLimit-Limit"] == "0"  # 0.001/s, written as whole requests
        assert answer.headers["X-RateLimit-Remaining"] == "2"  # none of them spent a token
    bad_control = talker.get(PIXELS + "3?__code=999", {"X-Eflow-Api-Key": "good"})
    assert bad_control.status == 422
    assert bad_control.headers["X-RateLimit-Remaining"] == "1"


@pytest.mark.parametrize("config", [{}, {"api_keys": ("good",)}])
def test_a_keyless_401_on_a_fresh_mock_shows_the_network_bucket_unspent(
    make_talker: MakeTalker, config: dict[str, Any]
) -> None:
    """No request with a key first: the network's bucket has never been touched."""
    talker = make_talker(**config)
    for path in (PIXELS + "3", "/v1/networks/pixels"):
        answer = talker.get(path)
        assert answer.status == 401
        assert answer.headers["X-RateLimit-Limit"] == "30"
        assert answer.headers["X-RateLimit-Remaining"] == "50"
    posted = talker.post("/v1/networks/pixelstable", {}, headers={})
    assert (posted.status, posted.headers["X-RateLimit-Remaining"]) == (401, "50")


def test_a_partner_key_spends_its_kind_s_bucket_and_is_out_of_realm(
    make_talker: MakeTalker,
) -> None:
    talker = make_talker(api_keys=("partner:pk", "nk"))
    partner = {"X-Eflow-Api-Key": "pk"}
    answers = [talker.get(PIXELS + "3", partner)]
    while answers[-1].status != 429 and len(answers) < 60:  # burst 20, refilled at 5/s
        answers.append(talker.get(PIXELS + "3", partner))
    assert {a.status for a in answers[:-1]} == {403}
    assert 20 <= len(answers) - 1 < 60
    assert answers[-1].status == 429
    assert answers[0].json() == {"error": "Out of realm"}
    assert answers[0].headers["X-RateLimit-Limit"] == "5"
    assert answers[0].headers["X-RateLimit-Remaining"] == "19"
    network = talker.get(PIXELS + "3", {"X-Eflow-Api-Key": "nk"})
    assert network.status == 200
    assert network.headers["X-RateLimit-Limit"] == "30"
    assert network.headers["X-RateLimit-Remaining"] == "49"
    plain = make_talker(api_keys=("network:nk",)).get(PIXELS + "3", {"X-Eflow-Api-Key": "nk"})
    assert plain.status == 200


def test_rate_limit_can_be_off(make_talker: MakeTalker) -> None:
    talker = make_talker(rate_limit=None)
    answers = [talker.get(PIXELS + "3", KEY) for _ in range(60)]
    assert {a.status for a in answers} == {200}
    assert "X-RateLimit-Limit" not in answers[0].headers


def test_answer_that_would_break_the_spec_becomes_a_500_naming_the_rule(
    make_talker: MakeTalker, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    talker = make_talker(dynamic=True)
    real_build = PostbackFactory.build

    def broken(self: PostbackFactory, *args: object, **kwargs: object) -> dict[str, object]:
        body = real_build(self, *args, **kwargs)  # type: ignore[arg-type]
        body.update(delivery_method="tiktok", tiktok_pixel=None)
        return body

    monkeypatch.setattr(PostbackFactory, "build", broken)
    answer = talker.get(PIXELS + "4242", KEY)
    assert answer.status == 500
    assert "tiktok_pixel_required" in answer.json()["error"]
    assert "tiktok_pixel_required" in caplog.text


def test_an_unexpected_error_is_an_everflow_500_and_a_log_line(
    make_talker: MakeTalker, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    talker = make_talker()
    store = get_state(talker.app).store

    def explode(pixel_id: int) -> bytes:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "get", explode)
    answer = talker.get(PIXELS + "3", KEY)
    assert answer.status == 500
    assert answer.json() == {"error": "An internal error occurred."}
    assert b"Traceback" not in answer.body
    assert "disk on fire" in caplog.text


@pytest.mark.parametrize("method", ["POST", "PATCH", "OPTIONS"])
def test_other_methods_are_405_in_everflow_shape(method: str) -> None:
    response = create_app().test_client().open(PIXELS + "3", method=method, headers=KEY)
    assert response.status_code == 405
    assert response.get_json() == {"error": "Method not allowed."}
    assert response.headers["Allow"] == "DELETE, GET, HEAD, PUT"


def test_unknown_paths_are_404_json(talker: Talker) -> None:
    answer = talker.get("/v1/networks/offers/3", KEY)
    assert answer.status == 404
    assert set(answer.json()) == {"error"}


def test_spec_is_served(talker: Talker) -> None:
    answer = talker.get("/openapi.yaml")
    assert answer.status == 200
    assert answer.body == spec_bytes()


def test_custom_data_replaces_the_catalogue(make_talker: MakeTalker) -> None:
    mine = PostbackFactory(3).build(70, delivery_method="html")
    talker = make_talker(postbacks=[mine])
    assert talker.get(PIXELS + "70", KEY).json() == mine
    assert talker.get(PIXELS + "3", KEY).status == 404


def test_invalid_start_data_refuses_to_build_the_app() -> None:
    bad = PostbackFactory().build_invalid("html_code_required", 5)
    with pytest.raises(InvalidRecords, match="html_code_required"):
        create_app(MockConfig(postbacks=[bad]))


def test_odd_and_huge_headers_never_give_a_500(talker: Talker) -> None:
    for headers in (
        {**KEY, "Prefer": "x" * 4000},
        {**KEY, "X-Junk": "\x7f\x01"},
        {"X-Eflow-Api-Key": "k" * 6000},
        {**KEY, "Prefer": "code"},
        {**KEY, "Prefer": ",,;;=="},
    ):
        answer = talker.get(PIXELS + "3", headers)
        assert answer.status < 500


def test_binary_header_over_a_raw_socket_is_a_clean_answer() -> None:
    with (
        LocalServer(create_app()) as local,
        socket.create_connection((local.host, local.port), timeout=5) as raw,
    ):
        raw.sendall(
            b"GET /v1/networks/pixels/3 HTTP/1.1\r\nHost: x\r\n"
            b"X-Eflow-Api-Key: \xff\xfe\x00bin\r\nConnection: close\r\n\r\n"
        )
        reply = b""
        while chunk := raw.recv(65536):
            reply += chunk
    status_line = reply.split(b"\r\n", 1)[0]
    assert status_line.split()[1] in (b"200", b"400", b"401")
    assert b"Traceback" not in reply


@pytest.mark.parametrize(
    "prefer",
    ["fault=malformed", "fault=reset", "code=404", "code=200", "code=999", "delay=abc", "delay=50"],
)
def test_without_a_key_every_request_is_401_whatever_it_asks(talker: Talker, prefer: str) -> None:
    answer = talker.get(PIXELS + "3", {"Prefer": prefer})
    assert answer.status == 401
    assert answer.json() == {"error": "No Authentication Method Found"}
    name, value = prefer.split("=", 1)
    assert talker.get(f"{PIXELS}3?__{name}={value}").status == 401


def test_a_request_without_a_key_is_never_delayed() -> None:
    app = create_app(MockConfig(delay_ms=60_000))
    pipeline = get_pipeline(app)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": PIXELS + "3", "HTTP_PREFER": "delay=60000"}
    exchange = pipeline.exchange(environ)
    assert exchange is not None
    reply = exchange.start()
    assert isinstance(reply, Reply)
    assert (reply.status, reply.delay_ms) == (401, 0)
    exchange = pipeline.exchange({**environ, "HTTP_X_EFLOW_API_KEY": "k"})
    assert exchange is not None
    with_key = exchange.start()
    assert isinstance(with_key, Reply)
    assert (with_key.status, with_key.delay_ms) == (200, 60_000)


@pytest.mark.parametrize("rate_limit", [RateLimit(30, 50), None], ids=["on", "off"])
def test_prefer_code_429_looks_like_a_real_429(
    make_talker: MakeTalker, rate_limit: RateLimit | None
) -> None:
    answer = make_talker(rate_limit=rate_limit).get(PIXELS + "3", {**KEY, "Prefer": "code=429"})
    assert answer.status == 429
    assert answer.headers["Retry-After"] == "1"
    assert answer.headers["X-RateLimit-Limit"] == "30"
    assert answer.headers["X-RateLimit-Remaining"] == "0"


@pytest.mark.parametrize("code", [400, 403, 404, 500])
def test_prefer_code_answers_carry_the_rate_limit_headers(talker: Talker, code: int) -> None:
    answer = talker.get(PIXELS + "3", {**KEY, "Prefer": f"code={code}"})
    assert answer.status == code
    assert answer.headers["X-RateLimit-Limit"] == "30"
    assert answer.headers["X-RateLimit-Remaining"] == "49"


MOCK_APP_WITHOUT_FLASK = """
import sys
import httpx
from mock_server.app import MockApp
app = MockApp()
client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://127.0.0.1")
key = {"X-Eflow-Api-Key": "k"}
seen = []
seen.append((client.get("/v1/networks/pixels/3", headers=key).status_code, "flask" in sys.modules))
seen.append((client.get("/v1/networks/pixels/x", headers=key).status_code, "flask" in sys.modules))
seen.append((client.delete("/__admin/pixels/3").status_code, "flask" in sys.modules))
seen.append((client.get("/v1/networks/pixels/3", headers=key).status_code, "flask" in sys.modules))
seen.append((client.get("/openapi.yaml").status_code, "flask" in sys.modules))
print(seen)
"""


@pytest.mark.slow
def test_mock_app_answers_the_api_without_flask_and_builds_it_when_needed() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", MOCK_APP_WITHOUT_FLASK], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    # The API, good or bad ids, and the admin API need no Flask; the spec's file builds it.
    # The admin API's delete is seen by the API: one state.
    assert done.stdout.strip() == str(
        [(200, False), (400, False), (204, False), (404, False), (200, True)]
    )


def test_create_app_is_the_mock_apps_flask_app_on_the_same_state() -> None:
    from mock_server.app import MockApp

    mock = MockApp(MockConfig(seed=2))
    app = mock.flask
    assert mock.flask is app
    assert get_state(app) is get_state(mock)
    assert get_pipeline(app) is get_pipeline(mock)
    assert mock.test_client is not None  # a Flask attribute, through the mock
    answer = app.test_client().get(PIXELS + "3", headers=KEY)
    assert answer.status_code == 200
    assert answer.get_json() == builtin_postbacks(2)[2]
    get_state(mock).store.delete(3)
    assert app.test_client().post("/__admin/reset").get_json()["reset"] is True
    assert get_state(mock).store.get(3) is not None
