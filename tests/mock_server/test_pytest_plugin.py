"""The everflow pytest plugin, as a downstream project meets it (through pytester)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
import requests
import respx

from fixtures import PostbackFactory
from mock_server import builtin_postbacks, create_app
from mock_server.live import LiveServer
from mock_server.pytest_plugin import EverflowLive, EverflowMock, EverflowServer

PIXEL_3 = "/networks/pixels/3"
KEY = {"X-Eflow-Api-Key": "downstream-key"}


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_downstream=source)
    return pytester.runpytest("-p", "no:cacheprovider", "-q", *args)


def test_every_fixture_works_in_a_downstream_test_module(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import subprocess, sys, urllib.request, json
import httpx, requests

KEY = {"X-Eflow-Api-Key": "k"}

def test_factory(everflow_factory):
    postback = everflow_factory.build(5, delivery_method="tiktok")
    assert postback["tiktok_pixel"]

def test_mock_answers_httpx_in_both_regions(everflow_mock):
    for base in ("https://api.eflow.team/v1", "https://api-eu.eflow.team/v1"):
        answer = httpx.get(base + "/networks/pixels/3", headers=KEY)
        assert answer.status_code == 200
        assert answer.json()["network_pixel_id"] == 3
    assert everflow_mock.router.calls.call_count == 2
    assert len(everflow_mock.requests) == 2

def test_server_answers_requests_urllib_and_subprocesses(everflow_server):
    assert everflow_server.url.endswith("/v1")
    url = everflow_server.url + "/networks/pixels/4"
    assert requests.get(url, headers=KEY).json()["network_pixel_id"] == 4
    with urllib.request.urlopen(urllib.request.Request(url, headers=KEY)) as answer:
        assert json.load(answer)["network_pixel_id"] == 4
    code = f"import urllib.request as u; print(u.urlopen(u.Request({url!r}, headers={KEY!r})).status)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "200"
""",
    )
    result.assert_outcomes(passed=3)


def test_failing_assertion_shows_pytests_rewritten_message(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import httpx

def test_wrong_expectation(everflow_mock):
    body = httpx.get("https://api.eflow.team/v1/networks/pixels/3", headers={"X-Eflow-Api-Key": "k"}).json()
    assert body["delivery_method"] == "html"
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*AssertionError: assert 'postback' == 'html'*", "*- html*", "*+ postback*"]
    )


