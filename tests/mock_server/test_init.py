"""The public face of mock_server and its testing sub-package: what users import stays put,
costs nothing until used, and every name resolves."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PUBLIC = {
    "mock_server": [
        "DataFileError",
        "InvalidRecords",
        "MockConfig",
        "MockState",
        "RateLimit",
        "builtin_postbacks",
        "create_app",
        "get_state",
        "load_data_file",
    ],
    "mock_server.testing": [
        "Answer",
        "EverflowLive",
        "EverflowMock",
        "EverflowServer",
        "InvalidPostback",
        "LocalServer",
        "PostbackReceiver",
        "Received",
        "ServeFailed",
        "Spawned",
        "spawn_serve",
    ],
    "mock_server.cli": ["build_parser", "main"],
}


@pytest.mark.parametrize("package", PUBLIC)
def test_all_is_pinned_and_every_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__ == PUBLIC[package]
    for name in module.__all__:
        assert getattr(module, name) is not None
    assert set(module.__all__) <= set(dir(module))


def test_an_unknown_name_is_an_attribute_error() -> None:
    import mock_server

    with pytest.raises(AttributeError, match="no attribute 'create_ap'"):
        mock_server.create_ap  # noqa: B018


@pytest.mark.slow
@pytest.mark.parametrize("package", ["mock_server", "mock_server.testing"])
def test_importing_the_package_loads_no_heavy_library(package: str) -> None:
    code = (
        f"import sys, {package}\n"
        "heavy = [m for m in ('flask', 'httpx', 'respx', 'faker', 'openapi_core', 'yaml') "
        "if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
