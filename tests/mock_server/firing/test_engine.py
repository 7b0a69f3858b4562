"""Firing: ``POST /__admin/conversions`` picks, renders and delivers postbacks as Everflow
would, to a real receiver on loopback; failures deactivate."""

from __future__ import annotations

import contextlib
import socket
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fixtures import PostbackFactory, macros
from mock_server import MockConfig, create_app
from mock_server.firing import sender as sender_module
from mock_server.firing.conversion import (
    CONVERSION_TYPES,
    ConversionError,
    applies,
    parse_conversion,
)
from mock_server.firing.engine import (
    FAILURE_WINDOW,
    MAX_EXPLAINED,
    Firing,
    firing_of,
    parse_destination,
)
from mock_server.firing.journal import TEXT_BYTES
from mock_server.firing.sender import PENDING_PER_RECEIVER
from mock_server.pipeline.registry import get_state
from mock_server.testing.receiver import PostbackReceiver

KEY = {"X-Eflow-Api-Key": "k"}


@pytest.fixture
def receiver() -> Iterator[PostbackReceiver]:
    with PostbackReceiver() as running:
        yield running


def make_app(**settings: Any) -> Flask:
    # Postbacks built in isolation, fired for any ids: the loose switch's case (strict
    # references are tested in test_a_conversion_outside_the_world_is_refused).
    settings.setdefault("references", "loose")
    return create_app(MockConfig(postbacks=[], rate_limit=None, **settings))


@pytest.fixture
def app() -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


_factory = PostbackFactory()


def postback(
    app: Flask, pixel_id: int, *, offer: int = 0, partner: int = 0, **fields: Any
) -> dict[str, Any]:
    """Store a postback (postback delivery, conversion, active, no delay unless told)."""
    fields.setdefault("delivery_method", "postback")
    fields.setdefault("pixel_type", "conversion")
    fields.setdefault("pixel_status", "active")
    level = fields.setdefault(
        "pixel_level",
        "specific" if offer and partner else ("global" if partner else "global_offer"),
    )
    assert level
    if fields["delivery_method"] == "postback":
        fields.setdefault("delay_ms", 0)
    body = _factory.build(pixel_id, network_offer_id=offer, network_affiliate_id=partner, **fields)
    get_state(app).add(body)
    return body


def settles(condition: Callable[[], bool], within: float = 2.0) -> bool:
    """Whether ``condition`` holds within ``within`` seconds (the sender ends deliveries
    on its own thread)."""
    deadline = time.monotonic() + within
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def fire(client: FlaskClient, query: str = "?wait=5", **body: Any) -> list[dict[str, Any]]:
    answer = client.post("/__admin/conversions" + query, json=body)
    assert answer.status_code == 200, answer.json
    deliveries: list[dict[str, Any]] = answer.json["deliveries"]  # type: ignore[index]
    return deliveries


def test_levels_pick_exactly_the_postbacks_that_apply(
    app: Flask, client: FlaskClient, receiver: PostbackReceiver
) -> None:
    url = receiver.url + "/pb/{pid}?tid={{transaction_id}}&o={{offer_id}}&a={{affiliate_id}}"
    postback(app, 1, partner=7, postback_url=url.format(pid=1))  # global: partner 7
    postback(app, 2, offer=12, partner=7, postback_url=url.format(pid=2))  # specific
    postback(app, 3, offer=12, partner=8, postback_url=url.format(pid=3))  # other partner
    postback(app, 4, offer=12, postback_url=url.format(pid=4))  # global_offer: offer 12
    postback(app, 5, partner=8, postback_url=url.format(pid=5))  # global: partner 8
    postback(app, 6, offer=13, postback_url=url.format(pid=6))  # global_offer: offer 13
    postback(app, 7, offer=13, partner=7, postback_url=url.format(pid=7))  # other offer
    postback(app, 8, partner=7, postback_url=url.format(pid=8), pixel_status="inactive")

    deliveries = fire(client, offer_id=12, affiliate_id=7, transaction_id="t-1")

    assert [d["pixel_id"] for d in deliveries] == [1, 2, 4]
    assert {d["state"] for d in deliveries} == {"delivered"}
    assert {d["status"] for d in deliveries} == {200}
    assert sorted(receiver.urls) == [
        f"{receiver.url}/pb/{pid}?tid=t-1&o=12&a=7" for pid in (1, 2, 4)
    ]
    assert all(r.method == "GET" for r in receiver.requests)


def test_types_and_event_ids(app: Flask, client: FlaskClient, receiver: PostbackReceiver) -> None:
    url = receiver.url + "/{pid}?e={{event_id}}&n={{event_name}}"
    postback(app, 1, offer=12, partner=7, postback_url=url.format(pid=1))  # conversion
    postback(app, 2, offer=12, partner=7, pixel_type="cpc", postback_url=url.format(pid=2))
    for pid, event in ((3, 0), (4, 5), (5, 6)):
        postback(
            app,
            pid,
            offer=12,
            partner=7,
            pixel_type="event",
            network_offer_payout_revenue_id=event,
            postback_url=url.format(pid=pid),
        )
    postback(app, 6, partner=7, pixel_type="event", postback_url=url.format(pid=6))  # global

    base = {"offer_id": 12, "affiliate_id": 7}
    assert [d["pixel_id"] for d in fire(client, **base)] == [1]
    assert [d["pixel_id"] for d in fire(client, **base, type="click")] == [2]
    event = fire(client, **base, type="event", event_id=5, event_name="Purchase")
    assert [d["pixel_id"] for d in event] == [3, 4, 6]
    assert event[1]["url"] == f"{receiver.url}/4?e=5&n=Purchase"
    assert [d["pixel_id"] for d in fire(client, **base, type="event")] == [3, 6]


