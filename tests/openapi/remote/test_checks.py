"""Per-answer checks and drift."""

from __future__ import annotations

import re

import httpx
import pytest

from fixtures import PostbackFactory
from fixtures.values import DELIVERY_PAYLOAD
from openapi.remote.checks import (
    DriftTracker,
    check_answer,
    conditional_fields,
    field_path,
    judge_answer,
    shown_name,
    undocumented_paths,
)
from openapi.remote.findings import Finding
from openapi.violations import component_schema

DELIVERY_METHODS = component_schema("DeliveryMethod")["enum"]

REQUEST = httpx.Request("GET", "https://api.eflow.team/v1/networks/pixels/5")


def answer(
    status: int, body: object, content_type: str = "application/json", **headers: str
) -> httpx.Response:
    import json

    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": content_type, **headers},
        request=REQUEST,
    )


def test_a_good_answer_has_no_findings() -> None:
    body = PostbackFactory().build(5)
    assert (
        check_answer("t", "known_id", answer(200, body, **{"X-RateLimit-Limit": "30"}), 5, 200)
        == []
    )


def test_each_problem_is_named_with_expected_and_actual() -> None:
    body = PostbackFactory().build(6, delivery_method="html")
    body["html_code"] = ""
    found = check_answer(
        "t", "known_id", answer(200, body, **{"X-RateLimit-Remaining": "-1"}), 5, 200
    )
    by_check = {f.check: f for f in found}
    assert set(by_check) == {"html_code_required", "pixel_id", "rate_limit_headers"}
    assert (by_check["pixel_id"].expected, by_check["pixel_id"].actual) == ("5", "6")
    assert by_check["html_code_required"].path == "$.html_code"
    assert by_check["rate_limit_headers"].path == "X-RateLimit-Remaining"
    assert all(f.target == "t" and f.pixel_id == 5 for f in found)


def test_wrong_status_and_media_type() -> None:
    found = check_answer("t", "unknown_id", answer(404, "<html/>", "text/html"), 5, 404)
    assert [f.check for f in found] == ["content_type"]
    found = check_answer("t", "no_key", answer(200, PostbackFactory().build(5)), 5, 401)
    assert [f.check for f in found] == ["status"]


def test_error_body_shape_is_judged() -> None:
    found = check_answer("t", "unknown_id", answer(404, {"message": "nope"}), 5, 404)
    assert [f.check for f in found] == ["$:anyOf"]
    assert check_answer("t", "unknown_id", answer(404, {"Error": "nope"}), 5, 404) == []


def test_undocumented_paths_are_found_at_any_depth() -> None:
    body = PostbackFactory().build(1, delivery_method="facebook", pixel_level="specific")
    body["extra"] = 1
    body["relationship"]["offer"]["secret_margin"] = 0.3
    body["facebook_pixel"]["user_data"][0]["hashed"] = True
    assert sorted(undocumented_paths(body, component_schema("PartnerPostback"))) == [
        "$.extra",
        "$.facebook_pixel.user_data[0].hashed",
        "$.relationship.offer.secret_margin",
    ]


def test_drift_reports_fields_never_present() -> None:
    drift = DriftTracker("t")
    for body in PostbackFactory().variants():
        assert drift.observe("known_id", body["network_pixel_id"], body) == []
    assert drift.never_present() == []
    without_description = DriftTracker("t")
    for pixel_id in (1, 2):
        body = PostbackFactory().build(pixel_id, delivery_method="postback")
        del body["description"]
        without_description.observe("known_id", pixel_id, body)
    found = without_description.never_present()
    assert [(f.path, f.actual, f.severity) for f in found] == [
        ("$.description", "absent from all 2", "warning")
    ]


@pytest.mark.parametrize("method", DELIVERY_METHODS)
def test_fields_of_other_delivery_methods_are_not_expected(method: str) -> None:
    drift = DriftTracker("t")
    drift.observe("known_id", 1, PostbackFactory().build(1, delivery_method=method))
    assert drift.never_present() == []


# The factories' own table of the field each delivery method needs; DriftTracker derives
# the same from the spec's rules (contract_tests may not import fixtures).
DELIVERY_FIELDS = {method: field for method, (field, _) in DELIVERY_PAYLOAD.items()}


