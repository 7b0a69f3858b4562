"""The everflow pytest plugin, as a downstream project meets it (through pytester)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import requests
import respx

from fixtures import PostbackFactory
from mock_server import builtin_postbacks, create_app
from mock_server.testing.local_server import LocalServer
from mock_server.testing.mocks import EverflowMock, EverflowServer
from mock_server.testing.pytest_plugin import EverflowLive
from tests.openapi.test_installation import fake_distribution

PIXEL_3 = "/networks/pixels/3"
KEY = {"X-Eflow-Api-Key": "downstream-key"}


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_downstream=source)
    return pytester.runpytest("-p", "no:cacheprovider", "-q", *args)


@pytest.mark.slow
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


STRICT_TESTS = """
import httpx

KEY = {"X-Eflow-Api-Key": "k"}
PIXELS = "https://api.eflow.team/v1/networks/pixels"

def put_a_typo(base):
    postback = httpx.get(f"{base}/3", headers=KEY).json()
    postback["pixel_statuss"] = "inactive"
    return httpx.put(f"{base}/3", json=postback, headers=KEY)

WARNING = "ignored pixel_statuss (not documented; did you mean pixel_status?)"

def test_strict_by_the_ini_setting(everflow_mock):
    answer = put_a_typo(PIXELS)
    assert answer.status_code == 400
    assert answer.json() == {"error": "strict mode: " + WARNING}
    assert everflow_mock.requests[-1]["strict"] is True
    typo = httpx.post(PIXELS[:-1] + "stable", json={"query": {"filters": {"delivery_method": "x"}}}, headers=KEY)
    assert typo.status_code == 400
    assert "delivery_methods?" in typo.json()["error"]

def test_strict_on_the_served_mock_too(everflow_server):
    answer = put_a_typo(everflow_server.url + "/networks/pixels")
    assert answer.status_code == 400
    assert answer.headers["X-Everflow-Mock-Warning"] == WARNING

@pytest.mark.everflow(strict=False)
def test_a_marker_turns_it_off(everflow_mock):
    answer = put_a_typo(PIXELS)
    assert answer.status_code == 200
    assert answer.headers["X-Everflow-Mock-Warning"] == WARNING
    assert "strict" not in everflow_mock.requests[-1]
"""


def test_the_everflow_strict_ini_setting_makes_every_mock_strict(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\neverflow_mock_strict = true\n")
    result = run(pytester, "import pytest\n" + STRICT_TESTS)
    result.assert_outcomes(passed=3)


def test_without_the_ini_setting_a_marker_makes_one_test_strict(
    pytester: pytest.Pytester,
) -> None:
    source = STRICT_TESTS.replace(
        "def test_strict_by", "@pytest.mark.everflow(strict=True)\ndef test_strict_by"
    ).replace("def test_strict_on", "@pytest.mark.everflow(strict=True)\ndef test_strict_on")
    result = run(pytester, "import pytest\n" + source)
    result.assert_outcomes(passed=3)


@pytest.mark.parametrize(
    "ini", [pytest.param("", id="unset"), pytest.param("everflow_mock_strict = false", id="false")]
)
def test_without_the_ini_setting_or_with_it_false_the_mocks_only_warn(
    pytester: pytest.Pytester, ini: str
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    lenient = STRICT_TESTS.split("def test_strict_by_the_ini_setting")[0] + (
        "def test_lenient(everflow_mock, everflow_server):\n"
        "    for base in (PIXELS, everflow_server.url + '/networks/pixels'):\n"
        "        answer = put_a_typo(base)\n"
        "        assert answer.status_code == 200\n"
        "        assert answer.headers['X-Everflow-Mock-Warning'] == WARNING\n"
    )
    run(pytester, lenient).assert_outcomes(passed=1)


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


MARKED_LIVE_ONLY = """
import os, pytest

@pytest.mark.everflow_live
def test_calls_the_real_api_its_own_way():
    assert os.environ["EVERFLOW_API_KEY"]
"""


@pytest.mark.parametrize("key", ["", "canary-live-key"])
def test_a_live_test_without_the_fixture_is_skipped_by_its_marker_unless_live(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv("EVERFLOW_API_KEY", key)
    monkeypatch.delenv("EVERFLOW_LIVE", raising=False)
    result = run(pytester, MARKED_LIVE_ONLY, "-rs", "--strict-markers")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["SKIPPED * everflow_live test skipped: set EVERFLOW_API_KEY and pass --everflow-live*"]
    )
    if key:
        run(pytester, MARKED_LIVE_ONLY, "--everflow-live").assert_outcomes(passed=1)


def test_the_markers_are_registered_for_strict_markers(pytester: pytest.Pytester) -> None:
    source = """
