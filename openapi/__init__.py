"""The OpenAPI description of Everflow's partner postback endpoint, and ways to use it.

Everything else in the kit stands on this package: the mock validates against it, the
factories are tested against it, and the contract suite judges responses by it.
"""

from openapi.spec import (
    SPEC_FILENAME,
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
    "get_openapi",
    "load_spec",
    "schema_violations",
    "spec_bytes",
    "spec_path",
    "spec_rules",
]
