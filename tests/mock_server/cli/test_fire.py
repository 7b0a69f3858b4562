"""``everflow-mock fire`` against a served mock (granian), and ``serve --deliver-to``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from fixtures import MACROS
from mock_server import cli
from mock_server.cli.fire import ADMIN_TOKEN_ENV, MACRO_NAMES, format_deliveries
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