import pytest

@pytest.mark.everflow(seed=3)
def test_marked(everflow_factory):
    pass

@pytest.mark.everflow_live
def test_live():
    pass
"""
    run(pytester, source, "--strict-markers").assert_outcomes(passed=1, skipped=1)
    listed = pytester.runpytest_inprocess("--markers").stdout.str()
    assert "@pytest.mark.everflow_live: the test talks to the real Everflow API" in listed
    assert "@pytest.mark.everflow(seed=, dynamic=, api_keys=, error_key=" in listed


OPTIONS = {"--everflow-seed": "(default: 0)", "--everflow-live": "(default: off)"}


def option_help(help_text: str, option: str) -> str:
    """What ``pytest --help`` says of ``option``, on one line."""
    flat = " ".join(help_text.split())
    start = flat.index(option)
    end = flat.find(" --", start + len(option))
    return flat[start : end if end != -1 else len(flat)]


@pytest.mark.slow
def test_options_and_markers_are_registered_with_their_defaults(pytester: pytest.Pytester) -> None:
    # Without the contract suite's plugin: these options are this plugin's own.
    help_text = pytester.runpytest_subprocess("-p", "no:everflow_contract", "--help").stdout.str()
    for option, default in OPTIONS.items():
        assert default in option_help(help_text, option), option
    assert "--everflow-pixel-id" not in help_text
    assert "contract" not in help_text.split("Everflow partner postback mocks:")[1].split("\n\n")[0]
    markers = pytester.runpytest_subprocess("--markers").stdout.str()
    assert "@pytest.mark.everflow_live" in markers
    assert "@pytest.mark.everflow(seed=, dynamic=, api_keys=" in markers


HEAVY = (
    *("flask", "werkzeug", "openapi_core", "faker", "respx", "httpx", "yaml", "jsonschema"),
    *("requests", "responses", "aiohttp", "aioresponses"),
)


@pytest.mark.slow
def test_loading_the_plugin_imports_no_heavy_library_and_nothing_of_the_contract_suite(
    tmp_path: Path,
) -> None:
    code = (
        "import sys, pytest\n"
        "import mock_server.testing.pytest_plugin\n"
        f"print(','.join(m for m in {(*HEAVY, 'contract_tests')!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


MARKED = """
import httpx, pytest, requests
from fixtures import PostbackFactory
from mock_server import builtin_postbacks

PATH = "/networks/pixels/"
API = "https://api.eflow.team/v1" + PATH
KEY = {"X-Eflow-Api-Key": "k"}


def both(server, pixel_id, headers=KEY):
    return [
        httpx.get(API + str(pixel_id), headers=headers),
        httpx.get(server.url + PATH + str(pixel_id), headers=headers),
    ]


@pytest.mark.everflow(rate_limit="off")
def test_rate_limit_off_for_a_test_that_loops(everflow_mock, everflow_server):
    for _ in range(60):
        answers = both(everflow_server, 3)
        assert [a.status_code for a in answers] == [200, 200]
        assert not any("X-RateLimit-Limit" in a.headers for a in answers)


def test_rate_limit_is_back_on_in_the_next_test(everflow_mock, everflow_server):
    assert [a.headers["X-RateLimit-Limit"] for a in both(everflow_server, 3)] == ["30", "30"]


@pytest.mark.everflow(rate_limit="0.01/2")
def test_rate_and_burst(everflow_mock, everflow_server):
    codes = [a.status_code for _ in range(3) for a in both(everflow_server, 3)]
    assert codes == [200, 200, 200, 200, 429, 429]


@pytest.mark.everflow(seed=7, dynamic=True)
def test_seed_and_dynamic(everflow_mock, everflow_server, everflow_factory):
    for answer in both(everflow_server, 3):
        assert answer.json() == builtin_postbacks(7)[2] != builtin_postbacks(0)[2]
    assert [a.status_code for a in both(everflow_server, 424242)] == [200, 200]
    assert everflow_factory.build(1) == PostbackFactory(7).build(1)


@pytest.mark.everflow(api_keys=["good-key"], error_key="Error")
def test_api_keys_and_error_key(everflow_mock, everflow_server):
    for answer in both(everflow_server, 3, {"X-Eflow-Api-Key": "other"}):
        assert answer.status_code == 401
        assert list(answer.json()) == ["Error"]
    assert [a.status_code for a in both(everflow_server, 3, {"X-Eflow-Api-Key": "good-key"})] == [200, 200]