def test_html_is_rendered_escaped_and_never_requested(
    app: Flask, client: FlaskClient, receiver: PostbackReceiver
) -> None:
    code = f'<img src="{receiver.url}/px?s={{sub1}}&u={{nope}}" width="1" height="1" />'
    postback(app, 1, partner=7, delivery_method="html", html_code=code)

    (delivery,) = fire(client, offer_id=3, affiliate_id=7, sub1='"><script>')

    assert delivery["state"] == "kept"
    assert delivery["method"] is None
    assert delivery["html"] == (
        f'<img src="{receiver.url}/px?s=&quot;&gt;&lt;script&gt;&u={{nope}}" width="1" height="1" />'
    )
    time.sleep(0.1)
    assert receiver.requests == []


@pytest.mark.parametrize("platform", ["facebook", "tiktok", "snapchat", "rumble"])
def test_platform_events_are_rendered_and_kept(
    app: Flask, client: FlaskClient, receiver: PostbackReceiver, platform: str
) -> None:
    stored = postback(app, 1, partner=7, delivery_method=platform)
    settings = stored[f"{platform}_pixel"]

    (delivery,) = fire(
        client, offer_id=3, affiliate_id=7, transaction_id="tx 1", sub3="a@b.c", sale_amount=9.5
    )

    assert delivery["state"] == "kept"
    assert delivery["url"] is None
    event = delivery["event"]
    assert set(event) == set(settings)
    if platform in ("facebook", "snapchat"):
        assert settings["event_id"] == "{transaction_id}"
        assert event["event_id"] == "tx 1"  # text, not URL-encoded
    if platform == "rumble":
        assert event == settings  # no macros in Rumble's settings
    rendered = repr(event)
    assert "{sub3}" not in rendered
    assert "{sale_amount}" not in rendered
    assert receiver.requests == []


def test_values_are_encoded_and_a_template_cannot_break_the_request(
    app: Flask, client: FlaskClient, receiver: PostbackReceiver
) -> None:
    postback(app, 1, partner=7, postback_url=receiver.url + "/a b?x=1 2&s={sub1}&p={payout}")

    (delivery,) = fire(client, offer_id=3, affiliate_id=7, sub1="a&b=c\r\nX-Evil: 1", payout=2)

    assert delivery["state"] == "delivered"
    (got,) = receiver.requests
    assert got.target == "/a%20b?x=1%202&s=a%26b%3Dc%0D%0AX-Evil%3A%201&p=2"
    assert "X-Evil" not in got.headers
    assert got.query["s"] == ["a&b=c\r\nX-Evil: 1"]


def test_a_redirect_is_a_failure_and_never_followed(
    app: Flask, client: FlaskClient, receiver: PostbackReceiver
) -> None:
    receiver.status = 302
    postback(app, 1, partner=7, postback_url=receiver.url + "/pb")

    (delivery,) = fire(client, offer_id=3, affiliate_id=7)

    assert delivery["state"] == "failed"
    assert delivery["status"] == 302
    assert delivery["error"] == "the receiver answered 302"
    time.sleep(0.1)
    assert [r.path for r in receiver.requests] == ["/pb"]


def test_a_slow_receiver_times_out(receiver: PostbackReceiver) -> None:
    app = make_app(delivery_timeout=0.2)
    receiver.delay = 1.0
    postback(app, 1, partner=7, postback_url=receiver.url + "/slow")

    (delivery,) = fire(app.test_client(), offer_id=3, affiliate_id=7)

    assert delivery["state"] == "failed"
    assert delivery["status"] is None
    assert delivery["error"] == "no answer within 0.2 s"
    assert 150 <= delivery["ms"] < 900


def test_a_connection_that_never_opens_times_out() -> None:
    app = make_app(delivery_timeout=0.3)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)  # never accepted: once its backlog is full, connects hang
        port = listener.getsockname()[1]
        stuck = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            stuck.append(filler)
        postback(app, 1, partner=7, postback_url=f"http://127.0.0.1:{port}/pb")
        try:
            started = time.monotonic()
            (delivery,) = fire(app.test_client(), offer_id=3, affiliate_id=7)
        finally:
            for filler in stuck:
                filler.close()
    assert delivery["state"] == "failed"
    assert delivery["error"] == "no answer within 0.3 s"
    assert time.monotonic() - started < 2


def test_a_connection_error_is_a_failure(app: Flask, client: FlaskClient) -> None:
    closed = PostbackReceiver()
    port = closed.url.rsplit(":", 1)[1]
    closed.stop()  # the port is free and nothing listens
    postback(app, 1, partner=7, postback_url=f"http://127.0.0.1:{port}/pb")

    (delivery,) = fire(client, offer_id=3, affiliate_id=7)

    assert delivery["state"] == "failed"
    assert "ConnectionRefusedError" in delivery["error"]


