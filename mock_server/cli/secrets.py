"""The serve command's secrets (API keys, the admin token) from options, files and the
environment, which keep them out of ``ps``; refused without saying the values."""

from __future__ import annotations

import argparse

from mock_server.cli.fire import ADMIN_TOKEN_ENV
from mock_server.cli.values import token as admin_token_value
from mock_server.core.config import KEY_KINDS
from openapi.files import TooLarge, read_capped

API_KEY_ENV = "EVERFLOW_MOCK_API_KEY"
MAX_SECRET_BYTES = 64 * 1024
"""The largest secret file read: a token is a line, a key file a few keys. Read with a
cap whatever the file is, so ``/dev/zero`` or a FIFO costs no more."""


def secret_lines(path: str, option: str, what: str) -> list[str]:
    """The non-blank lines of ``path`` (named by ``option``), stripped; an ``OSError``
    (exit 2) naming the option if it cannot be read, is larger than ``MAX_SECRET_BYTES``,
    starts with a byte-order mark (which would become part of the secret) or holds none."""
    try:
        text = read_capped(path, MAX_SECRET_BYTES).decode("utf-8")
    except TooLarge as error:
        raise OSError(f"{option} {path}: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise OSError(f"{option} {path}: {reason or error}") from None
    if text.startswith("\ufeff"):
        raise OSError(f"{option} {path}: starts with a UTF-8 byte-order mark; save it without one")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise OSError(f"{option} {path}: no {what} in the file")
    return lines


def read_secrets(args: argparse.Namespace) -> tuple[tuple[str, ...], str | None]:
    """The API keys and admin token from the options, the files they name and the
    environment, which keep them out of ``ps`` (said without the values if wrong)."""
    import os

    keys = list(args.api_key or ())
    if args.api_key_file:
        keys += secret_lines(args.api_key_file, "--api-key-file", "API key")
    if os.environ.get(API_KEY_ENV):
        keys.append(os.environ[API_KEY_ENV])
    token, source = args.admin_token, f"${ADMIN_TOKEN_ENV}"
    if token is None and args.admin_token_file:
        source = f"--admin-token-file {args.admin_token_file}"
        (token, *more) = secret_lines(args.admin_token_file, "--admin-token-file", "admin token")
        if more:
            raise OSError(f"{source}: more than one line; an admin token is one")
    if token is None and os.environ.get(ADMIN_TOKEN_ENV):
        token = os.environ[ADMIN_TOKEN_ENV]
    for key in keys:
        kind, colon, rest = key.partition(":")
        if not key.strip() or (colon and kind in KEY_KINDS and not rest.strip()):
            raise OSError(
                "an API key (from --api-key, --api-key-file or $"
                f"{API_KEY_ENV}) is empty: no request could ever use it"
            )
    if token is not None and token is not args.admin_token:
        try:
            admin_token_value(token)
        except argparse.ArgumentTypeError as error:
            raise OSError(f"{source}: the admin token {error}") from None
    return tuple(dict.fromkeys(keys)), token