@pytest.mark.everflow(delay=5, fault_rate=0.25)
def test_delay_and_fault_rate_reach_both_mocks(everflow_mock, everflow_server):
    for mock in (everflow_mock, everflow_server):
        assert (mock.state.config.delay_ms, mock.state.config.fault_rate) == (5, 0.25)


@pytest.mark.everflow(fault_rate=1)
def test_every_answer_a_fault(everflow_mock):
    for _ in range(5):
        try:
            body = httpx.get(API + "3", headers=KEY).content
        except httpx.TransportError:
            continue
        with pytest.raises(ValueError):
            __import__("json").loads(body)


@pytest.mark.everflow(dynamic=True, rate_limit="off")
class TestClassMarker:
    @pytest.mark.everflow(dynamic=False)
    def test_the_closest_marker_wins(self, everflow_mock, everflow_server):
        for mock in (everflow_mock, everflow_server):
            assert mock.state.config.rate_limit is None
            assert mock.dynamic is False


def test_defaults_again(everflow_mock, everflow_server, everflow_factory):
    for mock in (everflow_mock, everflow_server):
        config = mock.state.config
        assert (config.seed, config.dynamic, config.api_keys, config.error_key) == (0, False, (), "error")
        assert (config.rate_limit.rate, config.rate_limit.burst, config.delay_ms, config.fault_rate) == (30, 50, 0, 0)
    assert everflow_factory.build(1) == PostbackFactory(0).build(1)
"""


@pytest.mark.slow
def test_the_marker_takes_every_setting_for_both_mocks(pytester: pytest.Pytester) -> None:
    result = run(pytester, MARKED)
    result.assert_outcomes(passed=9)


def test_wrong_marker_settings_fail_the_test_naming_what_is_accepted(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
import pytest

@pytest.mark.everflow(rate=5)
def test_unknown_keyword(everflow_mock):
    pass

@pytest.mark.everflow(rate_limit="fast")
def test_bad_value(everflow_server):
    pass

@pytest.mark.everflow(True)
def test_positional(everflow_factory):
    pass

def test_unmarked(everflow_mock):
    pass
""",
        "-rE",
    )
    result.assert_outcomes(passed=1, errors=3)
    accepted = (
        "seed, dynamic, api_keys, error_key, rate_limit, delay, fault_rate, clock, data, "
        "strict, references, pass_through_unmatched"
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_unknown_keyword*",
            f"@pytest.mark.everflow: unknown keyword 'rate'; accepted: {accepted}",
            "*ERROR at setup of test_bad_value*",
            "@pytest.mark.everflow: rate_limit must look like 30/50 or off, not 'fast'",
            "*ERROR at setup of test_positional*",
            f"@pytest.mark.everflow takes keywords only ({accepted})",
            "*short test summary*",
        ],
        consecutive=True,
    )
    assert "Traceback" not in result.stdout.str()