def test_only_loopback_unless_allowed(app: Flask, client: FlaskClient) -> None:
    postback(app, 1, partner=7, postback_url="https://track.example.com/pb?t={transaction_id}")

    (delivery,) = fire(client, offer_id=3, affiliate_id=7, transaction_id="t")

    assert delivery["state"] == "refused"
    assert delivery["url"] == "https://track.example.com/pb?t=t"
    assert "track.example.com:443 is not loopback" in delivery["error"]
    assert "--deliver-to" in delivery["error"]


def test_deliver_to_allows_a_host_and_port() -> None:
    state = get_state(make_app(deliver_to=("Track.Example.com:8443", "pb.example.net")))
    firing = firing_of(state)
    for url, allowed in (
        ("https://track.example.com:8443/pb", True),
        ("https://track.example.com/pb", False),  # port 443 is not 8443
        ("http://pb.example.net/x", True),
        ("http://pb.example.net:9000/x", True),
        ("http://other.example.net/x", False),
        ("http://localhost:5/x", True),
        ("http://127.5.6.7:5/x", True),
        ("http://[::1]:5/x", True),
        ("http://10.0.0.1/x", False),
        ("ftp://127.0.0.1/x", False),
    ):
        target, why = firing._target(url)
        assert (target is not None) == allowed, (url, why)
    for url in ("http://127.0.0.1:99999/x", "http://[::1/x", "http:///x"):
        target, why = firing._target(url)
        assert target is None, url
        assert why
    target, _ = firing._target("http://127.0.0.1:0/x")
    assert target is not None
    assert target.port == 0  # as written: a connection error, never port 80
    target, _ = firing._target("https://track.example.com:8443/pb?a=1")
    assert target is not None
    assert (target.host, target.port, target.tls) == ("track.example.com", 8443, True)
    assert target.host_header == "track.example.com:8443"
    assert target.request_target == "/pb?a=1"


@pytest.mark.parametrize(
    "text", ["", "http://x", "x/y", "a:b", "u@h", "[::1", "pb.example?x=1", "pb.example#top"]
)
def test_bad_destinations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="HOST or HOST:PORT"):
        parse_destination(text)


def test_delays_wait_and_scale(app: Flask, client: FlaskClient, receiver: PostbackReceiver) -> None:
    postback(app, 1, partner=7, postback_url=receiver.url + "/late", delay_ms=300)

    started = time.monotonic()
    (pending,) = fire(client, query="", offer_id=3, affiliate_id=7)
    assert pending["state"] == "pending"
    assert pending["delay_ms"] == 300
    assert receiver.requests == []
    assert receiver.wait_for(1, 5)
    assert time.monotonic() - started >= 0.3

    receiver.clear()
    postback(app, 2, partner=8, postback_url=receiver.url + "/later", delay_ms=5000)
    started = time.monotonic()
    (skipped,) = fire(client, query="?wait=5&delay_scale=0", offer_id=3, affiliate_id=8)
    assert skipped["state"] == "delivered"
    assert time.monotonic() - started < 2.5


def test_ten_consecutive_failures_deactivate(
    app: Flask, client: FlaskClient, receiver: PostbackReceiver
) -> None:
    receiver.status = 500
    postback(app, 1, partner=7, postback_url=receiver.url + "/down")
    keep = postback(app, 2, partner=7, delivery_method="html")  # never fails

    for attempt in range(1, 10):
        (failed, _) = fire(client, offer_id=3, affiliate_id=7)
        assert failed["state"] == "failed"
        assert not failed["deactivated"], attempt
    receiver.status = 200
    (ok, _) = fire(client, offer_id=3, affiliate_id=7)  # a success starts the count again
    assert ok["state"] == "delivered"
    receiver.status = 503
    for _ in range(9):
        (failed, _) = fire(client, offer_id=3, affiliate_id=7)
        assert not failed["deactivated"]
    (tenth, _) = fire(client, offer_id=3, affiliate_id=7)

    assert tenth["deactivated"] is True
    stored = client.get("/v1/networks/pixels/1", headers=KEY).json
    assert stored["pixel_status"] == "inactive"
    assert client.get("/v1/networks/pixels/2", headers=KEY).json == keep
    assert [d["pixel_id"] for d in fire(client, offer_id=3, affiliate_id=7)] == [2]


def test_failures_count_within_72_hours_of_the_mock_clock(receiver: PostbackReceiver) -> None:
    app = make_app()
    state = get_state(app)
    now = [1_800_000_000]
    state.parts["firing"] = Firing(state, now=lambda: now[0])
    receiver.status = 500
    postback(app, 1, partner=7, postback_url=receiver.url + "/down")
    client = app.test_client()

    for _ in range(9):
        assert fire(client, offer_id=3, affiliate_id=7)[0]["state"] == "failed"
    now[0] += FAILURE_WINDOW  # the first nine are now 72 hours old: outside the window
    (tenth,) = fire(client, offer_id=3, affiliate_id=7)
    assert not tenth["deactivated"]
    for _ in range(8):
        fire(client, offer_id=3, affiliate_id=7)
    now[0] += FAILURE_WINDOW - 1  # the tenth is 71:59:59 old: nine in the window so far
    (last,) = fire(client, offer_id=3, affiliate_id=7)
    assert last["deactivated"] is True
    assert state.store.postbacks()[0]["pixel_status"] == "inactive"


