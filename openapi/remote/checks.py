"""The checks applied to each answer, and drift across answers."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
from openapi_schema_validator import OAS31Validator

from openapi.httpx_validation import documented_statuses, response_violations
from openapi.operations import find_operation
from openapi.record_kinds import KINDS, NEIGHBOURS, Kind
from openapi.remote.findings import Finding
from openapi.remote.masking import credential_shaped
from openapi.spec import resolved, rule_schemas
from openapi.violations import component_schema, shape

RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining")


KNOWN_MEDIA_TYPES = frozenset(
    {
        "application/json",
        "application/problem+json",
        "application/xml",
        "application/octet-stream",
        "application/javascript",
        "text/html",
        "text/plain",
        "text/xml",
        "text/csv",
        "text/javascript",
    }
)
"""Media types a report names as they are; any other is a server's text, named by size."""


def header_shape(value: str) -> str:
    """A header value for a report: shown when it is a plain number, else by its size (a
    server's text is no more shown than its body is)."""
    if value.isascii() and value.isdigit() and len(value) <= 20:
        return value
    return f"a value of {len(value)} characters"


def media_type_shape(value: str) -> str:
    """A media type for a report: shown when it is a common one (``KNOWN_MEDIA_TYPES``),
    else by its size."""
    return (
        value if value.lower() in KNOWN_MEDIA_TYPES else f"a media type of {len(value)} characters"
    )


def as_int(value: Any) -> int | None:
    """``value`` when it is a JSON integer (not a boolean), else ``None``."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def json_body(response: httpx.Response) -> Any:
    """The parsed body, or ``None`` when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def check_answer(
    target: str,
    probe: str,
    response: httpx.Response,
    pixel_id: int | None,
    expected_status: int,
    *,
    same_id: bool = True,
) -> list[Finding]:
    """Everything wrong with one answer: status, media type, spec (for the operation the
    request belongs to), headers and, with ``same_id``, that a 200 body is the postback
    ``pixel_id`` (not for pages, deletes or a create, whose id the server picks)."""

    def finding(check: str, path: str, expected: str, actual: str) -> Finding:
        return Finding(target, probe, pixel_id, check, path, expected, actual)

    found: list[Finding] = []
    status = response.status_code
    if status != expected_status:
        found.append(finding("status", "$", str(expected_status), str(status)))
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if media_type != "application/json":
        shown = media_type_shape(media_type) if media_type else "(none)"
        found.append(finding("content_type", "$", "application/json", shown))
    elif status in documented_statuses(response.request):
        for violation in response_violations(response):
            check = "rate_limit_headers" if violation.keyword == "header" else violation.name
            # expected and actual, never the message: it may quote the body
            expected = violation.expected or violation.keyword
            actual = violation.actual or "refused"
            found.append(finding(check, violation.path, expected, actual))
    body = json_body(response)
    if (
        same_id
        and status == 200
        and isinstance(body, dict)
        and body.get("network_pixel_id") != pixel_id
    ):
        actual = shape(body.get("network_pixel_id"))
        found.append(finding("pixel_id", "$.network_pixel_id", str(pixel_id), actual))
    judged = {f.path for f in found}
    for name in RATE_LIMIT_HEADERS:
        value = response.headers.get(name)
        if name not in judged and value is not None and not (value.isascii() and value.isdigit()):
            found.append(
                finding("rate_limit_headers", name, "a non-negative integer", header_shape(value))
            )
    return found


FIELD_NAME = re.compile(r"[a-z]+(?:_[a-z]+)*_?[0-9]{0,3}")
"""A property's name a report shows as it is: lower-case words joined by ``_``, up to three
digits at the end (``brand_new_field``, ``sub1``), as Everflow names its fields."""
MAX_FIELD_NAME = 40
_NAME_KEY = secrets.token_bytes(16)
"""The key of the names' digests: drawn per process, so a digest says which names are the
same within one run and nothing of a name to anyone outside it."""


def shown_name(name: str) -> str:
    """A property's name for a report, by allow-list (a name the spec does not document is
    the server's text, and may be a token): as it is when shaped like a field's
    (``FIELD_NAME``, ``MAX_FIELD_NAME`` characters at most, not ``credential_shaped``),
    else a stand-in naming its size and a digest of it, the same for the same name
    throughout a run (``[a name of 40 characters #1f2e3d4c]``)."""
    if len(name) <= MAX_FIELD_NAME and FIELD_NAME.fullmatch(name) and not credential_shaped(name):
        return name
    raw = name.encode("utf-8", "surrogatepass")
    digest = hmac.new(_NAME_KEY, raw, hashlib.sha256).hexdigest()[:8]
    return f"[a name of {len(name)} characters #{digest}]"


def field_path(path: str, name: str) -> str:
    """The JSON path of property ``name`` under ``path``, for a report: ``$.parent.name``,
    or ``$.parent[a name of 40 characters #1f2e3d4c]`` (``shown_name``)."""
    shown = shown_name(name)
    return f"{path}{shown}" if shown.startswith("[") else f"{path}.{shown}"


def undocumented_paths(body: Any, schema: Mapping[str, Any], path: str = "$") -> Iterator[str]:
    """JSON paths of every property ``body`` has that ``schema`` does not document."""
    schema = resolved(schema)
    if isinstance(body, dict) and "properties" in schema:
        properties = schema["properties"]
        for key, value in body.items():
            if key not in properties:
                yield field_path(path, key)
            else:
                yield from undocumented_paths(value, properties[key], f"{path}.{key}")
    elif isinstance(body, list) and "items" in schema:
        for index, item in enumerate(body):
            yield from undocumented_paths(item, schema["items"], f"{path}[{index}]")


