"""The contract run's defaults and limits, in one light module.

The CLI shows them in ``--help`` without importing httpx or the spec, and the client, the
suite and the README all name the same numbers.
"""

from __future__ import annotations

KEY_ENV = "EVERFLOW_API_KEY"
"""The environment variable the key is read from unless ``--api-key-env`` names another."""
