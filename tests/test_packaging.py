"""The wheel is a real package: licence, metadata and typing markers as a user's tools see them."""

from __future__ import annotations

from email.parser import Parser
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.conftest import InstalledKit

# The wheel is built and installed.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent


def test_the_wheel_carries_the_licence_and_the_project_metadata(
    installed_kit: InstalledKit,
) -> None:
    (info,) = installed_kit.site.glob("everflow_postback_kit-*.dist-info")
    metadata = Parser().parsestr((info / "METADATA").read_text(encoding="utf-8"))
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    shipped = (info / "licenses" / "LICENSE").read_text(encoding="utf-8")
    assert shipped == (REPO / "LICENSE").read_text(encoding="utf-8")
    assert shipped.startswith(
        "MIT License\n\nCopyright (c) 2026 everflow-postback-kit developers\n"
    )
    urls = dict(url.split(", ", 1) for url in metadata.get_all("Project-URL"))
    assert set(urls) == {"Homepage", "Documentation", "Source", "Issues"}
    assert all(url.startswith("https://") for url in urls.values())
    classifiers = metadata.get_all("Classifier")
    assert {"Framework :: Pytest", "Typing :: Typed"} <= set(classifiers)


def test_every_package_says_it_is_typed(installed_kit: InstalledKit) -> None:
    for package in ("openapi", "fixtures", "mock_server", "contract_tests"):
        assert (installed_kit.site / package / "py.typed").is_file(), package


def test_the_admin_page_s_templates_and_static_files_are_shipped(
    installed_kit: InstalledKit, tmp_path: Path
) -> None:
    admin = installed_kit.site / "mock_server" / "admin"
    for shipped in ("static/admin.js", "static/admin.css", "templates/everflow_admin/base.html"):
        assert (admin / shipped).read_bytes() == (REPO / "mock_server/admin" / shipped).read_bytes()
    # and the installed kit serves them, templates found from the installed package
    served = installed_kit.run(
        [
            "-c",
            "from mock_server import create_app\n"
            "c = create_app().test_client()\n"
            "for path in ('/__admin/ui/', '/__admin/ui/postbacks', '/__admin/ui/deliveries',\n"
            "             '/__admin/ui/settings', '/__admin/ui/static/admin.js'):\n"
            "    assert c.get(path).status_code == 200, path\n"
            "print(c.get('/__admin/ui/static/admin.css').headers['Content-Type'])",
        ],
        cwd=tmp_path,
    )
    assert served.returncode == 0, served.stderr
    assert served.stdout.startswith("text/css")