def test_conditional_fields_follow_the_spec_rules() -> None:
    schema = component_schema("PartnerPostback")
    rules = conditional_fields(schema)
    for method, field in DELIVERY_FIELDS.items():
        met = {
            f
            for condition, fields in rules
            if condition.is_valid({"delivery_method": method})
            for f in fields
        }
        assert met == {field}, method
    conditional = {f for _, fields in rules for f in fields}
    assert conditional == {*DELIVERY_FIELDS.values(), "network_offer_id", "network_affiliate_id"}
    assert set(DELIVERY_FIELDS) == set(DELIVERY_METHODS)


def test_a_field_whose_condition_was_met_is_expected() -> None:
    drift = DriftTracker("t")
    body = PostbackFactory().build(1, delivery_method="tiktok")
    del body["tiktok_pixel"]  # a rule violation too; drift says no answer ever had it
    drift.observe("known_id", 1, body)
    assert [f.path for f in drift.never_present()] == ["$.tiktok_pixel"]


def test_judge_answer_names_an_undocumented_status_and_holds_the_id_to_the_path() -> None:
    from openapi.remote.checks import judge_answer

    teapot = httpx.Response(418, json={"error": "x"}, request=REQUEST)
    assert [(f.check, f.actual) for f in judge_answer("t", "p", teapot)] == [("status", "418")]
    good = PostbackFactory(seed=1).build(6, delivery_method="postback")
    other = answer(200, good)
    assert [f.check for f in judge_answer("t", "p", other)] == ["pixel_id"]
    good["network_pixel_id"] = 5
    assert judge_answer("t", "p", answer(200, good)) == []


def test_judge_record_runs_the_body_checks_only() -> None:
    from openapi.remote.checks import judge_record

    record = PostbackFactory(seed=2).build(3, delivery_method="postback")
    assert judge_record("t", "record 0", record, "https://api.eflow.team/v1") == []
    record["delay_ms"] = 400000
    (finding,) = judge_record("t", "record 0", record, "https://api.eflow.team/v1")
    assert (finding.check, finding.path, finding.pixel_id) == (
        "$.delay_ms:maximum",
        "$.delay_ms",
        3,
    )


PLANTED = "tok=sekret-4711 jo.doe@example.com"


def _said(findings: list[Finding]) -> str:
    return "\n".join(f.line() for f in findings)


@pytest.mark.parametrize(
    "content",
    [
        b'{"network_pixel_id": 5, "postback_url": "' + PLANTED.encode() + b'", "x',
        PLANTED.encode(),
        b"\xff\xfe" + PLANTED.encode(),
    ],
    ids=["cut short", "not json", "not utf-8"],
)
def test_a_body_that_is_not_json_is_named_by_its_size(content: bytes) -> None:
    response = httpx.Response(
        200, content=content, headers={"Content-Type": "application/json"}, request=REQUEST
    )
    found = check_answer("t", "known_id", response, 5, 200)
    assert [(f.check, f.expected, f.actual) for f in found if f.check == "$:json"] == [
        ("$:json", "a JSON body", f"body is not valid JSON, {len(content)} bytes")
    ]
    assert "DataValidationError" not in _said(found)
    assert "sekret" not in _said(found)


def test_no_value_an_answer_holds_is_quoted_in_a_finding() -> None:
    body = PostbackFactory().build(5)
    body.update(
        network_pixel_id=PLANTED,
        delivery_method=PLANTED,
        postback_url={PLANTED: [PLANTED]},
        **{PLANTED: PLANTED, "brand_new_field": 1},
    )
    headers = {"X-RateLimit-Limit": PLANTED, "X-RateLimit-Remaining": "12"}
    found = check_answer("t", "known_id", answer(200, body, **headers), 5, 200)
    found += judge_answer("t", "proxy", answer(200, body, **headers))
    said = _said(found)
    assert "sekret" not in said
    assert "example.com" not in said
    assert "pixel_id at $.network_pixel_id: expected 5, got a string of 34 characters" in said
    # an undocumented property, named by its size and digest
    assert re.search(r"\$\[a name of 34 characters #[0-9a-f]{8}\]", said)
    assert "$.brand_new_field" in said  # one shaped like a field's name, as it is
    odd_type = check_answer("t", "p", answer(200, body, content_type=f"text/{PLANTED}"), 5, 200)
    assert "expected application/json, got a media type of 39 characters" in _said(odd_type)
    assert "sekret" not in _said(odd_type)


