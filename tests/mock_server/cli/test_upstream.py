"""The checks the proxy and the recorder make of their options before anything runs."""

from __future__ import annotations

import argparse

import pytest

from mock_server.cli.upstream import Refused, api_key, everflow


def test_the_default_upstream_is_everflow_s_default_region() -> None:
    assert everflow(None) == "https://api.eflow.team/v1"
    assert everflow("http://127.0.0.1:9/v1") == "http://127.0.0.1:9/v1"


def test_a_key_no_header_can_carry_is_refused_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MY_KEY", "abc\ndef")
    with pytest.raises(Refused) as refused:
        api_key(argparse.Namespace(api_key_env="MY_KEY"))
    assert str(refused.value) == "the key in $MY_KEY has characters an HTTP header cannot carry"


def test_no_key_set_is_an_empty_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MY_KEY", raising=False)
    assert api_key(argparse.Namespace(api_key_env="MY_KEY")) == ""
