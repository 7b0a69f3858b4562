"""The spec ships inside the wheel and loads from any directory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import InstalledKit

# The wheel is built and installed.
pytestmark = pytest.mark.slow


def test_installed_wheel_loads_the_spec(installed_kit: InstalledKit, tmp_path: Path) -> None:
    code = (
        "import openapi\n"
        "print(openapi.__file__)\n"
        "print(openapi.load_spec()['info']['title'])\n"
        "print(sorted(openapi.spec_rules())[0])\n"
        "print(type(openapi.get_openapi()).__name__)\n"
        "print((openapi.spec_path().parent / 'schemathesis.toml').is_file())\n"
    )
    result = installed_kit.run(["-c", code], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    where, title, first_rule, kind, schemathesis_config = result.stdout.splitlines()
    assert Path(where).is_relative_to(installed_kit.site)
    assert title == "Everflow partner postbacks"
    assert first_rule == "affiliate_level_needs_affiliate"
    assert kind == "OpenAPI"
    assert schemathesis_config == "True", "the Schemathesis settings ship next to the spec"
