"""Public names imported on first use (PEP 562), for the kit's packages' ``__init__``s.

Every pytest run loads the kit's plugin and every CLI start loads its package: so that
neither pays for Flask, httpx, Faker or the spec before they are needed, each package's
``__init__`` names where its public names live and gets them here on first use.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module


def lazy_names(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: a name of ``homes`` is imported
    from its module on first use and kept in the package; any other is an
    ``AttributeError``."""

    def __getattr__(name: str) -> object:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(homes[name]), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *homes})

    return __getattr__, __dir__
