"""The admin API under /__admin/ changes and inspects a running mock."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder, run_wsgi_app

from fixtures import PostbackFactory
from mock_server import MockConfig, create_app
from mock_server.core.controls import MAX_DIGITS
from mock_server.testing.local_server import LocalServer
from mock_server.testing.receiver import PostbackReceiver

from .conftest import PARTNER, fired_postback

KEY = {"X-Eflow-Api-Key": "secret-key-123"}


@pytest.fixture
def client() -> FlaskClient:
    return create_app(MockConfig(journal_size=3)).test_client()


def test_put_adds_a_postback_the_api_then_serves(client: FlaskClient) -> None:
    body = PostbackFactory(2).build(5000, delivery_method="snapchat")
    created = client.put("/__admin/pixels/5000", json=body)
    assert created.status_code == 201
    assert client.get("/v1/networks/pixels/5000", headers=KEY).get_json() == body
    assert client.get("/__admin/pixels/5000").get_json() == body
    replaced = client.put("/__admin/pixels/5000", json={**body, "description": "changed"})
    assert replaced.status_code == 200
    assert (
        client.get("/v1/networks/pixels/5000", headers=KEY).get_json()["description"] == "changed"
    )


def test_flask_answers_a_method_an_admin_route_lacks_405_naming_those_it_has(
    client: FlaskClient,
) -> None:
    refused = client.post("/__admin/pixels/3")
    assert refused.status_code == 405
    assert set(refused.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}
    assert set(refused.get_json()) == {"error"}
    # Sorted, as the API's 405 lists them: the same in every process, whatever its hash seed.
    assert refused.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, PUT"


def test_an_admin_head_has_the_gets_headers_and_a_204_neither_type_nor_length(
    client: FlaskClient,
) -> None:
    got, head = client.get("/__admin/health"), client.head("/__admin/health")
    assert (head.status_code, head.get_data()) == (200, b"")
    assert head.headers == got.headers
    cleared = client.delete("/__admin/requests")
    assert (cleared.status_code, cleared.get_data()) == (204, b"")
    assert "Content-Type" not in cleared.headers
    assert "Content-Length" not in cleared.headers


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_id_longer_than_any_number_read_is_a_404_not_a_crash(
    client: FlaskClient, method: str
) -> None:
    # Python refuses to turn more than a few thousand digits into an int.
    for digits in (MAX_DIGITS + 1, 5000):
        answer = client.open("/__admin/pixels/" + "9" * digits, method=method, json={})
        assert (answer.status_code, answer.get_json()) == (404, {"error": "Not Found."})
    longest = client.open("/__admin/pixels/" + "9" * MAX_DIGITS, method=method, json={})
    assert longest.status_code == (422 if method == "PUT" else 404)
    assert longest.content_type == "application/problem+json"


@pytest.mark.parametrize("path", ["/__admin/health/", "/__admin/requests/", "/__admin/reset/"])
def test_a_trailing_slash_is_no_admin_route(client: FlaskClient, path: str) -> None:
    client.get("/v1/networks/pixels/3", headers=KEY)
    for method in ("GET", "POST", "DELETE"):
        assert client.open(path, method=method).status_code == 404
    assert len(client.get("/__admin/requests").get_json()["requests"]) == 1  # nothing done


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/__admin/health"), ("GET", "//__admin/health"), ("GET", "__admin/health")],
)
def test_what_flasks_router_reads_more_loosely_is_answered_by_the_same_handler(
    method: str, path: str
) -> None:
    # A server may hand on a method in lower case or a path with a slash too many or none.
    app = create_app()
    environ = EnvironBuilder("/__admin/health").get_environ()
    environ.update(REQUEST_METHOD=method, PATH_INFO=path, REMOTE_ADDR="127.0.0.1")
    body, status, _ = run_wsgi_app(app, environ, buffered=True)
    assert status == "200 OK"
    assert json.loads(b"".join(body))["status"] == "ok"


def test_a_path_id_too_long_for_a_number_is_journaled_as_text_and_the_journal_still_reads(
    client: FlaskClient,
) -> None:
    long_id = "9" * 5000
    assert client.get("/v1/networks/pixels/" + long_id, headers=KEY).status_code == 400
    client.get("/v1/networks/pixels/" + "9" * MAX_DIGITS, headers=KEY)
    journal = client.get("/__admin/requests")
    assert journal.status_code == 200
    params = [e["path_params"] for e in journal.get_json()["requests"]]
    assert params == [{"pixelId": long_id}, {"pixelId": int("9" * MAX_DIGITS)}]


def test_put_fills_in_a_missing_id(client: FlaskClient) -> None:
    body = PostbackFactory().build(1)
    del body["network_pixel_id"]
    assert client.put("/__admin/pixels/77", json=body).status_code == 201
    assert client.get("/__admin/pixels/77").get_json()["network_pixel_id"] == 77


def test_put_of_an_invalid_postback_is_422_with_every_reason(client: FlaskClient) -> None:
    body = PostbackFactory().build_invalid("global_has_no_offer", 9000)
    body["pixel_status"] = "paused"
    refused = client.put("/__admin/pixels/9000", json=body)
    assert refused.status_code == 422
    assert refused.content_type == "application/problem+json"
    problem = refused.get_json()
    assert {v["rule"] for v in problem["violations"]} == {"global_has_no_offer", None}
    assert {v["path"] for v in problem["violations"]} == {"$.network_offer_id", "$.pixel_status"}
    assert "global_has_no_offer" in problem["detail"]
    assert client.get("/__admin/pixels/9000").status_code == 404


def test_put_with_a_different_id_in_the_body_is_refused(client: FlaskClient) -> None:
    body = PostbackFactory().build(10)
    refused = client.put("/__admin/pixels/11", json=body)
    assert refused.status_code == 422
    assert "differs from the id 11" in refused.get_json()["detail"]


@pytest.mark.parametrize("data", [b"not json", b"[1, 2]", b'"text"'])
def test_put_of_a_non_object_is_422(client: FlaskClient, data: bytes) -> None:
    refused = client.put("/__admin/pixels/12", data=data, content_type="application/json")
    assert refused.status_code == 422


def test_delete_then_404_then_reset_restores(client: FlaskClient) -> None:
    assert client.delete("/__admin/pixels/3").status_code == 204
    assert client.get("/v1/networks/pixels/3", headers=KEY).status_code == 404
    assert client.delete("/__admin/pixels/3").status_code == 404
    assert client.post("/__admin/reset").get_json() == {"reset": True, "postbacks": 54}
    assert client.get("/v1/networks/pixels/3", headers=KEY).status_code == 200


def test_reset_drops_added_postbacks(client: FlaskClient) -> None:
    client.put("/__admin/pixels/5000", json=PostbackFactory().build(5000))
    client.post("/__admin/reset")
    assert client.get("/__admin/pixels/5000").status_code == 404
    assert 5000 not in client.get("/__admin/pixels").get_json()["ids"]


def test_journal_is_bounded_and_masks_keys(client: FlaskClient) -> None:
    for pixel_id in (1, 2, 3, 4):
        client.get(f"/v1/networks/pixels/{pixel_id}", headers=KEY)
    entries = client.get("/__admin/requests").get_json()["requests"]
    assert [e["path"] for e in entries] == [f"/v1/networks/pixels/{i}" for i in (2, 3, 4)]
    assert all(e["status"] == 200 for e in entries)
    assert entries[0]["headers"]["X-Eflow-Api-Key"] == "********"
    assert "secret-key-123" not in client.get("/__admin/requests").get_data(as_text=True)
    assert client.delete("/__admin/requests").status_code == 204
    assert client.get("/__admin/requests").get_json()["requests"] == []


def test_the_journal_says_how_long_each_answer_took_and_what_the_spec_said() -> None:
    client = create_app(MockConfig(strict=True)).test_client()
    asked = [
        client.get("/v1/networks/pixels/3", headers=KEY),
        client.post("/v1/networks/pixels", headers=KEY, json={"pixel_status": "paused"}),
        client.get("/v1/networks/pixels/x3", headers=KEY),
        client.patch("/v1/networks/pixels/3", headers=KEY, json={}),
        client.get("/v1/networks/pixels?pge=2", headers=KEY),
        client.get("/v1/networks/pixels/3"),
        client.get("/v1/networks/pixels/3", headers={**KEY, "Prefer": "code=503"}),
        client.get("/v1/networks/pixels/3", headers={**KEY, "Prefer": "delay=fast"}),
    ]
    entries = client.get("/__admin/requests").get_json()["requests"]
    assert [e["status"] for e in entries] == [a.status_code for a in asked]
    assert [e["status"] for e in entries] == [200, 400, 400, 405, 400, 401, 503, 422]
    assert all(isinstance(e["ms"], float) and 0 <= e["ms"] < 10_000 for e in entries)
    verdicts = [(e["verdict"]["request"], e["verdict"]["answer"]) for e in entries]
    assert verdicts == [
        ("valid", "valid"),
        ("invalid", "valid"),
        ("invalid", "valid"),
        ("invalid", "valid"),
        ("invalid", "valid"),
        ("unchecked", "valid"),
        ("unchecked", "unchecked"),
        ("unchecked", "unchecked"),
    ]
    details = [e["verdict"]["detail"] for e in entries]
    assert details[0] == ""
    assert details[1] == asked[1].get_json()["error"]  # the rules the body broke, as answered
    assert "is a required property" in details[1]
    assert details[2] == "a path parameter breaks the spec"
    assert details[3] == "the spec documents no such method for this path"
    assert details[4].startswith("strict mode: ignored query parameter pge")
    assert details[5] == "answered 401 before the spec's checks"
    assert details[7].startswith("a mock control: delay=")
    assert "secret-key-123" not in client.get("/__admin/requests").get_data(as_text=True)


def test_admin_calls_are_not_journaled(client: FlaskClient) -> None:
    client.get("/__admin/health")
    client.get("/__admin/pixels/1")
    assert client.get("/__admin/requests").get_json()["requests"] == []


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_id_in_another_scripts_digits_is_no_pixel(client: FlaskClient, method: str) -> None:
    answer = client.open("/__admin/pixels/\u0663", method=method, json={})  # an Arabic-Indic 3
    assert answer.status_code == 404
    assert client.get("/__admin/pixels/3").status_code == 200


def test_health(client: FlaskClient) -> None:
    assert client.get("/__admin/health").get_json() == {"status": "ok", "postbacks": 54}


def _postback_text(pixel_id: int, **changes: str) -> str:
    text = json.dumps(PostbackFactory(2).build(pixel_id, delivery_method="postback"))
    for key, raw in changes.items():
        text = text[:-1] + f', "{key}": {raw}}}'
    return text


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_put_refuses_non_json_numbers(client: FlaskClient, constant: str) -> None:
    data = _postback_text(6000, undocumented_number=constant)
    refused = client.put("/__admin/pixels/6000", data=data, content_type="application/json")
    assert refused.status_code == 422
    assert constant in refused.get_json()["detail"]
    assert client.get("/__admin/pixels/6000").status_code == 404


def test_put_of_an_id_beyond_int64_is_422_naming_the_field(client: FlaskClient) -> None:
    pixel_id = 2**63
    body = PostbackFactory(2).build(pixel_id)
    refused = client.put(f"/__admin/pixels/{pixel_id}", json=body)
    assert refused.status_code == 422
    assert refused.get_json()["field"] == "network_pixel_id"
    assert pixel_id not in client.get("/__admin/pixels").get_json()["ids"]


def test_put_of_a_deeply_nested_body_is_422_not_500(client: FlaskClient) -> None:
    data = '{"a":' * 100_000 + "1" + "}" * 100_000
    refused = client.put("/__admin/pixels/6001", data=data, content_type="application/json")
    assert refused.status_code == 422


def test_put_takes_json_declared_as_json_only(client: FlaskClient) -> None:
    # A page can send text/plain (or no type) without a preflight, never application/json.
    data = _postback_text(6002)
    for content_type in ("application/json", "Application/JSON; charset=utf-8"):
        stored = client.put("/__admin/pixels/6002", data=data, content_type=content_type)
        assert stored.status_code in (200, 201)
    client.delete("/__admin/pixels/6002")
    for other in (None, "text/plain", "application/x-www-form-urlencoded"):
        refused = client.put("/__admin/pixels/6002", data=data, content_type=other)
        assert refused.status_code == 415
        assert refused.get_json()["type"].endswith("admin-content-type")
    assert client.get("/__admin/pixels/6002").status_code == 404


def test_put_of_a_body_over_the_limit_is_413_in_everflows_shape() -> None:
    client = create_app(MockConfig(max_body=2048)).test_client()
    refused = client.put("/__admin/pixels/6003", data=b" " * 4096, content_type="application/json")
    assert refused.status_code == 413
    assert refused.get_json() == {"error": "The request body is too large."}


@pytest.mark.parametrize(
    "field", ["network_affiliate_id", "network_offer_id", "network_offer_payout_revenue_id"]
)
def test_put_of_an_id_field_beyond_int64_is_422_naming_it(client: FlaskClient, field: str) -> None:
    body = PostbackFactory(2).build(6004, pixel_level="specific", pixel_type="event")
    body[field] = 2**63
    refused = client.put("/__admin/pixels/6004", json=body)
    assert refused.status_code == 422
    assert f"$.{field}" in {v["path"] for v in refused.get_json()["violations"]}


def test_put_of_a_postback_puts_what_it_names_in_the_world(client: FlaskClient) -> None:
    body = PostbackFactory(2).build(5001, pixel_level="specific")
    offer = f"/v1/networks/offers/{body['network_offer_id']}"
    assert client.get(offer, headers=KEY).status_code == 404
    assert client.put("/__admin/pixels/5001", json=body).status_code == 201
    assert (
        client.get(offer, headers=KEY).get_json()["name"] == body["relationship"]["offer"]["name"]
    )


def test_offers_and_affiliates_are_put_with_the_bodys_fields_over_the_factorys(
    client: FlaskClient,
) -> None:
    created = client.put("/__admin/offers/90605", json={"offer_status": "paused"})
    assert created.status_code == 201
    served = client.get("/v1/networks/offers/90605?relationship=payout_revenue", headers=KEY)
    assert served.get_json()["offer_status"] == "paused"
    assert served.get_json()["relationship"]["payout_revenue"]["total"] >= 2
    assert client.put("/__admin/offers/90605", json={}).status_code == 200
    assert 90605 in client.get("/__admin/offers").get_json()["ids"]
    partner = client.put("/__admin/affiliates/90461", json={"name": "Bluefin Media"})
    assert partner.status_code == 201
    got = client.get("/v1/networks/affiliates/90461", headers=KEY).get_json()
    assert (got["name"], got["network_affiliate_id"]) == ("Bluefin Media", 90461)
    assert 90461 in client.get("/__admin/affiliates").get_json()["ids"]


def test_an_offer_that_breaks_the_spec_is_422_and_not_served(client: FlaskClient) -> None:
    bad = client.put("/__admin/offers/606", json={"network_id": "not a number"})
    assert bad.status_code == 422
    assert "network_id" in bad.get_json()["detail"]
    assert client.get("/v1/networks/offers/606", headers=KEY).status_code == 404
    assert client.put("/__admin/affiliates/607", json=[1]).status_code == 422


CONVERSION = json.dumps({"offer_id": 1, "affiliate_id": PARTNER})
PAGE_REQUESTS = [
    # what pages on other origins send (a fetch in no-cors mode needs no preflight)
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"},
    {"Sec-Fetch-Site": "CROSS-SITE"},
    {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:8123"},  # another port
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": "http://evil.example"},  # a browser that sends no Sec-Fetch-Site
    {"Origin": "http://localhost:8123"},
    {"Origin": "null"},
]


@pytest.fixture
def firing_mock() -> Iterator[tuple[LocalServer, PostbackReceiver]]:
    """A mock on a real socket with one postback that fires for partner ``PARTNER``, to
    the receiver."""
    with PostbackReceiver() as receiver:
        fired = fired_postback(receiver.url)
        # A global postback built in isolation, fired for offer 1: loose references.
        config = MockConfig(postbacks=[fired], references="loose")
        with LocalServer(create_app(config)) as local:
            yield local, receiver


@pytest.mark.slow
@pytest.mark.parametrize("content_type", ["text/plain;charset=UTF-8", "application/json"])
@pytest.mark.parametrize("page", PAGE_REQUESTS)
def test_a_page_of_another_origin_cannot_fire_or_reset_over_a_socket(
    firing_mock: tuple[LocalServer, PostbackReceiver], page: dict[str, str], content_type: str
) -> None:
    local, receiver = firing_mock
    headers = {**page, "Content-Type": content_type}
    with httpx.Client(base_url=local.root) as http:
        http.get("/v1/networks/pixels/900100", headers=KEY)
        fired = http.post("/__admin/conversions?wait=2", content=CONVERSION, headers=headers)
        reset = http.post("/__admin/reset", headers=page)
        assert (fired.status_code, reset.status_code) == (403, 403)
        assert fired.headers["Content-Type"] == "application/problem+json"
        assert fired.json()["type"].endswith("admin-cross-site")
        assert http.get("/__admin/deliveries").json()["deliveries"] == []
        assert len(http.get("/__admin/requests").json()["requests"]) == 1  # not reset
    assert receiver.requests == []


@pytest.mark.slow
def test_a_body_not_declared_json_is_415_and_tools_still_fire_and_reset(
    firing_mock: tuple[LocalServer, PostbackReceiver],
) -> None:
    local, receiver = firing_mock
    with httpx.Client(base_url=local.root) as http:
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            refused = http.post(
                "/__admin/conversions", content=CONVERSION, headers={"Content-Type": content_type}
            )
            assert refused.status_code == 415
            assert refused.json()["type"].endswith("admin-content-type")
        assert http.get("/__admin/deliveries").json()["deliveries"] == []
        # curl, httpx, requests: no Origin, no Sec-Fetch-Site, JSON declared
        answer = http.post("/__admin/conversions?wait=5", json=json.loads(CONVERSION))
        assert answer.status_code == 200
        (delivery,) = answer.json()["deliveries"]
        assert delivery["status"] == 200  # the receiver's answer
        assert http.post("/__admin/reset").status_code == 200  # no body, no type
        # the admin page's own fetches: same origin
        own = {"Sec-Fetch-Site": "same-origin", "Origin": local.root}
        assert http.post("/__admin/reset", headers=own).status_code == 200
    assert len(receiver.requests) == 1