def undocumented_fields(
    target: str, probe: str, pixel_id: int | None, body: Any, schema: Mapping[str, Any]
) -> list[Finding]:
    """Drift: every field ``body`` has that ``schema`` does not document, as a warning."""
    expected = "only documented fields"
    return [
        Finding(target, probe, pixel_id, "undocumented_field", path, expected, "present", "warning")
        for path in undocumented_paths(body, schema)
    ]


def conditional_fields(schema: Mapping[str, Any]) -> list[tuple[OAS31Validator, frozenset[str]]]:
    """For each documented rule that requires fields only under a condition (``if`` ...
    ``then: {required: [...]}``, e.g. ``tiktok_pixel`` when ``delivery_method`` is ``tiktok``),
    a validator of the condition and the fields it requires."""
    found = []
    for rule in rule_schemas(schema).values():
        required = rule.get("then", {}).get("required", ())
        if "if" in rule and required:
            found.append((OAS31Validator(rule["if"]), frozenset(required)))
    return found


class DriftTracker:
    """Fields the spec does not document (per answer), and documented fields never seen.

    A field that a rule requires only under a condition is expected only when some answer
    meets the condition: probing postback-delivery pixels alone says nothing about
    ``tiktok_pixel``.
    """

    def __init__(self, target: str, schema_name: str = "PartnerPostback") -> None:
        self.target = target
        self.schema = component_schema(schema_name)
        self.conditional = conditional_fields(self.schema)
        self.seen: set[str] = set()
        self.expected = set(self.schema["properties"]).difference(
            *(fields for _, fields in self.conditional)
        )
        self.answers = 0

    def observe(self, probe: str, pixel_id: int | None, body: Any) -> list[Finding]:
        """Note one 200 body; returns its undocumented fields as warnings."""
        if not isinstance(body, dict):
            return []
        self.answers += 1
        self.seen.update(body)
        for condition, fields in self.conditional:
            if not fields <= self.expected and condition.is_valid(body):
                self.expected |= fields
        return undocumented_fields(self.target, probe, pixel_id, body, self.schema)

    def never_present(self) -> list[Finding]:
        """Documented top-level fields that some answer should have carried (every field no
        rule makes conditional, and those whose condition an answer met) but none did."""
        if not self.answers:
            return []
        expected, got = "present in some answer", f"absent from all {self.answers}"
        return [
            Finding(
                self.target, "all", None, "never_present", f"$.{name}", expected, got, "warning"
            )
            for name in self.schema["properties"]
            if name in self.expected and name not in self.seen
        ]


READS_OF_ONE = tuple(
    (kind, re.compile(re.escape(kind.read.format("")) + "([0-9]+)")) for kind in KINDS
)
"""For each kind of record, a path (under the base URL's ``/v1``) that reads one, and its id."""


def _read_of_one(response: httpx.Response) -> tuple[Kind, str] | None:
    """The kind of record a GET reads one of, and the id its path names (as written)."""
    path = response.request.url.path
    for kind, pattern in READS_OF_ONE:
        match = pattern.search(path)
        if response.request.method == "GET" and match and path.endswith(match.group()):
            return kind, match.group(1)
    return None


def judge_answer(target: str, probe: str, response: httpx.Response) -> list[Finding]:
    """Everything wrong with one answer to a request someone else chose (a proxy's): the
    checks of ``check_answer`` with the status it came with, the record's id held to the
    path's for a read of one (a postback's as ``pixel_id``, an offer's or affiliate's as
    ``offer_id`` or ``affiliate_id``), a status the operation does not document, and (as
    warnings) every field the spec does not document for the operation and status."""
    read = _read_of_one(response)
    pixel_id = int(read[1]) if read and read[0].name == "postback" else None
    status = response.status_code
    found = check_answer(target, probe, response, pixel_id, status, same_id=pixel_id is not None)
    if read and read[0] in NEIGHBOURS and status == 200:
        kind, read_id = read
        body = json_body(response)
        if isinstance(body, dict) and body.get(kind.id_field) != int(read_id):
            got = shape(body.get(kind.id_field))
            found.append(
                Finding(target, probe, None, f"{kind.name}_id", f"$.{kind.id_field}", read_id, got)
            )
    documented = documented_statuses(response.request)
    if documented and status not in documented and not any(f.check == "status" for f in found):
        expected = ", ".join(map(str, sorted(documented)))
        found.insert(0, Finding(target, probe, pixel_id, "status", "$", expected, str(status)))
    operation = find_operation(response.request.method, response.request.url.path)
    schema = operation.response_schemas.get(status) if operation else None
    body = json_body(response)
    if schema is not None and body is not None:
        found += undocumented_fields(target, probe, pixel_id, body, schema)
    return found


def judge_record(
    target: str, probe: str, record: Any, base_url: str, read: str | None = None
) -> list[Finding]:
    """The body checks of ``check_answer`` on a postback recorded from an answer (no
    status, media type or headers to judge: a recording keeps only bodies), as the answer
    to a read of its own id at ``base_url``; or, given ``read`` (a path under the base URL,
    ``/networks/offers/605``), on any record as the answer to that read."""
    postback = read is None
    pixel_id = as_int(record.get("network_pixel_id")) if isinstance(record, dict) else None
    if read is None:
        read = f"/networks/pixels/{pixel_id if pixel_id is not None else 0}"
    else:
        pixel_id = None
    url = f"{base_url.rstrip('/')}{read}"
    response = httpx.Response(
        200,
        headers={"Content-Type": "application/json"},
        content=json.dumps(record).encode(),
        request=httpx.Request("GET", url),
    )
    return [
        finding
        for finding in check_answer(target, probe, response, pixel_id, 200, same_id=postback)
        if finding.check != "rate_limit_headers"
    ]
