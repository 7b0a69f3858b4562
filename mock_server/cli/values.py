"""Option values of ``everflow-mock``, as argparse types: each reads one text and refuses,
with a usage line (exit 2), what the mock would not take."""

from __future__ import annotations

import argparse
from typing import ClassVar

from mock_server.core.clock import ClockSetting, parse_clock
from mock_server.core.config import RateLimit
from mock_server.core.controls import MAX_DELAY_MS

MIB = 1024 * 1024


def positive_integer(text: str) -> int:
    value = integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def integer(text: str) -> int:
    # int() of a huge digit string raises ValueError past 4,300 digits; argparse turns
    # ArgumentTypeError into a usage line, and a long number is not a useful thing to echo.
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, not {text[:40]!r}") from None


def delay(text: str) -> int:
    value = integer(text)
    if not 0 <= value <= MAX_DELAY_MS:
        raise argparse.ArgumentTypeError(
            f"must be 0 to {MAX_DELAY_MS} milliseconds (the cap of Prefer: delay), not {text}"
        )
    return value


def port(text: str) -> int:
    value = integer(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, not {text}")
    return value


def port_or_any(text: str) -> int:
    """A port to bind, or 0 for any free one."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"must be a port number (0: any free one), not {text[:40]!r}"
        )
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds, not {text[:40]!r}"
        ) from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(
            f"must be more than 0 and at most 3600 seconds, not {text}"
        )
    return value


def size(text: str) -> int:
    """Bytes: ``1048576``, ``512k`` (KiB) or ``1m`` (MiB)."""
    number, unit = text.strip(), 1
    if number[-1:].lower() in ("k", "m"):
        number, unit = number[:-1], {"k": 1024, "m": MIB}[number[-1].lower()]
    if not number.isdigit() or int(number) < 1:
        raise argparse.ArgumentTypeError(
            f"must be a positive number of bytes, like 1048576, 512k or 1m, not {text[:40]!r}"
        )
    return int(number) * unit


def size_text(size: int) -> str:
    """``size`` as ``size`` reads it, in the largest unit that divides it."""
    for suffix, unit in (("m", MIB), ("k", 1024)):
        if size % unit == 0:
            return f"{size // unit}{suffix}"
    return str(size)


def rate_limit(text: str) -> RateLimit | None:
    try:
        return RateLimit.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def clock(text: str) -> ClockSetting:
    try:
        return parse_clock(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text[:40]!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


def destination(text: str) -> str:
    from mock_server.firing.engine import parse_destination  # only when the option is given

    try:
        parse_destination(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


MIN_TOKEN_CHARS = 16
"""The shortest admin token ``serve`` takes: under a token the admin API answers names that
are not this machine's, so a web page can send guesses (throttled, but a short token falls
to a list of common ones)."""


def token(text: str) -> str:
    # Said without the value: it is a secret.
    if not text or not all(33 <= ord(c) <= 126 for c in text):
        raise argparse.ArgumentTypeError("must be printable ASCII without spaces, and not empty")
    if len(text) < MIN_TOKEN_CHARS:
        raise argparse.ArgumentTypeError(
            f"must be at least {MIN_TOKEN_CHARS} characters: a long random one, such as "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))' prints"
        )
    return text


class Removed(argparse.Action):
    """An option that no longer exists: a usage error saying why, instead of argparse's bare
    "unrecognized arguments" for a script written against an earlier version."""

    REASONS: ClassVar[dict[str, str]] = {
        "--max-keys": "rate-limit buckets are per key kind, so keys cost no memory; drop the option",
    }

    def __init__(self, option_strings: list[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs="?", default=argparse.SUPPRESS, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        name = option_string or self.option_strings[0]
        parser.error(f"{name} was removed: {self.REASONS[name]}")