def test_reset_cancels_what_has_not_been_sent(
    app: Flask, client: FlaskClient, receiver: PostbackReceiver
) -> None:
    postback(app, 1, partner=7, postback_url=receiver.url + "/later", delay_ms=300_000)
    (pending,) = fire(client, query="", offer_id=3, affiliate_id=7)
    assert pending["state"] == "pending"
    firing = firing_of(get_state(app))
    assert firing.sender.pending == 1

    client.post("/__admin/reset")

    assert client.get("/__admin/deliveries").json == {"deliveries": []}
    assert settles(lambda: firing.sender.pending == 0)
    assert receiver.requests == []


def test_a_slow_receiver_costs_only_its_own_deliveries(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with PostbackReceiver() as slow, PostbackReceiver() as fast:
        slow.delay = 3.0
        for pid in range(1, 41):  # more than PER_HOST at once
            postback(app, pid, offer=12, partner=pid, postback_url=f"{slow.url}/{pid}")
        postback(app, 41, offer=12, partner=41, postback_url=f"{fast.url}/41")
        for pid in range(1, 41):
            fire(client, query="", offer_id=12, affiliate_id=pid)
        started = time.monotonic()
        (quick,) = fire(client, query="?wait=5", offer_id=12, affiliate_id=41)
        assert quick["state"] == "delivered"
        assert time.monotonic() - started < 2.0  # behind the slow ones: 3 s or more
        journal = client.get("/__admin/deliveries").json["deliveries"]
        assert sum(d["state"] == "pending" for d in journal) >= 30


def test_the_queue_is_bounded(
    app: Flask, client: FlaskClient, receiver: PostbackReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sender_module, "MAX_PENDING", 2)
    postback(app, 1, partner=7, postback_url=receiver.url + "/q", delay_ms=300_000)
    states = [fire(client, query="", offer_id=3, affiliate_id=7)[0] for _ in range(3)]
    assert [d["state"] for d in states] == ["pending", "pending", "refused"]
    assert states[2]["error"] == "too many deliveries pending (2); not sent"
    client.post("/__admin/reset")


def test_the_journal_is_bounded(receiver: PostbackReceiver) -> None:
    app = make_app(journal_size=3)
    postback(app, 1, partner=7, delivery_method="html")
    client = app.test_client()
    for n in range(5):
        fire(client, offer_id=3, affiliate_id=7, sub1=str(n))
    journal = client.get("/__admin/deliveries").json["deliveries"]
    assert [d["id"] for d in journal] == [3, 4, 5]
    assert client.delete("/__admin/deliveries").status_code == 204
    assert client.get("/__admin/deliveries").json == {"deliveries": []}


WHOLE = "must be a whole number"
NOT_A_VALUE = "a macro value is text, a number or null"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ([1], "$: the body must be a JSON object keyed by macro names"),
        (
            {"offer_id": 1, "affiliate_id": 1, "clickid": "x"},
            "clickid: not a macro name (see fixtures.macros.MACROS) nor 'type'",
        ),
        (
            {"offer_id": 1, "affiliate_id": 1, "type": "sale"},
            "type: must be one of conversion, event, click",
        ),
        ({"affiliate_id": 1}, f"offer_id: {WHOLE} >= 1"),
        ({"offer_id": "12", "affiliate_id": 1}, f"offer_id: {WHOLE} >= 1"),
        ({"offer_id": 1, "affiliate_id": 0}, f"affiliate_id: {WHOLE} >= 1"),
        ({"offer_id": 1, "affiliate_id": 1, "event_id": -1}, f"event_id: {WHOLE} >= 0"),
        ({"offer_id": 1, "affiliate_id": 1, "sub1": True}, f"sub1: {NOT_A_VALUE}"),
        ({"offer_id": 1, "affiliate_id": 1, "sub2": {"a": 1}}, f"sub2: {NOT_A_VALUE}"),
    ],
)
def test_bad_conversions_are_422_naming_the_field(
    client: FlaskClient, body: Any, detail: str
) -> None:
    answer = client.post("/__admin/conversions", json=body)
    assert answer.status_code == 422
    assert answer.json is not None
    assert answer.json["field"] == detail.partition(":")[0]
    assert answer.json["detail"] == detail
    assert client.get("/__admin/deliveries").json == {"deliveries": []}


@pytest.mark.parametrize("query", ["?wait=61", "?wait=abc", "?delay_scale=-1", "?wait=nan"])
def test_bad_parameters_are_422(client: FlaskClient, query: str) -> None:
    answer = client.post("/__admin/conversions" + query, json={"offer_id": 1, "affiliate_id": 1})
    assert answer.status_code == 422
    assert answer.json is not None
    assert answer.json["parameter"] in query


def test_not_json_is_422(client: FlaskClient) -> None:
    answer = client.post(
        "/__admin/conversions", data=b'{"offer_id": NaN}', content_type="application/json"
    )
    assert answer.status_code == 422
    assert answer.json is not None
    assert "not plain JSON" in answer.json["detail"]


