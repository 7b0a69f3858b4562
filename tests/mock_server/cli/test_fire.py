"""``everflow-mock fire`` against a served mock (granian), and ``serve --deliver-to``."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from pytest_httpserver import HTTPServer

from fixtures import MACROS
from mock_server import cli
from mock_server.cli.fire import (
    ADMIN_TOKEN_ENV,
    MACRO_NAMES,
    MAX_FIRE_ANSWER_BYTES,
    NONE_APPLIES,
    format_deliveries,
    format_not_applied,
)
from mock_server.firing.conversion import ConversionError, parse_conversion
from mock_server.testing.receiver import PostbackReceiver
from mock_server.testing.spawn import Spawned, spawn_serve

KEY = {"X-Eflow-Api-Key": "k"}


def test_the_macro_options_are_the_vocabulary() -> None:
    assert tuple(macro.name for macro in MACROS) == MACRO_NAMES


@pytest.fixture(scope="module")
def served() -> Iterator[Spawned]:
    with spawn_serve("--quiet", "--rate-limit", "off", "--deliver-to", "pb.example.net") as mock:
        yield mock


@pytest.fixture
def receiver(served: Spawned) -> Iterator[PostbackReceiver]:
    httpx.post(served.root + "/__admin/reset")
    # The partner and offers these tests fire for, in the mock's world (a conversion for
    # one it does not serve is refused: test_a_conversion_outside_the_world_is_refused).
    for partner_id in (7, 8):
        assert (
            httpx.put(f"{served.root}/__admin/affiliates/{partner_id}", json={}).status_code == 201
        )
    for offer_id in (1, 3, 12):
        assert httpx.put(f"{served.root}/__admin/offers/{offer_id}", json={}).status_code == 201
    with PostbackReceiver() as running:
        yield running


def create(served: Spawned, url: str, **fields: object) -> int:
    body = {
        "network_affiliate_id": 7,
        "delivery_method": "postback",
        "postback_url": url,
        "pixel_level": "global",
        "pixel_type": "conversion",
        "pixel_status": "active",
        **fields,
    }
    answer = httpx.post(served.url + "/networks/pixels", json=body, headers=KEY)
    assert answer.status_code == 200, answer.text
    pixel_id: int = answer.json()["network_pixel_id"]
    return pixel_id


@pytest.mark.slow
def test_fire_prints_the_deliveries(
    served: Spawned, receiver: PostbackReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    pixel_id = create(served, receiver.url + "/pb?tid={transaction_id}&s={sub1}&p={payout}")

    code = cli.main(
        ["fire", "--base-url", served.url, "--offer-id", "12", "--affiliate-id", "7",
         "--transaction-id", "t 1", "--sub1", "a&b", "--payout", "2.50"]
    )  # fmt: skip

    out = capsys.readouterr().out
    assert code == 0
    assert receiver.urls == [receiver.url + "/pb?tid=t%201&s=a%26b&p=2.50"]
    assert f"pixel {pixel_id} postback delivered 200 " in out
    assert receiver.url + "/pb?tid=t%201&s=a%26b&p=2.50" in out


@pytest.mark.slow
def test_fire_json_and_a_refused_destination(
    served: Spawned, receiver: PostbackReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    allowed = create(served, "http://pb.example.net:1/never", delay_ms=300_000)
    refused = create(served, "https://track.example.com/pb")

    code = cli.main(
        ["fire", "--base-url", served.root, "--offer-id", "3", "--affiliate-id", "7",
         "--wait", "0.5", "--json"]
    )  # fmt: skip

    deliveries = {d["pixel_id"]: d for d in json.loads(capsys.readouterr().out)["deliveries"]}
    assert code == 1
    assert deliveries[allowed]["state"] == "pending"  # allowed: waiting for its 300 s delay
    assert deliveries[refused]["state"] == "refused"
    journal = httpx.get(served.root + "/__admin/deliveries").json()["deliveries"]
    assert {d["pixel_id"] for d in journal} >= {allowed, refused}
    httpx.post(served.root + "/__admin/reset")  # cancels the pending one: nothing is sent


def test_no_mock_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        ["fire", "--base-url", "http://127.0.0.1:9", "--offer-id", "1", "--affiliate-id", "7"]
    )
    assert code == 2
    assert "cannot reach the mock at http://127.0.0.1:9" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "value"),
    [("--offer-id", "0"), ("--affiliate-id", "0"), ("--offer-id", "-3"), ("--event-id", "-1")],
)
def test_fire_refuses_the_ids_the_mock_refuses_with_its_rule(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = {"--offer-id": "1", "--affiliate-id": "7", option: value}
    with pytest.raises(SystemExit) as exit_:
        cli.main(["fire", "--base-url", "http://127.0.0.1:9", *(x for i in ids.items() for x in i)])
    assert exit_.value.code == 2
    name = option.removeprefix("--").replace("-", "_")
    with pytest.raises(ConversionError) as refused:
        parse_conversion({"offer_id": 1, "affiliate_id": 7, name: int(value)})
    rule = str(refused.value).removeprefix(f"{name}: ")
    assert f"{option}: {rule}, not {value}" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("token", ["", "not-it"])
def test_a_401_says_to_set_the_token_variable(
    token: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ADMIN_TOKEN_ENV, token)
    with spawn_serve("--quiet", "--admin-token", "s3cret-admin-token") as mock:
        code = cli.main(["fire", "--base-url", mock.url, "--offer-id", "1", "--affiliate-id", "7"])
    err = capsys.readouterr().err
    assert code == 2
    assert "(401)" in err
    assert f"${ADMIN_TOKEN_ENV}" in err
    assert "Authorization" not in err


def test_offer_and_affiliate_are_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["fire", "--offer-id", "1"])
    assert exit_.value.code == 2
    assert "--affiliate-id" in capsys.readouterr().err


def test_format_without_deliveries() -> None:
    assert format_deliveries([]) == "no active postback applies to this conversion"


# Where the request goes: no redirect followed, no environment proxy for a loopback mock.

TOKEN = "s3cret-admin-token"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.mark.slow
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_is_exit_2(
    status: int,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(ADMIN_TOKEN_ENV, TOKEN)
    with PostbackReceiver() as elsewhere:
        httpserver.expect_request("/__admin/conversions", method="POST").respond_with_data(
            "", status=status, headers={"Location": elsewhere.url + "/__admin/conversions"}
        )

        code = cli.main(
            ["fire", "--base-url", httpserver.url_for("/v1"), "--offer-id", "1",
             "--affiliate-id", "7"]
        )  # fmt: skip

        time.sleep(0.2)
        assert elsewhere.requests == []  # neither the conversion nor the token went there
    err = capsys.readouterr().err
    assert code == 2
    (asked, _), *_ = httpserver.log
    assert asked.headers["Authorization"] == f"Bearer {TOKEN}"  # the mock's address had it
    port = elsewhere.url.rsplit(":", 1)[1]
    assert f"answered {status}, a redirect to http://127.0.0.1:{port}" in err
    assert "fire follows no redirects" in err
    assert TOKEN not in err


def run_fire(
    base_url: str, proxy: str, *args: str, token: bool = True
) -> subprocess.CompletedProcess[str]:
    """``everflow-mock fire`` in a process of its own whose environment names ``proxy``
    as the proxy for everything, and the admin token unless not ``token``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in PROXY_VARIABLES and k != ADMIN_TOKEN_ENV
    }
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        env[name] = env[name.upper()] = proxy
    if token:
        env[ADMIN_TOKEN_ENV] = TOKEN
    return subprocess.run(
        [sys.executable, "-m", "mock_server.cli", "fire", "--base-url", base_url,
         "--offer-id", "12", "--affiliate-id", "7", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip


@pytest.mark.slow
def test_a_loopback_mock_is_reached_without_the_environment_proxy(
    served: Spawned, receiver: PostbackReceiver
) -> None:
    create(served, receiver.url + "/pb?tid={transaction_id}")
    with PostbackReceiver() as proxy:
        done = run_fire(served.url, proxy.url, "--transaction-id", "t1")

        assert done.returncode == 0, done.stderr
        assert receiver.urls == [receiver.url + "/pb?tid=t1"]
        assert proxy.requests == []


@pytest.mark.slow
def test_a_mock_elsewhere_is_reached_through_the_environment_proxy() -> None:
    # The contract client's rule (environment_proxy): proxies are honoured, but not for
    # loopback. The proxy here answers as no mock does, which is exit 2. No admin token:
    # plain http elsewhere carries none (test_the_admin_token_never_goes_over_plain_http...).
    with PostbackReceiver() as proxy:
        done = run_fire("http://mock.example:4010", proxy.url, token=False)

    (asked,) = proxy.requests
    assert asked.target.startswith("http://mock.example:4010/__admin/conversions?")
    assert done.returncode == 2
    assert "is not the mock" in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "base_url", ["http://mock.example:4010", "http://10.1.2.3:4010/v1", "HTTP://Mock.Example"]
)
def test_the_admin_token_never_goes_over_plain_http_to_another_host(base_url: str) -> None:
    with PostbackReceiver() as proxy:  # where the request would go: the environment's proxy
        done = run_fire(base_url, proxy.url)
        time.sleep(0.2)
        assert proxy.requests == []
    assert done.returncode == 2
    assert f"refusing to send the admin token (${ADMIN_TOKEN_ENV}) over plain http" in done.stderr
    assert "https address as --base-url" in done.stderr
    assert TOKEN not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


# What fire reads of an answer: as the contract client reads one, bounded.


@pytest.mark.slow
def test_an_answer_past_the_cap_is_not_read_past_it(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # 65 MiB of a JSON string once decoded, 65 KB on the wire: read only up to the cap
    padding = gzip.compress(b'{"deliveries": [], "x": "' + b"0" * (65 << 20) + b'"}')
    httpserver.expect_request("/__admin/conversions", method="POST").respond_with_data(
        padding, headers={"Content-Encoding": "gzip"}, content_type="application/json"
    )
    code = cli.main(
        ["fire", "--base-url", httpserver.url_for("/v1"), "--offer-id", "1", "--affiliate-id", "7"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert f"is larger than {MAX_FIRE_ANSWER_BYTES} bytes once decoded (gzip)" in err
    (asked, _), *_ = httpserver.log
    assert asked.headers["Accept-Encoding"] == "gzip, deflate"  # no more than it decodes


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content", "headers", "said"),
    [
        (
            gzip.compress(gzip.compress(b'{"deliveries": []}')),
            {"Content-Encoding": "gzip, gzip"},
            "is encoded 2 times",
        ),
        (b"[" * 100_000 + b"]" * 100_000, {}, "is not the mock"),
    ],
    ids=["stacked encodings", "nested too deep"],
)
def test_an_answer_no_mock_gives_is_refused_unread(
    content: bytes,
    headers: dict[str, str],
    said: str,
    httpserver: HTTPServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    httpserver.expect_request("/__admin/conversions", method="POST").respond_with_data(
        content, headers=headers, content_type="application/json"
    )
    code = cli.main(
        ["fire", "--base-url", httpserver.url_for("/v1"), "--offer-id", "1", "--affiliate-id", "7"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert said in err
    assert "Traceback" not in err


# How many postbacks applied, and why the others did not.


@pytest.mark.slow
def test_none_applying_is_exit_1_and_says_why(
    served: Spawned, receiver: PostbackReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    inactive = create(served, receiver.url + "/pb", pixel_status="inactive")
    create(served, receiver.url + "/other", network_affiliate_id=8)  # another partner's

    code = cli.main(["fire", "--base-url", served.url, "--offer-id", "12", "--affiliate-id", "7"])

    out, err = capsys.readouterr()
    assert code == 1
    assert out.splitlines() == [
        NONE_APPLIES,
        "1 postback for this partner or offer did not fire:",
        f"  pixel {inactive}: pixel_status is inactive, not active",
    ]
    assert err == f"everflow-mock: {NONE_APPLIES} (--expect 0 if none should)\n"
    assert receiver.requests == []


@pytest.mark.slow
def test_nothing_stored_for_the_conversion_is_said(
    served: Spawned, receiver: PostbackReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["fire", "--base-url", served.url, "--offer-id", "12", "--affiliate-id", "7"])

    assert code == 1
    assert capsys.readouterr().out.splitlines() == [
        NONE_APPLIES,
        "no postback is stored for this partner or offer",
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stored", "expect", "code", "said"),
    [
        (0, "0", 0, ""),
        (1, "1", 0, ""),
        (1, "0", 1, "everflow-mock: 1 postback applied, --expect 0\n"),
        (1, "2", 1, "everflow-mock: 1 postback applied, --expect 2\n"),
        (2, "1", 1, "everflow-mock: 2 postbacks applied, --expect 1\n"),
    ],
)
def test_expect_sets_how_many_must_apply(
    served: Spawned,
    receiver: PostbackReceiver,
    capsys: pytest.CaptureFixture[str],
    stored: int,
    expect: str,
    code: int,
    said: str,
) -> None:
    for n in range(stored):
        create(served, f"{receiver.url}/pb{n}")

    got = cli.main(
        ["fire", "--base-url", served.url, "--offer-id", "12", "--affiliate-id", "7",
         "--expect", expect]
    )  # fmt: skip

    out, err = capsys.readouterr()
    assert got == code
    assert err == said
    assert len(receiver.requests) == stored
    # a count not as expected says what else was considered
    assert ("postback is stored for this partner or offer" in out) is bool(said)
    if said and stored:
        assert "no other postback is stored for this partner or offer" in out


@pytest.mark.slow
def test_json_carries_what_did_not_apply(
    served: Spawned, receiver: PostbackReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    inactive = create(served, receiver.url + "/pb", pixel_status="inactive")

    code = cli.main(
        ["fire", "--base-url", served.url, "--offer-id", "12", "--affiliate-id", "7", "--json"]
    )

    assert code == 1
    assert json.loads(capsys.readouterr().out) == {
        "deliveries": [],
        "not_applied": [{"pixel_id": inactive, "reason": "pixel_status is inactive, not active"}],
        "not_applied_total": 1,
    }


@pytest.mark.parametrize("value", ["-1", "two", "1.5"])
def test_expect_takes_a_whole_number(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["fire", "--offer-id", "1", "--affiliate-id", "7", "--expect", value])
    assert exit_.value.code == 2
    assert f"--expect: a whole number of postbacks (0 or more), not {value}" in (
        capsys.readouterr().err
    )


def test_format_not_applied() -> None:
    missed = [{"pixel_id": 3, "reason": "global for partner 8, not 7"}]
    assert format_not_applied(missed, 4).splitlines() == [
        "4 postbacks for this partner or offer did not fire:",
        "  pixel 3: global for partner 8, not 7",
        "  ... and 3 more",
    ]
    assert format_not_applied([], 0) == "no postback is stored for this partner or offer"
    assert format_not_applied([], 0, 2) == "no other postback is stored for this partner or offer"
    assert (
        format_not_applied(None, None) == "(this mock does not say which postbacks it considered)"
    )


@pytest.mark.slow
def test_a_conversion_outside_the_world_is_refused(
    served: Spawned, receiver: PostbackReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    create(served, receiver.url + "/pb")
    code = cli.main(
        ["fire", "--base-url", served.url, "--offer-id", "4999999", "--affiliate-id", "7"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "offer_id: 4999999 is not in the mock's world" in err
    assert receiver.urls == []


@pytest.mark.parametrize(
    "answer",
    [
        {"detail": "\x1b[2Jcleared " + "x" * 5000},
        "\x1b[2Jcleared " + "x" * 5000,
    ],
)
def test_a_refusals_text_is_cut_and_escaped(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str], answer: object
) -> None:
    body = json.dumps(answer) if isinstance(answer, dict) else str(answer)
    httpserver.expect_request("/__admin/conversions").respond_with_data(body, status=422)
    code = cli.main(
        ["fire", "--base-url", httpserver.url_for(""), "--offer-id", "3", "--affiliate-id", "7"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "refused the conversion (422): \\x1b[2Jcleared xxx" in err
    assert "\x1b" not in err
    assert len(err) < 400