TOKEN_SHAPED = [
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",  # a payment provider's secret key
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",  # a code host's token
    "AKIAIOSFODNN7EXAMPLE",  # a cloud access key id
    "eyJhbGciOiJIUzI1NiJ9",  # a JWT's header
    "api_key_abcdef1234567890",
    "partner_token_a1b2c3d4e5f6",
    "kQxZpLmWvRtYbNcD",  # letters only, mixed case
    "550e8400-e29b-41d4-a716-446655440000",
    "jo.doe@example.com",
    "x" * 41,  # longer than any field's name
    "Brand_New",
    "café",
]


@pytest.mark.parametrize("name", TOKEN_SHAPED)
def test_a_name_not_known_safe_is_shown_by_size_and_digest(name: str) -> None:
    shown = shown_name(name)
    assert re.fullmatch(rf"\[a name of {len(name)} characters #[0-9a-f]{{8}}\]", shown)
    assert name not in shown
    assert field_path("$.relationship", name) == f"$.relationship{shown}"


@pytest.mark.parametrize(
    "name", ["brand_new_field", "sub1", "adv10", "time_created", "error", "x_"]
)
def test_a_name_shaped_like_everflows_fields_is_shown_as_it_is(name: str) -> None:
    assert shown_name(name) == name
    assert field_path("$.a", name) == f"$.a.{name}"


def test_a_stand_in_is_the_same_for_the_same_name_and_differs_for_another() -> None:
    one, same, other = (
        shown_name(n) for n in (TOKEN_SHAPED[0], TOKEN_SHAPED[0], "sk_live_" + "Z" * 24)
    )
    assert one == same
    assert one != other  # one length, another name: told apart
    assert shown_name("k\udc00") == shown_name("k\udc00")  # a lone surrogate too


def test_drift_names_a_token_shaped_field_by_its_stand_in_only() -> None:
    body = PostbackFactory().build(5)
    body[TOKEN_SHAPED[0]] = 1
    body["relationship"][TOKEN_SHAPED[1]] = {"deeper": 1}
    paths = list(undocumented_paths(body, component_schema("PartnerPostback")))
    assert sorted(paths) == sorted(
        [f"$.relationship{shown_name(TOKEN_SHAPED[1])}", f"${shown_name(TOKEN_SHAPED[0])}"]
    )
    assert not any(name in path for path in paths for name in TOKEN_SHAPED[:2])


def test_judge_record_judges_any_record_as_the_answer_to_the_read_given() -> None:
    from fixtures import PostbackFactory
    from openapi.remote.checks import judge_record

    offer = PostbackFactory(3).build_offer(605)
    base = "https://api.eflow.team/v1"
    assert judge_record("t", "offer 0", offer, base, "/networks/offers/605") == []
    (finding,) = judge_record("t", "offer 0", {**offer, "name": 5}, base, "/networks/offers/605")
    assert (finding.check, finding.path, finding.pixel_id) == ("$.name:type", "$.name", None)


def test_judge_record_holds_a_record_read_elsewhere_to_no_postback_s_id() -> None:
    from fixtures import PostbackFactory
    from openapi.remote.checks import judge_record

    # an offer that names a postback too is no answer that must be that postback
    offer = {**PostbackFactory(3).build_offer(605), "network_pixel_id": 7}
    base = "https://api.eflow.team/v1"
    assert judge_record("t", "offer 0", offer, base, "/networks/offers/605") == []


@pytest.mark.parametrize(
    ("path", "build", "field"),
    [
        ("/networks/offers/605", "build_offer", "network_offer_id"),
        ("/networks/affiliates/461", "build_affiliate", "network_affiliate_id"),
    ],
)
def test_judge_answer_holds_an_offers_or_partners_id_to_the_path(
    path: str, build: str, field: str
) -> None:
    from openapi.remote.checks import judge_answer

    kind = field.removeprefix("network_").removesuffix("_id")
    request = httpx.Request("GET", f"https://api.eflow.team/v1{path}")
    record = getattr(PostbackFactory(seed=1), build)(int(path.rsplit("/", 1)[1]))
    assert judge_answer("t", "p", httpx.Response(200, json=record, request=request)) == []
    other = {**record, field: 7}
    (finding,) = judge_answer("t", "p", httpx.Response(200, json=other, request=request))
    assert (finding.check, finding.path, finding.expected) == (
        f"{kind}_id",
        f"$.{field}",
        path.rsplit("/", 1)[1],
    )
    assert (finding.target, finding.probe, finding.severity) == ("t", "p", "error")


