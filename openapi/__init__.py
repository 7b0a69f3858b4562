"""The OpenAPI description of Everflow's partner postback endpoint, and ways to use it.

Everything else in the kit stands on this package: the mock validates against it, the
factories are tested against it, and the contract suite judges responses by it.

The names below are imported on first use (PEP 562), so that ``import openapi`` (and the
standard-library-only ``openapi.installation``) costs nothing until the spec is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openapi.lazy import lazy_names

if TYPE_CHECKING:
    from openapi.spec import (
        SPEC_FILENAME,
        api_key_header,
        everflow_base_urls,
        get_openapi,
        load_spec,
        spec_bytes,
        spec_path,
        spec_rules,
    )
    from openapi.violations import Violation, schema_violations

__all__ = [
    "SPEC_FILENAME",
    "Violation",
    "api_key_header",
    "everflow_base_urls",
    "get_openapi",
    "load_spec",
    "schema_violations",
    "spec_bytes",
    "spec_path",
    "spec_rules",
]

_HOMES = {
    **dict.fromkeys(__all__, "openapi.spec"),
    "Violation": "openapi.violations",
    "schema_violations": "openapi.violations",
}

__getattr__, __dir__ = lazy_names(__name__, _HOMES)