@pytest.mark.slow
def test_a_clashing_distribution_fails_only_the_tests_that_use_the_kit(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    site = fake_distribution(tmp_path / "site", "fixtures", "4.3.2", ["fixtures/__init__.py"])
    monkeypatch.setenv("PYTHONPATH", str(site))
    pytester.makepyfile(
        test_mixed="""
def test_unrelated():
    assert 1 + 1 == 2

def test_mock(everflow_mock):
    pass

def test_factory(everflow_factory):
    pass
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rE")
    result.assert_outcomes(passed=1, errors=2)
    line = (
        "everflow pytest plugin: everflow-postback-kit's package 'fixtures' is also installed by "
        "the distribution 'fixtures' 4.3.2 in this environment, and they cannot work side by "
        "side; install everflow-postback-kit in a virtual environment without 'fixtures' "
        "(pip uninstall fixtures && pip install --force-reinstall everflow-postback-kit)"
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_mock*",
            line,
            "*ERROR at setup of test_factory*",
            line,
            "*short*",
        ],
        consecutive=True,
    )
    assert "Traceback" not in result.stdout.str()
    pytester.makepyfile(test_mixed="def test_unrelated():\n    pass\n")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


# The plugin is installed in this environment too, so its fixtures are usable here directly.


def test_unmatched_hosts_fail_loudly_saying_how_to_let_them_through(
    everflow_mock: EverflowMock,
) -> None:
    with pytest.raises(respx.models.AllMockedAssertionError) as refused:
        httpx.get("http://127.0.0.1:9/anything")
    assert str(refused.value).splitlines()[1:] == [
        "everflow_mock: GET http://127.0.0.1:9/anything is not mocked: everflow_mock answers "
        "only https://api.eflow.team and https://api-eu.eflow.team. To let calls to other hosts "
        "through, mark the test @pytest.mark.everflow(pass_through_unmatched=True); to let "
        "this host through (or answer it yourself), add a respx route: "
        "everflow_mock.router.route(host='127.0.0.1').pass_through()"
    ]
    everflow_mock.router.route(host="127.0.0.1").pass_through()  # what the hint says works
    with pytest.raises(httpx.ConnectError):  # it left respx: nothing listens on port 9
        httpx.get("http://127.0.0.1:9/anything")


@pytest.mark.everflow(pass_through_unmatched=True)
def test_opting_out_lets_other_hosts_through(
    everflow_mock: EverflowMock, everflow_server: EverflowServer
) -> None:
    with LocalServer(create_app()) as plain:
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


RESPX_ASSERT_ALL_CALLED = """
import httpx, pytest

KEY = {"X-Eflow-Api-Key": "k"}


@pytest.mark.respx(assert_all_called=True)
def test_the_server_unused(everflow_server, respx_mock):
    respx_mock.get("https://partner.example/ping").respond(204)
    assert httpx.get("https://partner.example/ping").status_code == 204


@pytest.mark.respx(assert_all_called=True)
def test_the_server_used(everflow_server, respx_mock):
    route = respx_mock.get("https://partner.example/ping").respond(204)
    assert httpx.get(everflow_server.url + "/networks/pixels/3", headers=KEY).status_code == 200
    assert httpx.get("https://partner.example/ping").status_code == 204
    assert route.call_count == 1


@pytest.mark.respx(assert_all_called=True)
def test_a_route_the_test_forgot_still_fails(everflow_server, respx_mock):
    respx_mock.get("https://partner.example/never")
"""


@pytest.mark.slow
def test_the_servers_pass_through_route_is_not_left_in_a_users_respx_mock(
    pytester: pytest.Pytester,
) -> None:
    # respx's assert_all_called judges every route still in the router at teardown: the
    # kit's pass-through route to everflow_server must be gone by then, the test's own not.
    result = run(pytester, RESPX_ASSERT_ALL_CALLED)
    result.assert_outcomes(passed=3, errors=1)
    errors = [line for line in result.outlines if line.startswith("ERROR ")]
    assert len(errors) == 1, result.outlines
    assert "test_a_route_the_test_forgot_still_fails" in errors[0]
    assert "everflow_server pass-through" not in result.stdout.str()


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
    production = EverflowLive("https://api.eflow.team/v1", "canary-secret")
    assert "canary-secret" not in repr(production)
    assert production.headers["X-Eflow-Api-Key"] == "canary-secret"


def test_key_env_is_not_in_this_process() -> None:
    assert "canary" not in os.environ.get("EVERFLOW_API_KEY", "")


def test_both_mocks_serve_every_operation_and_show_their_postbacks(
    everflow_mock: EverflowMock, everflow_server: EverflowServer, everflow_factory: PostbackFactory
) -> None:
    catalogue = builtin_postbacks(0)
    for base, mock in (
        ("https://api.eflow.team/v1", everflow_mock),
        (everflow_server.url, everflow_server),
    ):
        assert mock.postbacks == catalogue
        body = everflow_factory.build_input(1, delivery_method="html")
        created = httpx.post(base + "/networks/pixels", json=body, headers=KEY).json()
        pixel_id = created["network_pixel_id"]
        assert mock.postbacks[-1] == created
        changed = {**created, "description": "changed"}
        httpx.put(f"{base}/networks/pixels/{pixel_id}", json=changed, headers=KEY)
        assert mock.postbacks[-1]["description"] == "changed"
        httpx.delete(f"{base}/networks/pixels/3", headers=KEY)
        assert [p["network_pixel_id"] for p in mock.postbacks] == [
            *(i for i in range(1, 55) if i != 3),
            pixel_id,
        ]
        page = httpx.get(base + "/networks/pixels", params={"page": 2}, headers=KEY).json()
        assert page["pixels"] == mock.postbacks[50:]
        found = httpx.post(
            base + "/networks/pixelstable",
            json={"query": {"search_terms": [{"search_type": "description", "value": "CHANGED"}]}},
            headers=KEY,
        ).json()
        assert [row["network_pixel_id"] for row in found["pixels"]] == [pixel_id]
        mock.postbacks.clear()  # a copy: the mock is untouched
        assert len(mock.postbacks) == 54


@pytest.mark.everflow(clock=1_700_000_000)
def test_the_clock_marker(everflow_mock: EverflowMock, everflow_factory: PostbackFactory) -> None:
    body = everflow_factory.build_input(1)
    created = httpx.post("https://api.eflow.team/v1/networks/pixels", json=body, headers=KEY)
    assert created.json()["time_created"] == 1_700_000_000


@pytest.mark.slow
def test_a_first_use_leaves_the_users_process_as_it_was(pytester: pytest.Pytester) -> None:
    """The plugin runs in someone else's pytest process: its GC, its interpreter's switch
    interval and pytest's assertion rewriting stay as the user (and pytest) set them."""
    pytester.makepyfile(
        """
import gc
import sys

import pytest

BEFORE = {}

@pytest.fixture(autouse=True, scope="module")
def _as_set():
    BEFORE.update(
        enabled=gc.isenabled(),
        thresholds=gc.get_threshold(),
        frozen=gc.get_freeze_count(),
        switch=sys.getswitchinterval(),
    )

def test_first_use(everflow_mock, everflow_server, everflow_factory):
    assert gc.isenabled() == BEFORE["enabled"]
    assert gc.get_threshold() == BEFORE["thresholds"]
    assert gc.get_freeze_count() == BEFORE["frozen"]
    assert sys.getswitchinterval() == BEFORE["switch"]
    loaders = {
        name: type(module.__loader__).__name__
        for name, module in sys.modules.items()
        if name in ("mock_server.app", "mock_server.testing.mocks")
    }
    # pytest rewrites a plugin distribution's modules; the kit does not take itself off.
    assert set(loaders.values()) == {"AssertionRewritingHook"}, loaders
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:everflow_contract")
    result.assert_outcomes(passed=1)


@pytest.mark.slow
def test_a_first_use_on_a_warm_cache_loads_no_validator(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVERFLOW_CACHE_DIR", str(pytester.path / "cache"))
    pytester.makepyfile(
        """
import sys

def test_first_use(everflow_mock):
    loaded = [m for m in ("openapi.fast_validation", "openapi.violations") if m in sys.modules]
    print("validators loaded:", loaded)
"""
    )
    cold = pytester.runpytest_subprocess("-p", "no:everflow_contract", "-s")
    cold.stdout.fnmatch_lines(["*validators loaded: ['openapi.fast_validation'*"])  # it checks
    warm = pytester.runpytest_subprocess("-p", "no:everflow_contract", "-s")
    warm.stdout.fnmatch_lines(["*validators loaded: []*"])  # the cached catalogue is not


def test_the_options_are_listed_in_the_plugin_s_own_group(pytester: pytest.Pytester) -> None:
    # In this process (pytest_addoption as pytest calls it); the subprocess run above is the
    # downstream view of the same.
    ran = pytester.runpytest_inprocess("-p", "no:everflow_contract", "--help")
    section = ran.stdout.str().split("\nEverflow partner postback mocks:\n")[1].split("\n\n")[0]
    assert "--everflow-seed=N" in section
    for option, default in OPTIONS.items():
        assert default in option_help(section, option), option
    assert "everflow_mock_strict (bool):" in ran.stdout.str()


def test_a_clash_fails_a_test_using_the_kit_with_one_line_and_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mock_server.testing.pytest_plugin import refuse_a_broken_installation
    from openapi import installation

    site = fake_distribution(tmp_path / "site", "fixtures", "4.3.2", ["fixtures/__init__.py"])
    try:
        with monkeypatch.context() as patched:
            patched.syspath_prepend(str(site))
            installation._clashes_on_sys_path.cache_clear()  # the verdict of the real sys.path
            with pytest.raises(pytest.fail.Exception) as failed:
                refuse_a_broken_installation("my plugin")
    finally:
        installation._clashes_on_sys_path.cache_clear()
    assert str(failed.value) == installation.clash_message("my plugin", [str(site)])
    assert str(failed.value).startswith(
        "my plugin: everflow-postback-kit's package 'fixtures' is also installed by the "
        "distribution 'fixtures' 4.3.2"
    )
    assert failed.value.pytrace is False
    assert installation.clash_message("my plugin") is None  # sys.path as it was
