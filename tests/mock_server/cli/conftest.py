"""The fake production the proxy's command is tested in front of, shared with the proxy's
own tests."""

from ..proxy.conftest import production, production_file

__all__ = ["production", "production_file"]