def test_firing_is_admin_only(receiver: PostbackReceiver) -> None:
    app = make_app(admin_token="s3cret")
    client = app.test_client()
    assert client.post("/__admin/conversions", json={}).status_code == 401
    assert client.get("/__admin/deliveries").status_code == 401
    answer = client.post(
        "/__admin/conversions",
        json={"offer_id": 1, "affiliate_id": 1},
        headers={"Authorization": "Bearer s3cret"},
    )
    assert answer.status_code == 200


def test_an_allowed_host_that_is_no_host_name_is_refused() -> None:
    label = "x" * 64  # longer than a DNS label may be
    firing = firing_of(get_state(make_app(deliver_to=(f"{label}.example",))))
    target, why = firing._target(f"http://{label}.example/pb")
    assert target is None
    assert why.startswith("not a host name the mock can send to")


def test_delivery_ids_go_on_after_a_clear_and_start_again_after_a_reset(
    app: Flask, client: FlaskClient, receiver: PostbackReceiver
) -> None:
    def fired_id() -> int:
        postback(app, 1, partner=7, postback_url=receiver.url + "/id")
        (delivery,) = fire(client, offer_id=3, affiliate_id=7)
        return int(delivery["id"])

    assert fired_id() == 1
    client.delete("/__admin/deliveries")
    assert fired_id() == 2  # a cleared journal keeps ids unique within the run
    client.post("/__admin/reset")
    assert fired_id() == 1  # a reset (every test's start) begins again, as everything else


# Bounds: rendering, pending deliveries per receiver, and why a postback did not fire.


HUGE = "{sub1}" * 20_000  # 120 KB of template: 40 MB once a 2 KB sub1 fills it in


LONG_VALUE = "v" * 2048


def _fire_peak(client: FlaskClient, **body: Any) -> tuple[list[dict[str, Any]], int]:
    """Fire and measure the largest memory Python held meanwhile, above what it held before."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        deliveries = fire(client, **body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return deliveries, peak - before


@pytest.mark.parametrize("method", ["postback", "html", "facebook"])
def test_a_huge_rendering_is_cut_while_rendering(
    app: Flask, client: FlaskClient, receiver: PostbackReceiver, method: str
) -> None:
    fields: dict[str, Any] = {"delivery_method": method}
    if method == "postback":
        fields["postback_url"] = receiver.url + "/pb?s=" + HUGE
    elif method == "html":
        fields["html_code"] = HUGE
    else:
        settings = _factory.build(1, delivery_method="facebook")["facebook_pixel"]
        fields["facebook_pixel"] = {**settings, "event_id": HUGE}
    postback(app, 1, partner=7, **fields)
    fire(client, offer_id=3, affiliate_id=7, sub1="warm")  # first-call costs (index) paid

    (delivery,), peak = _fire_peak(client, offer_id=3, affiliate_id=7, sub1=LONG_VALUE)

    unbounded = len(HUGE) // len("{sub1}") * len(LONG_VALUE)
    assert peak < 1_000_000 < unbounded // 40  # measured: about 0.26 MB, against 40 MB
    note = f"... (more than {TEXT_BYTES:,} characters, cut)"
    if method == "postback":
        assert delivery["state"] == "refused"
        assert (
            delivery["error"]
            == f"the rendered URL is longer than {TEXT_BYTES:,} characters; not sent"
        )
        assert delivery["url"] == (receiver.url + "/pb?s=" + LONG_VALUE * 8)[:TEXT_BYTES] + note
        time.sleep(0.1)
        assert receiver.requests == []
    elif method == "html":
        assert delivery["state"] == "kept"
        assert delivery["html"] == (LONG_VALUE * 8)[:TEXT_BYTES] + note
    else:
        # the event's strings share the bound, in order: pixel_id and event_name come
        # before event_id, which is cut; every string after it is empty
        event = delivery["event"]
        room = TEXT_BYTES - len(event["pixel_id"]) - len(event["event_name"])
        assert event["event_id"] == (LONG_VALUE * 8)[:room] + note
        assert event["action_source"] == note
        assert event["user_data"] == [{"field": note, "value": ""}]  # {sub4}: no value, empty


def test_a_url_just_within_the_bound_is_sent(
    app: Flask, client: FlaskClient, receiver: PostbackReceiver
) -> None:
    start = receiver.url + "/pb?s="
    postback(app, 1, partner=7, postback_url=start + "{sub1}")

    (sent,) = fire(client, offer_id=3, affiliate_id=7, sub1="w" * (TEXT_BYTES - len(start)))
    (refused,) = fire(client, offer_id=3, affiliate_id=7, sub1="w" * (TEXT_BYTES - len(start) + 1))

    assert sent["state"] == "delivered"
    assert len(sent["url"]) == TEXT_BYTES
    assert refused["state"] == "refused"
    assert [len(r.target) for r in receiver.requests] == [TEXT_BYTES - len(receiver.url)]


def test_a_url_longer_than_the_bound_once_encoded_is_not_sent(
    app: Flask, client: FlaskClient, receiver: PostbackReceiver
) -> None:
    postback(app, 1, partner=7, postback_url=receiver.url + "/" + "é" * (TEXT_BYTES // 2))

    (delivery,) = fire(client, offer_id=3, affiliate_id=7)

    assert delivery["state"] == "refused"
    assert "longer than" in delivery["error"]
    assert receiver.requests == []


def test_a_target_just_within_the_bound_once_encoded_is_sent(
    app: Flask, client: FlaskClient, receiver: PostbackReceiver
) -> None:
    encoded = TEXT_BYTES // 12  # each "é" is sent as six characters, %C3%A9
    path = "/" + "é" * encoded + "{sub1}"
    postback(app, 1, partner=7, postback_url=receiver.url + path)
    fill = TEXT_BYTES - 1 - 6 * encoded

    (sent,) = fire(client, offer_id=3, affiliate_id=7, sub1="a" * fill)
    (refused,) = fire(client, offer_id=3, affiliate_id=7, sub1="a" * (fill + 1))

    assert sent["state"] == "delivered"
    assert [len(r.target) for r in receiver.requests] == [TEXT_BYTES]
    assert refused["state"] == "refused"
    assert (
        refused["error"] == f"the rendered URL is longer than {TEXT_BYTES:,} characters; not sent"
    )


def test_reset_empties_the_template_cache(app: Flask, client: FlaskClient) -> None:
    postback(app, 1, partner=7, delivery_method="html", html_code="<p>{sub1}</p>")
    fire(client, offer_id=3, affiliate_id=7, sub1="x")
    assert len(macros._templates) > 0

    client.post("/__admin/reset")

    assert len(macros._templates) == 0
    assert macros._templates.used == 0


@contextlib.contextmanager
def hanging_receiver() -> Iterator[str]:
    """A loopback port that takes connections and never answers: a receiver that hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.mark.slow
