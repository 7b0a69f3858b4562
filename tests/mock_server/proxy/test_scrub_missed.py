"""A secret query parameter whose name only contains a secret word (``partner_token``,
``x_auth``) is scrubbed from a recording too, not only one whose name starts with it.

Judged by behaviour, through ``Recording.write`` (the file and its report), so that it holds
whatever rule the scrubber keeps values by."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures import PostbackFactory
from mock_server.proxy.record import Recording, report_path

SECRET = "pt-SECRET-4f9a61c"
"""A value nothing but its parameter's name marks as secret: not the key, no e-mail, no
phone, no host."""


@pytest.mark.parametrize(
    "parameter",
    ["partner_token", "x_auth", "my_password", "userSecret", "api_key", "clientsig"],
)
def test_a_secret_parameter_named_anywhere_in_its_name_leaves_no_trace(
    tmp_path: Path, parameter: str
) -> None:
    postback = PostbackFactory().build(
        7,
        delivery_method="postback",
        postback_url=f"https://track.example/cb?click={{transaction_id}}&{parameter}={SECRET}",
    )
    recording = Recording()
    recording.add(postback)
    out = tmp_path / "recording.json"
    recording.write(out, ["an-unrelated-key-0123456789"])
    for written in (out, report_path(out)):
        text = written.read_text(encoding="utf-8")
        assert SECRET not in text, written.name
        assert SECRET[3:11] not in text, written.name  # nor a piece of it
    assert "{transaction_id}" in out.read_text(encoding="utf-8")  # the macro kept
