"""The contract suite's pytest options, registered by the ``everflow_contract`` plugin.

The suite's targets (``contract_tests/conftest.py``) read ``--everflow-contract-url``,
``--everflow-pixel-id``, ``--everflow-offer-id``, ``--everflow-affiliate-id``, ``--everflow-strict``, ``--everflow-allow-writes``,
``--everflow-rate`` and ``--everflow-backoff``; ``--everflow-require-key`` (or the ini setting
``everflow_require_key``) is checked here, before any test. Under ``pytest --pyargs contract_tests``
pytest reads that conftest only after it has parsed the command line, so options registered
there would be "unrecognized arguments"; registered here, through the ``pytest11`` entry point
of the kit's distribution, pytest knows them before it parses anything. ``--everflow-live``
and ``--everflow-seed`` belong to the mocks' plugin (``mock_server.testing.pytest_plugin``), which
knows nothing of this suite.

Every pytest run in an environment with the kit loads this module, so it imports only pytest,
the standard library and the constants (``contract_tests.defaults`` and
``openapi.remote.defaults``, which import nothing); the checks of ``everflow-contract`` load only when a value is given to check.

Bad values of ``--everflow-pixel-id``, ``--everflow-offer-id``, ``--everflow-affiliate-id``
and ``--everflow-contract-url`` are refused once, at
configure time, by ``everflow-contract``'s own checks (a usage error, pytest's exit 4), not
as an error in every test of the suite.
"""

from __future__ import annotations

import os

import pytest

from contract_tests.defaults import PIXEL_IDS_ENV
from openapi.remote.defaults import DEFAULT_BACKOFF, DEFAULT_RATE, KEY_ENV

REQUIRE_KEY_INI = "everflow_require_key"
NEIGHBOUR_OPTIONS = (("offer", "an offer"), ("affiliate", "a partner (affiliate)"))
"""``--everflow-offer-id`` and ``--everflow-affiliate-id`` (``everflow-contract``'s
``--offer-id`` and ``--affiliate-id``): the kind, and what it names."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the contract suite's options, in a group of their own in ``--help``."""
    group = parser.getgroup(
        "everflow-contract",
        "Everflow contract suite (contract_tests; its live target also needs --everflow-live)",
    )
    group.addoption(
        "--everflow-contract-url",
        action="append",
        default=[],
        metavar="URL",
        help=f"contract suite: also judge this base URL, key from {KEY_ENV} (none needed on "
        "loopback); repeatable (default: none)",
    )
    group.addoption(
        "--everflow-pixel-id",
        action="append",
        default=[],
        metavar="ID",
        help="contract suite: a pixel id that exists on the URL and live targets; repeatable, "
        f"or 12,34 (as everflow-contract takes them), or {PIXEL_IDS_ENV}=12,34 (default: none)",
    )
    for kind, noun in NEIGHBOUR_OPTIONS:
        group.addoption(
            f"--everflow-{kind}-id",
            action="append",
            default=[],
            metavar="ID",
            help=f"contract suite: {noun} to read (read-only) on the URL and live targets; "
            f"repeatable, or 12,34 (as everflow-contract takes {kind} ids) (default: none: the "
            "first one a postback read names)",
        )
    group.addoption(
        "--everflow-strict",
        action="store_true",
        default=False,
        help="contract suite: drift warnings fail (default: off)",
    )
    group.addoption(
        "--everflow-allow-writes",
        action="store_true",
        default=False,
        help="contract suite: on the URL and live targets (and the mock ones), also create, "
        "replace and delete one inactive probe postback, deleted in any case; only this "
        "option turns writes on, no environment variable does (default: off, read-only)",
    )
    group.addoption(
        "--everflow-rate",
        type=float,
        default=DEFAULT_RATE,
        metavar="PER_SECOND",
        help="contract suite: requests per second to URL and live targets (default: %(default)s)",
    )
    group.addoption(
        "--everflow-backoff",
        type=float,
        default=DEFAULT_BACKOFF,
        metavar="SECONDS",
        help="contract suite: first retry delay after a 429 or 5xx (default: %(default)s)",
    )
    group.addoption(
        "--everflow-require-key",
        action="store_true",
        default=False,
        help=f"contract suite: a missing (unset or empty) {KEY_ENV} stops the run before any "
        "test (pytest's usage error, exit 4) instead of skipping the live and URL targets; "
        f"for CI, where a secret that is gone must not turn the job green (also the ini "
        f"setting {REQUIRE_KEY_INI}) (default: off)",
    )
    parser.addini(
        REQUIRE_KEY_INI,
        type="bool",
        default=False,
        help="contract suite: as --everflow-require-key (default: false)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Refuse a bad ``--everflow-pixel-id`` or ``--everflow-contract-url``, or a missing key
    under ``--everflow-require-key``, before any test runs, with the option, the value and
    ``everflow-contract``'s reason."""
    required_by = _key_required_by(config)
    if required_by and not os.environ.get(KEY_ENV):
        from contract_tests.options import missing_key

        raise pytest.UsageError(str(missing_key(KEY_ENV, required_by)))
    pixel_ids: list[str] = config.getoption("--everflow-pixel-id", default=[])
    urls: list[str] = config.getoption("--everflow-contract-url", default=[])
    if pixel_ids:
        import argparse

        from openapi.remote.values import pixel_ids as parse_pixel_ids

        for value in pixel_ids:
            try:
                parse_pixel_ids(value)
            except argparse.ArgumentTypeError as error:
                raise pytest.UsageError(f"--everflow-pixel-id: {error}") from None
    for kind, _ in NEIGHBOUR_OPTIONS:
        neighbour_ids(config, kind)
    if urls:
        from openapi.remote.masking import MASK, printable
        from openapi.remote.targets import UnsafeTarget, check_base_url

        for value in urls:
            try:
                check_base_url(value)
            except UnsafeTarget as error:
                raise pytest.UsageError(
                    printable(f"--everflow-contract-url {_shown(value, MASK)!r}: {error}")
                ) from None


def neighbour_ids(config: pytest.Config, kind: str) -> list[int]:
    """The ids ``--everflow-{kind}-id`` gives (``offer``, ``affiliate``), read as
    ``everflow-contract --{kind}-id`` reads them (repeatable, ``12,34``); a bad one is
    pytest's usage error, naming the option and the value."""
    values: list[str] = config.getoption(f"--everflow-{kind}-id", default=[])
    if not values:
        return []
    import argparse

    from contract_tests.options import ids_of

    parse = ids_of(f"{kind} ids")
    try:
        return [i for value in values for i in parse(value)]
    except argparse.ArgumentTypeError as error:
        raise pytest.UsageError(f"--everflow-{kind}-id: {error}") from None


def _key_required_by(config: pytest.Config) -> str | None:
    """What requires the key, as the refusal names it: the option, the ini setting, or
    nothing (``None``)."""
    if config.getoption("--everflow-require-key", default=False):
        return "--everflow-require-key"
    if config.getini(REQUIRE_KEY_INI):
        return f"{REQUIRE_KEY_INI} = true"
    return None


def _shown(url: str, mask: str) -> str:
    """``url`` as an error may repeat it: what stands before an ``@`` in its authority
    (``user:password``, which may be a key) masked."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "", url
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = mask + "@" + authority.rpartition("@")[2]
    return scheme + separator + authority + slash + path