def test_a_hanging_receiver_holds_only_its_own_share_of_pending_deliveries(
    app: Flask, client: FlaskClient, receiver: PostbackReceiver
) -> None:
    with hanging_receiver() as hanging:
        for pid in range(1, PENDING_PER_RECEIVER + 11):
            postback(app, pid, offer=12, postback_url=f"{hanging}/h{pid}")
        postback(app, 5000, partner=7, postback_url=receiver.url + "/healthy")

        stuck = fire(client, query="", offer_id=12, affiliate_id=9)
        (healthy,) = fire(client, offer_id=3, affiliate_id=7)

        host = hanging.removeprefix("http://")
        states = [d["state"] for d in stuck]
        assert states.count("pending") == PENDING_PER_RECEIVER
        assert states.count("refused") == 10
        assert {d["error"] for d in stuck if d["state"] == "refused"} == {
            f"too many deliveries pending for {host} ({PENDING_PER_RECEIVER:,}); not sent"
        }
        assert healthy["state"] == "delivered"
        assert receiver.urls == [receiver.url + "/healthy"]
        client.post("/__admin/reset")


def test_the_per_receiver_bound_leaves_room_in_the_overall_one(
    app: Flask, client: FlaskClient, receiver: PostbackReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Scaled down: 5 places in all, 3 for one receiver. A hanging receiver sent 8
    # deliveries holds 3; without the per-receiver bound it would hold all 5 and the
    # healthy receiver's delivery would be refused.
    monkeypatch.setattr(sender_module, "MAX_PENDING", 5)
    monkeypatch.setattr(sender_module, "PENDING_PER_RECEIVER", 3)
    with hanging_receiver() as hanging:
        for pid in range(1, 9):
            postback(app, pid, offer=12, postback_url=f"{hanging}/h{pid}")
        postback(app, 20, partner=7, postback_url=receiver.url + "/healthy")
        postback(app, 21, partner=8, postback_url=receiver.url + "/later", delay_ms=300_000)

        stuck = fire(client, query="", offer_id=12, affiliate_id=9)
        (healthy,) = fire(client, offer_id=3, affiliate_id=7)
        waiting = [fire(client, query="", offer_id=3, affiliate_id=8)[0] for _ in range(3)]

        assert [d["state"] for d in stuck] == ["pending"] * 3 + ["refused"] * 5
        assert healthy["state"] == "delivered"
        # the healthy receiver has its own 3, but only 2 of the 5 overall are left
        assert [d["state"] for d in waiting] == ["pending", "pending", "refused"]
        assert waiting[2]["error"] == "too many deliveries pending (5); not sent"
        client.post("/__admin/reset")


def test_the_pending_urls_are_bounded_by_their_size(
    app: Flask, client: FlaskClient, receiver: PostbackReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    each = 10_000 + 10_000 - len(receiver.url)  # a URL of 10,000 and its request target
    monkeypatch.setattr(sender_module, "PENDING_BYTES", 3 * each)
    postback(app, 1, partner=7, postback_url=receiver.url + "/{sub1}", delay_ms=300_000)
    long = "w" * (10_000 - len(receiver.url) - 1)
    firing = firing_of(get_state(app))

    states = [fire(client, query="", offer_id=3, affiliate_id=7, sub1=long)[0] for _ in range(4)]
    assert firing.sender.pending_bytes == 3 * each
    (short,) = fire(client, query="", offer_id=3, affiliate_id=7)  # too, while the others wait

    assert [d["state"] for d in states] == ["pending"] * 3 + ["refused"]
    assert states[3]["error"] == f"the pending deliveries' URLs take {3 * each:,} bytes; not sent"
    assert short["state"] == "refused"
    client.post("/__admin/reset")
    assert settles(lambda: firing.sender.pending_bytes == 0)
    assert receiver.requests == []


def test_explain_names_the_postbacks_that_did_not_fire_and_why(
    app: Flask, client: FlaskClient, receiver: PostbackReceiver
) -> None:
    url = receiver.url + "/pb"
    postback(app, 1, partner=7, postback_url=url, pixel_status="inactive")
    postback(app, 2, partner=7, postback_url=url, pixel_type="cpc")
    postback(app, 3, partner=8, offer=12, postback_url=url)
    postback(app, 4, offer=12, postback_url=url)
    postback(app, 5, offer=13, partner=7, postback_url=url)
    postback(app, 8, partner=99, postback_url=url)  # neither the partner nor the offer
    for pid, event in ((9, 6), (10, 5)):
        fields = {"pixel_type": "event", "network_offer_payout_revenue_id": event}
        postback(app, pid, offer=12, partner=7, postback_url=url, **fields)

    answer = client.post(
        "/__admin/conversions?wait=5&explain=true", json={"offer_id": 12, "affiliate_id": 7}
    ).json
    event = client.post(
        "/__admin/conversions?wait=5&explain=true",
        json={"type": "event", "offer_id": 12, "affiliate_id": 7, "event_id": 5},
    ).json
    assert answer is not None
    assert event is not None

    assert [d["pixel_id"] for d in answer["deliveries"]] == [4]
    assert answer["not_applied"] == [
        {"pixel_id": 1, "reason": "pixel_status is inactive, not active"},
        {"pixel_id": 2, "reason": "pixel_type cpc is not fired by conversions"},
        {"pixel_id": 3, "reason": "specific to offer 12 and partner 8, not offer 12 and partner 7"},
        {"pixel_id": 5, "reason": "specific to offer 13 and partner 7, not offer 12 and partner 7"},
        {"pixel_id": 9, "reason": "pixel_type event is not fired by conversions"},
        {"pixel_id": 10, "reason": "pixel_type event is not fired by conversions"},
    ]
    assert answer["not_applied_total"] == 6
    assert [d["pixel_id"] for d in event["deliveries"]] == [10]
    assert {"pixel_id": 9, "reason": "for event 6, not 5"} in event["not_applied"]


def test_explain_is_bounded(app: Flask, client: FlaskClient) -> None:
    for pid in range(1, MAX_EXPLAINED + 6):
        postback(app, pid, partner=7, delivery_method="html", pixel_status="inactive")

    answer = client.post(
        "/__admin/conversions?explain=1", json={"offer_id": 3, "affiliate_id": 7}
    ).json
    assert answer is not None

    assert answer["deliveries"] == []
    assert [m["pixel_id"] for m in answer["not_applied"]] == list(range(1, MAX_EXPLAINED + 1))
    assert answer["not_applied_total"] == MAX_EXPLAINED + 5


def test_without_explain_the_answer_has_only_the_deliveries(client: FlaskClient) -> None:
    answer = client.post("/__admin/conversions", json={"offer_id": 3, "affiliate_id": 7}).json
    assert answer == {"deliveries": []}


def test_a_conversion_outside_the_world_is_refused(receiver: PostbackReceiver) -> None:
    app = make_app(references="strict")
    client = app.test_client()
    stored = postback(app, 1, offer=3, partner=7, postback_url=receiver.url + "/pb")
    world = get_state(app).world
    assert (3 in world.offers, 7 in world.affiliates) == (True, True)  # added with the postback
    for body, field, adder in (
        ({"offer_id": 4, "affiliate_id": 7}, "offer_id", "add_offer"),
        ({"offer_id": 3, "affiliate_id": 8}, "affiliate_id", "add_affiliate"),
    ):
        answer = client.post("/__admin/conversions?wait=5", json=body)
        assert answer.status_code == 422  # the admin API's answer to a bad conversion
        assert answer.json is not None
        assert str(answer.json).count(f"{field}: {body[field]} is not in the mock's world") == 1
        assert f"(add it with {adder}, or use references=loose)" in str(answer.json)
        with pytest.raises(ConversionError, match=f"^{field}: {body[field]} is not in"):
            firing_of(get_state(app)).not_applied(body)  # what ?explain=true lists
    assert receiver.urls == []
    (delivered,) = fire(client, offer_id=3, affiliate_id=7)
    assert delivered["pixel_id"] == stored["network_pixel_id"]


@pytest.mark.parametrize(
    ("platform", "url_field"),
    [("facebook", "event_source_url"), ("snapchat", "event_source_url"), ("tiktok", "url")],
)
def test_a_platform_field_ending_in_url_is_url_encoded_and_the_others_are_text(
    app: Flask, client: FlaskClient, platform: str, url_field: str
) -> None:
    settings = _factory.build(1, delivery_method=platform)[f"{platform}_pixel"]
    settings[url_field] = "https://shop.example/p?c={transaction_id}&s={sub1}"
    settings["event_name"] = "{transaction_id}"  # a field not ending in url: text
    postback(app, 1, partner=7, delivery_method=platform, **{f"{platform}_pixel": settings})

    (delivery,) = fire(client, offer_id=3, affiliate_id=7, transaction_id="tx 1&c=2", sub1="é/")

    event = delivery["event"]
    assert event[url_field] == "https://shop.example/p?c=tx%201%26c%3D2&s=%C3%A9%2F"
    assert event["event_name"] == "tx 1&c=2"


@pytest.mark.parametrize(
    ("url", "port", "host_header", "request_target"),
    [
        ("http://pb.example.net/x", 80, "pb.example.net", "/x"),  # the default port: not said
        ("http://pb.example.net:80", 80, "pb.example.net", "/"),
        ("https://pb.example.net/x", 443, "pb.example.net", "/x"),
        ("https://pb.example.net:80/x", 80, "pb.example.net:80", "/x"),
        ("http://pb.example.net:9000/x", 9000, "pb.example.net:9000", "/x"),
        ("http://[::1]:5/x", 5, "[::1]:5", "/x"),
        ("http://bücher.example/x", 80, "xn--bcher-kva.example", "/x"),
        ("http://127.0.0.1:5/a;b=c/%41,@:!$'()*+", 5, "127.0.0.1:5", "/a;b=c/%41,@:!$'()*+"),
        ("http://127.0.0.1:5/a b/é?q=a b&r=é", 5, "127.0.0.1:5", "/a%20b/%C3%A9?q=a%20b&r=%C3%A9"),
    ],
)
def test_a_target_carries_its_port_host_header_and_request_target(
    url: str, port: int, host_header: str, request_target: str
) -> None:
    state = get_state(make_app(deliver_to=("pb.example.net", "bücher.example")))
    target, why = firing_of(state)._target(url)
    assert why == ""
    assert target is not None
    assert (target.port, target.host_header, target.request_target) == (
        port,
        host_header,
        request_target,
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://127.0.0.1/x", "not an http:// or https:// URL with a host"),
        ("http:///x", "not an http:// or https:// URL with a host"),
        (
            "http://10.0.0.1/x",
            "10.0.0.1:80 is not loopback; the mock sends only to loopback unless started "
            "with --deliver-to HOST[:PORT]",
        ),
    ],
)
def test_a_refused_target_says_why(url: str, why: str) -> None:
    assert firing_of(get_state(make_app()))._target(url) == (None, why)


def test_a_bad_destination_is_named_in_its_first_80_characters() -> None:
    text = "x/" + "y" * 200
    with pytest.raises(ValueError, match="HOST or HOST:PORT") as refused:
        parse_destination(text)
    assert str(refused.value) == f"a destination is HOST or HOST:PORT, not {text[:80]!r}"


def test_deactivating_stamps_the_save_time_and_says_whether_it_changed_anything() -> None:
    app = make_app(clock=1_800_000_000)
    state = get_state(app)
    original = postback(app, 1, partner=7)
    firing = firing_of(state)

    assert firing._deactivate(1) is True
    (stored,) = state.store.postbacks()
    assert stored["pixel_status"] == "inactive"
    assert stored["time_saved"] == 1_800_000_000  # the mock clock's first write
    assert original["time_saved"] != 1_800_000_000
    assert firing._deactivate(1) is False  # inactive already: nothing stored again
    assert firing._deactivate(404) is False  # deleted meanwhile: nothing to deactivate
    assert state.store.postbacks() == [stored]


def test_a_conversion_without_an_event_id_is_event_0() -> None:
    conversion = parse_conversion({"offer_id": 3, "affiliate_id": 7, "type": "event"})
    assert (conversion.type, conversion.event_id) == ("event", 0)
    assert "type" not in conversion.values


@pytest.mark.parametrize(
    ("fields", "conversion", "fires"),
    [
        # no offer (0 or none) matches no conversion's offer, which is >= 1
        ({"pixel_level": "global_offer", "network_offer_id": 0}, {"offer_id": 1}, False),
        ({"pixel_level": "global_offer", "network_offer_id": None}, {"offer_id": 1}, False),
        ({"pixel_level": "global", "network_affiliate_id": None}, {"affiliate_id": 1}, False),
        ({"pixel_level": "elsewhere"}, {}, False),  # a level the mock does not know
        ({"pixel_level": "global", "network_affiliate_id": 8}, {"type": "event"}, False),
        ({"pixel_level": "global", "network_affiliate_id": 7}, {"type": "event"}, True),
    ],
)
def test_which_postbacks_a_conversion_applies_to(
    fields: dict[str, Any], conversion: dict[str, Any], fires: bool
) -> None:
    parsed = parse_conversion({"offer_id": 3, "affiliate_id": 7, **conversion})
    (fired_type, *_) = sorted(CONVERSION_TYPES[parsed.type])
    postback = {
        "pixel_status": "active",
        "pixel_type": fired_type,
        "network_offer_id": 3,
        "network_affiliate_id": 7,
        **fields,
    }
    assert applies(postback, parsed) is fires


def test_a_mock_has_one_firing(app: Flask) -> None:
    state = get_state(app)
    firing = firing_of(state)
    assert firing_of(state) is firing
    assert state.parts["firing"] is firing


def test_a_delivery_in_the_journal_names_its_method_and_type(
    app: Flask, client: FlaskClient
) -> None:
    postback(app, 1, partner=7, delivery_method="html", pixel_type="event")
    postback(app, 2, partner=7, pixel_type="event", postback_url="http://127.0.0.1:9/pb")
    html, get = fire(client, query="", offer_id=3, affiliate_id=7, type="event")
    assert (html["delivery_method"], html["type"], html["method"]) == ("html", "event", None)
    assert (get["delivery_method"], get["type"], get["method"]) == ("postback", "event", "GET")
