"""The quick verdict: the spec's component schemas compiled by jsonschema-rs.

``schema_violations`` (the OpenAPI 3.1 validator that openapi-core uses) validates about
630 bodies a second; a compiled validator of the same schema validates hundreds of
thousands. The compiled one decides whether a body is valid; only an invalid body goes to
``schema_violations``, so the rule names in every finding still come from one place. A
differential test over generated, broken and mutated bodies keeps the two in agreement.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from openapi.jsonpath import json_path
from openapi.spec import SPEC_URI, load_spec
from openapi.violations import Violation, schema_violations, shape

if TYPE_CHECKING:
    import jsonschema_rs


@functools.cache
def compiled(schema_name: str) -> jsonschema_rs.Validator:
    """The compiled validator of ``components/schemas/<schema_name>``, built once.

    Formats are not asserted, as ``schema_violations`` does not assert them either.
    """
    import jsonschema_rs  # only when a body is first judged: importing the kit stays cheap

    load_spec()["components"]["schemas"][schema_name]  # KeyError for an unknown name
    registry = jsonschema_rs.Registry([(SPEC_URI, load_spec())])
    ref = {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}
    return jsonschema_rs.Draft202012Validator(ref, registry=registry, validate_formats=False)


def is_valid(body: Any, schema_name: str = "PartnerPostback") -> bool:
    """Whether ``body`` obeys the named component schema.

    A body jsonschema-rs cannot read (a Python object that is not JSON data, such as a
    dict with integer keys) is judged by ``schema_violations`` instead.
    """
    try:
        return bool(compiled(schema_name).is_valid(body))
    except (ValueError, TypeError, OverflowError):
        return not schema_violations(body, schema_name)


def violations(body: Any, schema_name: str = "PartnerPostback") -> list[Violation]:
    """Every way ``body`` breaks the named schema, as ``schema_violations`` names them.

    Asks ``schema_violations`` only when the compiled validator refuses the body. Should the
    two ever disagree on a refused body, the compiled validator's first error is reported,
    so that an invalid body is never let through without a reason.
    """
    if is_valid(body, schema_name):
        return []
    found = schema_violations(body, schema_name)
    if found:
        return found
    error = next(iter(compiled(schema_name).iter_errors(body)), None)
    if error is None:
        return []
    keyword = str(error.schema_path[-1]) if error.schema_path else "schema"
    return [
        Violation(
            path=json_path(error.instance_path),
            keyword=keyword,
            message=error.message,
            expected=f"the schema's {keyword}",
            actual=shape(error.instance),
        )
    ]