def test_state_does_not_leak_between_tests(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import httpx, requests

KEY = {"X-Eflow-Api-Key": "k"}

def test_a_changes_both_mocks(everflow_mock, everflow_server, everflow_factory):
    everflow_mock.add(everflow_factory.build(9999))
    everflow_server.add(everflow_factory.build(9998))
    everflow_mock.state.store.delete(3)
    everflow_server.state.store.delete(3)
    everflow_mock.dynamic = True
    everflow_server.dynamic = True

def test_b_sees_the_catalogue_again(everflow_mock, everflow_server):
    api = "https://api.eflow.team/v1/networks/pixels/"
    assert httpx.get(api + "9999", headers=KEY).status_code == 404
    assert httpx.get(api + "3", headers=KEY).status_code == 200
    assert requests.get(everflow_server.url + "/networks/pixels/9998", headers=KEY).status_code == 404
    assert requests.get(everflow_server.url + "/networks/pixels/3", headers=KEY).status_code == 200
    assert everflow_mock.requests[0]["path"] == "/v1/networks/pixels/9999"
    assert len(everflow_server.requests) == 2
""",
    )
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize("seed", ["0", "7"])
def test_everflow_seed_changes_the_data(
    pytester: pytest.Pytester, tmp_path: Path, seed: str
) -> None:
    out = tmp_path / f"seed-{seed}.json"
    run(
        pytester,
        f"""
import json, httpx

def test_dump(everflow_mock, everflow_factory):
    served = httpx.get("https://api.eflow.team/v1/networks/pixels/3", headers={{"X-Eflow-Api-Key": "k"}}).json()
    open({str(out)!r}, "w").write(json.dumps([served, everflow_factory.build(1)]))
""",
        "--everflow-seed",
        seed,
    ).assert_outcomes(passed=1)
    served, built = json.loads(out.read_text())
    assert served == builtin_postbacks(int(seed))[2]
    assert built == PostbackFactory(int(seed)).build(1)
    if seed == "7":
        assert served != builtin_postbacks(0)[2]


LIVE_TEST = """
import pytest

@pytest.mark.everflow_live
def test_live(everflow_live):
    assert everflow_live.base_url == "https://api.eflow.team/v1"
    assert everflow_live.headers["X-Eflow-Api-Key"] == "canary-live-key"
    assert "canary-live-key" not in repr(everflow_live)
"""


def test_live_tests_skip_without_a_key_and_say_how_to_enable(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EVERFLOW_API_KEY", raising=False)
    monkeypatch.delenv("EVERFLOW_LIVE", raising=False)
    result = run(pytester, LIVE_TEST, "-rs", "--everflow-live")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*set EVERFLOW_API_KEY and pass --everflow-live*"])


def test_live_tests_skip_without_live_mode_even_with_a_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVERFLOW_API_KEY", "canary-live-key")
    monkeypatch.delenv("EVERFLOW_LIVE", raising=False)
    result = run(pytester, LIVE_TEST, "-rs")
    result.assert_outcomes(skipped=1)
    assert "canary-live-key" not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize("how", ["flag", "env"])
def test_live_fixture_with_key_and_live_mode(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    monkeypatch.setenv("EVERFLOW_API_KEY", "canary-live-key")
    args: list[str] = []
    if how == "flag":
        monkeypatch.delenv("EVERFLOW_LIVE", raising=False)
        args.append("--everflow-live")
    else:
        monkeypatch.setenv("EVERFLOW_LIVE", "1")
    result = run(pytester, LIVE_TEST, *args)
    result.assert_outcomes(passed=1)
    assert "canary-live-key" not in result.stdout.str() + result.stderr.str()


def test_options_and_markers_are_registered(pytester: pytest.Pytester) -> None:
    help_text = pytester.runpytest_subprocess("--help").stdout.str()
    assert "--everflow-seed" in help_text
    assert "--everflow-live" in help_text
    markers = pytester.runpytest_subprocess("--markers").stdout.str()
    assert "@pytest.mark.everflow_live" in markers


# The plugin is installed in this environment too, so its fixtures are usable here directly.


def test_unmatched_hosts_fail_loudly(everflow_mock: EverflowMock) -> None:
    with pytest.raises(respx.models.AllMockedAssertionError):
        httpx.get("https://example.invalid/anything")


@pytest.mark.everflow(pass_through_unmatched=True)
def test_opting_out_lets_other_hosts_through(
    everflow_mock: EverflowMock, everflow_server: EverflowServer
) -> None:
    with LiveServer(create_app()) as plain:
        assert httpx.get(plain.url + PIXEL_3, headers=KEY).status_code == 200


@pytest.mark.everflow(dynamic=True)
def test_dynamic_marker(everflow_mock: EverflowMock, everflow_server: EverflowServer) -> None:
    assert (
        httpx.get("https://api.eflow.team/v1/networks/pixels/424242", headers=KEY).status_code
        == 200
    )
    assert (
        requests.get(everflow_server.url + "/networks/pixels/424242", headers=KEY).status_code
        == 200
    )


def test_faults_surface_as_httpx_transport_errors(everflow_mock: EverflowMock) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get("https://api.eflow.team/v1" + PIXEL_3, headers={**KEY, "Prefer": "fault=reset"})


def test_all_three_fixtures_and_a_users_respx_mock_coexist(
    everflow_mock: EverflowMock,
    everflow_server: EverflowServer,
    respx_mock: respx.MockRouter,
) -> None:
    respx_mock.get("https://partner.example/ping").respond(204)
    assert httpx.get("https://partner.example/ping").status_code == 204
    assert httpx.get(everflow_server.url + PIXEL_3, headers=KEY).status_code == 200
    assert httpx.get("https://api.eflow.team/v1" + PIXEL_3, headers=KEY).status_code == 200


def test_server_passes_through_a_users_respx_mock_alone(
    everflow_server: EverflowServer, respx_mock: respx.MockRouter
) -> None:
    assert httpx.get(everflow_server.url + PIXEL_3, headers=KEY).status_code == 200


def test_the_same_postback_answers_identically_every_way(
    everflow_mock: EverflowMock, everflow_server: EverflowServer, everflow_factory: PostbackFactory
) -> None:
    mine = everflow_factory.build(31337, delivery_method="facebook")
    everflow_mock.add(mine)
    everflow_server.add(mine)
    app = create_app()
    app_answer = app.test_client().get("/v1/networks/pixels/3", headers=KEY)
    mock_answer = httpx.get("https://api.eflow.team/v1" + PIXEL_3, headers=KEY)
    server_answer = httpx.get(everflow_server.url + PIXEL_3, headers=KEY)
    assert app_answer.data == mock_answer.content == server_answer.content
    for name in ("Content-Type", "X-RateLimit-Limit", "X-RateLimit-Remaining"):
        assert app_answer.headers[name] == mock_answer.headers[name] == server_answer.headers[name]
    assert (
        httpx.get("https://api.eflow.team/v1/networks/pixels/31337", headers=KEY).content
        == httpx.get(everflow_server.url + "/networks/pixels/31337", headers=KEY).content
    )


def test_live_object_never_shows_the_key() -> None:
    live = EverflowLive("https://api.eflow.team/v1", "canary-secret")
    assert "canary-secret" not in repr(live)
    assert live.headers["X-Eflow-Api-Key"] == "canary-secret"


def test_key_env_is_not_in_this_process() -> None:
    assert "canary" not in os.environ.get("EVERFLOW_API_KEY", "")
