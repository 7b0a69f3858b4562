"""Judge httpx exchanges by the spec with openapi-core, which has no httpx integration."""

from __future__ import annotations

from collections.abc import Iterable

import httpx
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.exceptions import SecurityValidationError
from openapi_core.validation.response.exceptions import HeaderValidationError, InvalidData
from werkzeug.datastructures import Headers, ImmutableMultiDict

from openapi.spec import get_openapi, load_spec
from openapi.violations import Violation, component_schema, describe

_OPERATION_RESPONSES = load_spec()["paths"]["/networks/pixels/{pixelId}"]["get"]["responses"]
DOCUMENTED_STATUSES = frozenset(int(code) for code in _OPERATION_RESPONSES)
"""The statuses the operation documents; any other is itself a violation."""


class HttpxOpenAPIRequest:
    """An httpx request as openapi-core's request protocol."""

    def __init__(self, request: httpx.Request) -> None:
        self.request = request
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )

    @property
    def host_url(self) -> str:
        url = self.request.url
        port = f":{url.port}" if url.port else ""
        return f"{url.scheme}://{url.host}{port}"

    @property
    def path(self) -> str:
        return self.request.url.path

    @property
    def method(self) -> str:
        return self.request.method.lower()

    @property
    def body(self) -> bytes | None:
        return self.request.content or None

    @property
    def content_type(self) -> str:
        return str(self.request.headers.get("Content-Type", ""))


class HttpxOpenAPIResponse:
    """An httpx response as openapi-core's response protocol."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response

    @property
    def data(self) -> bytes:
        return self.response.content

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def content_type(self) -> str:
        return str(self.response.headers.get("Content-Type", ""))

    @property
    def headers(self) -> Headers:
        return Headers(list(self.response.headers.items()))


def _schema_name(status: int) -> str:
    return "PartnerPostback" if status == 200 else "EverflowError"


def _flatten(errors: Iterable[Exception], status: int) -> list[Violation]:

    found: list[Violation] = []
    for error in errors:
        cause = error.__cause__
        schema_errors = getattr(cause, "schema_errors", None)
        if isinstance(error, InvalidData) and schema_errors:
            schema = component_schema(_schema_name(status))
            found.extend(describe(e, schema) for e in schema_errors)
        elif isinstance(error, HeaderValidationError):
            found.append(
                Violation(error.name, "header", f"{error}: {cause}" if cause else str(error))
            )
        else:
            detail = f"{error}: {cause}" if cause else str(error)
            found.append(Violation("$", type(error).__name__, detail))
    return found


def request_violations(request: httpx.Request) -> list[Violation]:
    """Every way ``request`` breaks the spec (security problems included)."""
    errors = list(get_openapi().iter_request_errors(HttpxOpenAPIRequest(request)))
    return [
        Violation(
            "$", "security" if isinstance(e, SecurityValidationError) else type(e).__name__, str(e)
        )
        for e in errors
    ]


def response_violations(response: httpx.Response) -> list[Violation]:
    """Every way ``response`` (to its own request) breaks the spec: undocumented status,
    wrong media type, body or header violations, each named by rule or field."""
    if response.status_code not in DOCUMENTED_STATUSES:
        documented = ", ".join(_OPERATION_RESPONSES)
        return [
            Violation(
                "$", "status", f"status {response.status_code} is not documented ({documented})"
            )
        ]
    errors = get_openapi().iter_response_errors(
        HttpxOpenAPIRequest(response.request), HttpxOpenAPIResponse(response)
    )
    return _flatten(errors, response.status_code)