def test_judge_answer_s_findings_name_the_target_probe_and_id() -> None:
    from openapi.remote.checks import documented_statuses

    teapot = httpx.Response(418, text="short and stout", request=REQUEST)
    found = judge_answer("https://up/v1", "#1 GET /v1/networks/pixels/5", teapot)
    documented = ", ".join(map(str, sorted(documented_statuses(REQUEST))))
    assert found[0] == Finding(
        "https://up/v1", "#1 GET /v1/networks/pixels/5", 5, "status", "$", documented, "418"
    )
    assert len(found) > 1  # the body is judged too, and the status still comes first
    drifted = {**PostbackFactory(seed=1).build(5, delivery_method="postback"), "brand_new": 1}
    (warning,) = judge_answer("https://up/v1", "probe", answer(200, drifted))
    assert (warning.target, warning.probe, warning.pixel_id, warning.check, warning.path) == (
        "https://up/v1",
        "probe",
        5,
        "undocumented_field",
        "$.brand_new",
    )


def test_judge_record_reads_the_record_as_a_read_of_its_own_id() -> None:
    from openapi.remote.checks import judge_record

    record = PostbackFactory(seed=2).build(3, delivery_method="postback")
    record["delay_ms"] = 400000
    for base_url in ("https://api.eflow.team/v1", "https://api.eflow.team/v1/"):
        (finding,) = judge_record("t", "record 0", record, base_url)
        assert (finding.target, finding.probe, finding.check) == (
            "t",
            "record 0",
            "$.delay_ms:maximum",
        )


def test_judge_answer_holds_an_offers_id_to_the_path_only_in_a_200_to_a_read() -> None:
    read = httpx.Request("GET", "https://api.eflow.team/v1/networks/offers/605")
    # an error's body names no offer: no offer_id finding, whatever else is wrong with it
    missing = httpx.Response(404, json={"Error": "not found"}, request=read)
    assert all(f.check != "offer_id" for f in judge_answer("t", "p", missing))
    searched = httpx.Request("POST", "https://api.eflow.team/v1/networks/offers/605")
    other = httpx.Response(200, json={"network_offer_id": 7}, request=searched)
    assert all(f.check != "offer_id" for f in judge_answer("t", "p", other))


def test_judge_answer_names_the_id_an_offer_read_answered_with() -> None:
    read = httpx.Request("GET", "https://api.eflow.team/v1/networks/offers/605")
    for body, actual in (({"network_offer_id": 7}, "7"), ({"name": "x"}, "null")):
        (finding,) = judge_answer("t", "p", httpx.Response(200, json=body, request=read))
        assert (finding.check, finding.expected, finding.actual) == ("offer_id", "605", actual)


def test_judge_answer_s_body_findings_name_the_target_and_probe_too() -> None:
    body = {**PostbackFactory(seed=1).build(5, delivery_method="postback"), "delay_ms": -1}
    found = judge_answer("https://up/v1", "#2 GET", answer(200, body))
    assert found
    assert {(f.target, f.probe, f.pixel_id) for f in found} == {("https://up/v1", "#2 GET", 5)}


def test_judge_answer_does_not_hold_a_create_s_answer_to_an_id() -> None:
    # the server picks a new postback's id: the answer to a create names one no path did
    create = httpx.Request("POST", "https://api.eflow.team/v1/networks/pixels")
    created = PostbackFactory(seed=1).build(123, delivery_method="postback")
    found = judge_answer("t", "p", httpx.Response(200, json=created, request=create))
    assert all(f.check != "pixel_id" for f in found)


def test_judge_answer_judges_an_answer_to_a_path_the_spec_does_not_have() -> None:
    unknown = httpx.Request("GET", "https://api.eflow.team/v1/networks/unknown")
    assert judge_answer("t", "p", httpx.Response(200, json={"a": 1}, request=unknown)) == []


