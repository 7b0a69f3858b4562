"""The everflow marker's keywords, turned into a MockConfig."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from fixtures import PostbackFactory
from mock_server.core.config import MockConfig, RateLimit, key_kinds
from mock_server.core.controls import MAX_DELAY_MS
from mock_server.testing.marker import KEYWORDS, MarkerError, MarkerSettings, marker_settings


def settings(session_seed: int = 0, /, *args: Any, **kwargs: Any) -> MarkerSettings:
    return marker_settings([(args, kwargs)], session_seed)


def test_no_keywords_are_the_servers_defaults_with_the_sessions_seed() -> None:
    assert marker_settings([], 0) == MarkerSettings(MockConfig())
    assert settings(5) == MarkerSettings(MockConfig(seed=5))


def test_every_keyword() -> None:
    got = settings(
        0,
        seed=3,
        dynamic=True,
        api_keys=["a", "b"],
        error_key="Error",
        rate_limit="5/20",
        delay=250,
        fault_rate=0.5,
        clock=1_700_000_000,
        strict=True,
        references="loose",
        pass_through_unmatched=True,
    )
    assert got == MarkerSettings(
        MockConfig(
            seed=3,
            dynamic=True,
            api_keys=("a", "b"),
            error_key="Error",
            rate_limit=RateLimit(5, 20),
            delay_ms=250,
            fault_rate=0.5,
            clock=1_700_000_000,
            strict=True,
            references="loose",
        ),
        pass_through_unmatched=True,
    )
    assert set(KEYWORDS) == {
        "seed",
        "dynamic",
        "api_keys",
        "error_key",
        "rate_limit",
        "delay",
        "fault_rate",
        "clock",
        "data",
        "strict",
        "references",
        "pass_through_unmatched",
    }


def test_references_are_strict_unless_loose_and_nothing_else() -> None:
    assert settings().config.references == "strict"
    with pytest.raises(MarkerError, match="references must be 'strict' or 'loose', not 'lax'"):
        settings(references="lax")


@pytest.mark.parametrize("off", ["off", "OFF", None])
def test_rate_limit_off(off: str | None) -> None:
    assert settings(rate_limit=off).config.rate_limit is None


def test_the_wall_clock() -> None:
    assert settings(clock="now").config.clock == "now"


def test_the_epoch_is_a_clock_and_strict_references_can_be_asked_for() -> None:
    assert settings(clock=0).config.clock == 0
    assert settings(references="strict").config.references == "strict"


def test_one_key_as_a_string() -> None:
    assert settings(api_keys="only").config.api_keys == ("only",)


def test_a_key_of_a_kind_as_on_the_command_line() -> None:
    config = settings(api_keys=["partner:pk", "nk"]).config
    assert key_kinds(config.api_keys) == {"pk": "partner", "nk": "network"}


def test_the_closest_marker_wins_keyword_by_keyword() -> None:
    markers = [((), {"dynamic": True, "rate_limit": "off"}), ((), {"dynamic": False})]
    config = marker_settings(markers, 0).config
    assert config.rate_limit is None
    assert config.dynamic is False


def test_strict_is_the_session_s_default_and_a_marker_overrides_it() -> None:
    assert marker_settings([], 0).config.strict is False
    assert marker_settings([], 0, strict=True).config.strict is True
    assert marker_settings([((), {"strict": False})], 0, strict=True).config.strict is False
    assert marker_settings([((), {"strict": True})], 0).config.strict is True


def test_equal_settings_make_equal_configs() -> None:
    # The plugin keeps one app per distinct config: equal settings must share it.
    assert hash(settings(dynamic=True).config) == hash(settings(dynamic=True).config)


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"seed": "7"}, "@pytest.mark.everflow: seed must be an integer, not '7'"),
        ({"seed": True}, "must be an integer"),
        ({"dynamic": 1}, "@pytest.mark.everflow: dynamic must be True or False, not 1"),
        ({"error_key": "err"}, "must be 'error' or 'Error', not 'err'"),
        ({"rate_limit": "fast"}, "rate_limit must look like 30/50 or off, not 'fast'"),
        ({"rate_limit": "0/5"}, "rate_limit needs a positive rate and burst, not '0/5'"),
        ({"rate_limit": 30}, "must look like '30/50' or 'off', not 30"),
        ({"delay": -1}, "must be milliseconds from 0 to 60000, not -1"),
        ({"delay": 60_001}, "from 0 to 60000"),
        ({"fault_rate": 1.5}, "must be a number from 0 to 1, not 1.5"),
        ({"fault_rate": "0.5"}, "fault_rate must be a number from 0 to 1, not '0.5'"),
        ({"fault_rate": -0.01}, "fault_rate must be a number from 0 to 1, not -0.01"),
        ({"delay": "100"}, "delay must be milliseconds from 0 to 60000, not '100'"),
        ({"delay": 1.5}, "delay must be milliseconds from 0 to 60000, not 1.5"),
        ({"delay": True}, "delay must be milliseconds from 0 to 60000, not True"),
        ({"error_key": "ERROR"}, "must be 'error' or 'Error', not 'ERROR'"),
        (
            {"rate_limit": "no rate limit"},
            "rate_limit must look like 30/50 or off, not 'no rate limit'",
        ),
        ({"pass_through_unmatched": "yes"}, "must be True or False"),
        ({"strict": "yes"}, "@pytest.mark.everflow: strict must be True or False, not 'yes'"),
        ({"clock": "later"}, "clock must be 'now' or Unix seconds (an integer >= 0), not 'later'"),
        ({"clock": -1}, "clock must be 'now' or Unix seconds"),
        ({"clock": True}, "clock must be 'now' or Unix seconds"),
        ({"api_keys": []}, "must be one or more non-empty strings"),
        ({"api_keys": 5}, "must be a key or a list of keys"),
        ({"rates": 5}, "everflow: unknown keyword 'rates'; accepted: seed, dynamic, api_keys"),
        ({"rate_limt": "off"}, "unknown keyword 'rate_limt' (did you mean rate_limit?); accepted"),
        ({"dynamc": True}, "unknown keyword 'dynamc' (did you mean dynamic?)"),
    ],
)
def test_a_wrong_setting_is_named(keywords: dict[str, Any], message: str) -> None:
    with pytest.raises(MarkerError) as error:
        settings(**keywords)
    assert message in str(error.value)


def test_positional_arguments_are_refused() -> None:
    with pytest.raises(MarkerError, match="keywords only"):
        settings(0, True)


def test_a_bad_key_is_never_repeated_in_the_message() -> None:
    with pytest.raises(MarkerError) as error:
        settings(api_keys=["canary-secret", ""])
    assert "canary" not in str(error.value)


@pytest.mark.parametrize("value", ["", 3, None])
def test_data_must_name_a_file(value: object) -> None:
    with pytest.raises(MarkerError) as error:
        settings(data=value)
    assert str(error.value) == (
        f"@pytest.mark.everflow: data must be the path of a data file, not {value!r}"
    )


def test_data_that_cannot_be_read_is_named_with_why(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(MarkerError) as error:
        marker_settings([((), {"data": "missing.json"})], 0, tmp_path)
    assert str(error.value) == (
        f"@pytest.mark.everflow: data: {missing}: cannot read: No such file or directory"
    )


def test_a_data_file_changed_in_place_is_loaded_again(
    tmp_path: Path, everflow_factory: PostbackFactory
) -> None:
    path = tmp_path / "data.json"
    first = everflow_factory.build(11)
    second = {**first, "network_pixel_id": 12}
    path.write_text(json.dumps([first]))
    loaded = marker_settings([((), {"data": "data.json"})], 0, tmp_path).config.postbacks
    assert loaded is not None
    assert [p["network_pixel_id"] for p in loaded] == [11]
    assert len(json.dumps([second])) == len(json.dumps([first]))
    path.write_text(json.dumps([second]))  # the same size, a later time
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    again = marker_settings([((), {"data": "data.json"})], 0, tmp_path).config.postbacks
    assert again is not None
    assert [p["network_pixel_id"] for p in again] == [12]


def test_a_data_file_rewritten_within_one_mtime_tick_is_loaded_again(
    tmp_path: Path, everflow_factory: PostbackFactory
) -> None:
    """A file system with coarse times (or a copy keeping them) can change a file without
    changing its mtime: its size tells that it changed."""
    path = tmp_path / "data.json"
    path.write_text(json.dumps([everflow_factory.build(11)]))
    mtime = path.stat().st_mtime_ns
    loaded = marker_settings([((), {"data": "data.json"})], 0, tmp_path).config.postbacks
    assert [p["network_pixel_id"] for p in loaded or []] == [11]
    path.write_text(json.dumps([everflow_factory.build(11), everflow_factory.build(12)]))
    os.utime(path, ns=(path.stat().st_atime_ns, mtime))
    again = marker_settings([((), {"data": "data.json"})], 0, tmp_path).config.postbacks
    assert [p["network_pixel_id"] for p in again or []] == [11, 12]


@pytest.mark.parametrize(
    ("keywords", "field", "value"),
    [
        ({"delay": 0}, "delay_ms", 0),
        ({"delay": MAX_DELAY_MS}, "delay_ms", MAX_DELAY_MS),
        ({"fault_rate": 0}, "fault_rate", 0.0),
        ({"fault_rate": 1}, "fault_rate", 1.0),
        ({"error_key": "error"}, "error_key", "error"),
        ({"error_key": "Error"}, "error_key", "Error"),
    ],
)
def test_the_ends_of_each_range_are_taken(
    keywords: dict[str, Any], field: str, value: object
) -> None:
    assert getattr(settings(**keywords).config, field) == value
