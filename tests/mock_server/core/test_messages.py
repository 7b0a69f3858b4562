"""Every error message the mock sends is the spec's example for that status: one source."""

from __future__ import annotations

from typing import Any

import pytest

from fixtures import PostbackFactory
from mock_server import RateLimit
from mock_server.core.messages import MOCK_MESSAGES, message, spec_message, spec_messages
from openapi import load_spec

from ..conftest import API, KEY, PIXELS, MakeTalker

RESPONSES = load_spec()["components"]["responses"]


def example(response: str, name: str | None = None) -> Any:
    media = RESPONSES[response]["content"]["application/json"]
    return media["example"] if name is None else media["examples"][name]["value"]


def test_every_status_the_spec_documents_has_its_example_s_message() -> None:
    assert spec_messages() == {
        400: example("BadRequest")["error"],
        401: example("Unauthorized", "no_key")["error"],
        403: example("Forbidden", "no_permission")["error"],
        404: example("NotFound")["error"],
        429: example("TooManyRequests")["error"],
        500: example("InternalServerError")["error"],
    }
    assert spec_message("Forbidden", "out_of_realm") == "Out of realm"
    assert spec_message("Unauthorized", "no_key") == "No Authentication Method Found"


def test_statuses_the_spec_does_not_document_have_the_mock_s_own_message() -> None:
    assert not MOCK_MESSAGES.keys() & spec_messages().keys()
    assert message(413) == MOCK_MESSAGES[413]
    assert message(418) == example("InternalServerError")["error"]


@pytest.mark.parametrize(
    ("config", "path", "headers", "status", "response"),
    [
        ({}, PIXELS + "abc", KEY, 400, "BadRequest"),
        ({}, PIXELS + "3", {}, 401, "Unauthorized"),
        ({"api_keys": ("partner:pk",)}, PIXELS + "3", {"X-Eflow-Api-Key": "pk"}, 403, "Forbidden"),
        ({}, PIXELS + "999999", KEY, 404, "NotFound"),
        ({"rate_limit": RateLimit(rate=0.001, burst=0)}, PIXELS + "3", KEY, 429, "TooManyRequests"),
    ],
)
def test_the_mock_answers_with_the_spec_s_example(
    make_talker: MakeTalker,
    config: dict[str, Any],
    path: str,
    headers: dict[str, str],
    status: int,
    response: str,
) -> None:
    answer = make_talker(**config).get(path, headers)
    assert answer.status == status
    media = RESPONSES[response]["content"]["application/json"]
    documented = [media["example"]] if "example" in media else []
    documented += [named["value"] for named in media.get("examples", {}).values()]
    assert answer.json() in documented


def test_an_unknown_key_gets_the_spec_s_unknown_key_401_and_the_bucket_unspent(
    make_talker: MakeTalker,
) -> None:
    answer = make_talker(api_keys=("good",)).get(PIXELS + "3", KEY)
    assert answer.status == 401
    assert answer.json() == example("Unauthorized", "unknown_key")
    assert answer.json() != example("Unauthorized", "no_key")
    assert answer.headers["X-RateLimit-Remaining"] == "50"


def test_the_spec_s_broken_rule_example_is_what_the_mock_answers(
    make_talker: MakeTalker,
) -> None:
    body = PostbackFactory().build_invalid_input("postback_url_required", 3)
    answer = make_talker().post(API, body)
    assert answer.status == 400
    assert answer.json() == example_named("InvalidPostback", "rule")


def example_named(response: str, name: str) -> Any:
    return RESPONSES[response]["content"]["application/json"]["examples"][name]["value"]