def test_judge_record_holds_a_recorded_postback_to_its_own_id_and_the_spec() -> None:
    from openapi.remote.checks import judge_record

    record = PostbackFactory(seed=2).build(3, delivery_method="postback")
    record["network_pixel_id"] = "3"  # no id at all: read as postback 0's answer
    found = judge_record("t", "record 0", record, "https://api.eflow.team/v1")
    assert {(f.check, f.expected, f.actual) for f in found} == {
        ("$.network_pixel_id:type", "type integer", "a string of 1 character"),
        ("pixel_id", "None", "a string of 1 character"),
    }


def test_judge_record_judges_a_record_that_is_no_object() -> None:
    from openapi.remote.checks import judge_record

    found = judge_record("t", "record 0", [1, 2], "https://api.eflow.team/v1")
    assert [(f.check, f.path) for f in found] == [("$:type", "$")]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("text/html", "text/html"),
        ("Text/HTML", "Text/HTML"),
        ("application/x-sekret-token", "a media type of 26 characters"),
    ],
)
def test_a_media_type_is_shown_when_common_in_any_case_else_by_size(value: str, shown: str) -> None:
    (finding,) = check_answer("t", "p", answer(200, {}, content_type=value), 5, 200, same_id=False)
    assert (finding.check, finding.actual) == ("content_type", shown)


def test_a_field_shaped_name_is_shown_up_to_40_characters() -> None:
    assert shown_name("x" * 40) == "x" * 40
    assert shown_name("x" * 41).startswith("[a name of 41 characters #")


def test_a_rate_limit_header_is_shown_when_a_number_of_20_digits_at_most() -> None:
    from openapi.remote.checks import header_shape

    assert header_shape("9" * 20) == "9" * 20
    assert header_shape("9" * 21) == "a value of 21 characters"
    assert header_shape("12a") == "a value of 3 characters"


def test_fields_whose_condition_no_answer_met_are_not_expected_even_when_absent() -> None:
    # a postback-delivery answer that leaves out the other methods' fields, as it may
    body = PostbackFactory().build(1, delivery_method="postback")
    for other in ("html_code", "facebook_pixel", "tiktok_pixel", "snapchat_pixel", "rumble_pixel"):
        del body[other]
    drift = DriftTracker("t")
    assert drift.observe("known_id", 1, body) == []
    assert drift.never_present() == []


def test_drift_s_undocumented_field_says_what_was_expected_and_found() -> None:
    from openapi.remote.checks import undocumented_fields

    schema = component_schema("PartnerPostback")
    (finding,) = undocumented_fields("t", "p", 5, {"brand_new": 1}, schema)
    assert finding == Finding(
        "t",
        "p",
        5,
        "undocumented_field",
        "$.brand_new",
        "only documented fields",
        "present",
        "warning",
    )


def test_a_body_of_another_shape_than_its_schema_has_no_undocumented_paths() -> None:
    # its type is judged by the spec's checks, not here
    assert list(undocumented_paths([{"x": 1}], {"type": "object", "properties": {}})) == []
    assert list(undocumented_paths({"x": 1}, {"type": "array", "items": {"properties": {}}})) == []


def test_an_answer_without_a_media_type_is_said_to_have_none() -> None:
    bare = httpx.Response(200, content=b"{}", request=REQUEST)
    assert "Content-Type" not in bare.headers
    found = check_answer("t", "p", bare, 5, 200, same_id=False)
    assert [(f.check, f.expected, f.actual) for f in found] == [
        ("content_type", "application/json", "(none)")
    ]


def test_a_media_type_s_parameters_are_not_part_of_it() -> None:
    body = PostbackFactory().build(5)
    good = answer(200, body, "application/json; charset=utf-8")
    assert check_answer("t", "known_id", good, 5, 200) == []


def test_rate_limit_headers_are_judged_even_where_the_spec_could_not_judge_the_answer() -> None:
    # an HTML answer is not judged by the spec; its rate-limit headers still are
    html = answer(
        200, {}, "text/html", **{"X-RateLimit-Limit": "abc", "X-RateLimit-Remaining": "7"}
    )
    found = check_answer("t", "p", html, 5, 200, same_id=False)
    assert [(f.check, f.path, f.expected, f.actual) for f in found] == [
        ("content_type", "$", "application/json", "text/html"),
        (
            "rate_limit_headers",
            "X-RateLimit-Limit",
            "a non-negative integer",
            "a value of 3 characters",
        ),
    ]
