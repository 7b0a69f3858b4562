"""Judge httpx exchanges by the spec with openapi-core, which has no httpx integration.

Every operation of the spec is judged: the one a request belongs to is found from its
method and path (``openapi.operations``), for its documented statuses and for the schemas
that name a broken rule or field in a request or response body.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpx
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.exceptions import DeserializeError
from openapi_core.validation.request.exceptions import (
    ParameterValidationError,
    SecurityValidationError,
)
from openapi_core.validation.response.exceptions import HeaderValidationError
from werkzeug.datastructures import Headers, ImmutableMultiDict

from openapi.jsonpath import json_path
from openapi.operations import (
    MockResponse,
    find_operation,
    mock_responses,
    operations,
    operations_at,
)
from openapi.spec import get_openapi
from openapi.violations import Violation, describe, expectation

DOCUMENTED_STATUSES = operations()["getPartnerPostback"].statuses
"""The statuses ``getPartnerPostback`` documents; ``documented_statuses`` for any operation."""


def documented_statuses(request: httpx.Request) -> frozenset[int]:
    """The statuses documented for the operation ``request`` belongs to; empty if none."""
    operation = find_operation(request.method, request.url.path)
    return operation.statuses if operation else frozenset()


class HttpxOpenAPIRequest:
    """An httpx request as openapi-core's request protocol. The body is read only when
    asked for: judging an answer does not need its request's (a stream maybe not read)."""

    def __init__(self, request: httpx.Request) -> None:
        url = request.url
        self.request = request
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(url.params.multi_items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )
        self.host_url = f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")
        self.path = url.path
        self.method = request.method.lower()
        self.content_type = str(request.headers.get("Content-Type", ""))

    @property
    def body(self) -> bytes | None:
        return self.request.content or None


class HttpxOpenAPIResponse:
    """An httpx response as openapi-core's response protocol."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.status_code = response.status_code
        self.content_type = str(response.headers.get("Content-Type", ""))
        self.headers = Headers(list(response.headers.items()))

    @property
    def data(self) -> bytes:
        return self.response.content


def _text(error: BaseException) -> str:
    """``str(error)``; openapi-core's own message fails on a body that is not UTF-8."""
    try:
        return str(error)
    except UnicodeDecodeError:
        return f"{type(error).__name__}: the body is not UTF-8"


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, kind):
            return True
        cause = cause.__cause__
    return False


def not_json(size: int) -> Violation:
    """A JSON body that does not parse, named by its size alone."""
    actual = f"body is not valid JSON, {size} bytes"
    return Violation("$", "json", "the body is not JSON", None, "a JSON body", actual)


def _flatten(
    errors: Iterable[Exception], body_schema: Mapping[str, Any] | None, body_size: int
) -> list[Violation]:
    """Violations for openapi-core's errors; body errors are named against ``body_schema``.
    Each one's ``expected`` and ``actual`` hold no byte of the body (``body_size`` bytes)
    or of a header value; its ``message`` is openapi-core's own and may quote both."""
    found: list[Violation] = []
    for error in errors:
        cause = error.__cause__
        detail = f"{_text(error)}: {_text(cause)}" if cause else _text(error)
        schema_errors = getattr(cause, "schema_errors", None)
        if isinstance(error, SecurityValidationError):
            found.append(Violation("$", "security", str(error), None, "a key", "none accepted"))
        elif isinstance(error, ParameterValidationError):
            found.extend(
                Violation(
                    error.name + json_path(e.absolute_path)[1:],
                    str(e.validator),
                    e.message,
                    None,
                    *expectation(str(e.validator), e.validator_value, e.instance),
                )
                for e in schema_errors or ()
            )
            if not schema_errors:
                kind = type(error).__name__
                found.append(Violation(error.name, kind, detail, None, "as documented", kind))
        elif isinstance(error, HeaderValidationError):
            refused = f"a value the schema refuses ({type(cause or error).__name__})"
            found.append(Violation(error.name, "header", detail, None, "as documented", refused))
        elif schema_errors and body_schema is not None:
            found.extend(describe(e, body_schema) for e in schema_errors)
        elif _caused_by(error, DeserializeError):
            found.append(not_json(body_size))
        else:
            kind = type(cause or error).__name__
            found.append(Violation("$", type(error).__name__, detail, None, "as documented", kind))
    return found


def _not_in_spec(request: httpx.Request) -> Violation:
    served = operations_at(request.url.path)
    asked = f"{request.method} {request.url.path}"
    if not served:
        message = f"no operation has the path {request.url.path}"
        return Violation("$", "PathNotFound", message, None, "a path of the spec", asked)
    methods = ", ".join(served)
    message = f"{request.method} is not an operation of {request.url.path} ({methods})"
    return Violation("$", "OperationNotFound", message, None, methods, asked)


def request_violations(request: httpx.Request) -> list[Violation]:
    """Every way ``request`` breaks the spec: security, parameters (``path`` is the
    parameter's name) and the JSON body (each problem named by rule or field)."""
    operation = find_operation(request.method, request.url.path)
    if operation is None:
        return [_not_in_spec(request)]
    errors = get_openapi().iter_request_errors(HttpxOpenAPIRequest(request))
    return _flatten(errors, operation.request_schema, len(request.content))


def _mock_response_violations(response: httpx.Response, expected: MockResponse) -> list[Violation]:
    """How an answer with one of the mock's own statuses breaks its definition."""
    from openapi.fast_validation import violations

    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if media_type != expected.media_type:
        shown = media_type or "no content type"
        message = f"{shown} is not {expected.media_type} (the mock's own {response.status_code})"
        return [Violation("$", "content-type", message, None, expected.media_type, shown)]
    try:
        body = response.json()
    except ValueError:
        return [not_json(len(response.content))]
    return violations(body, expected.schema_name)


def response_violations(response: httpx.Response) -> list[Violation]:
    """Every way ``response`` (to its own request) breaks the spec: an undocumented status
    for its operation, wrong media type, body or header violations, each named by rule or
    field."""
    request = response.request
    operation = find_operation(request.method, request.url.path)
    if operation is None:
        # A spec path, not this method: the mock's own 405.
        if response.status_code == 405 and operations_at(request.url.path):
            return _mock_response_violations(response, mock_responses()[405])
        return [_not_in_spec(request)]
    status = response.status_code
    if status not in operation.statuses and status in mock_responses():
        return _mock_response_violations(response, mock_responses()[status])
    if status not in operation.statuses:
        documented = ", ".join(map(str, sorted(operation.statuses)))
        message = f"status {status} is not documented for {operation.operation_id} ({documented})"
        return [Violation("$", "status", message, None, documented, str(status))]
    errors = get_openapi().iter_response_errors(
        HttpxOpenAPIRequest(request), HttpxOpenAPIResponse(response)
    )
    return _flatten(errors, operation.response_schemas.get(status), len(response.content))
