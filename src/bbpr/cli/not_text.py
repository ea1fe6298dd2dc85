"""Bytes that are not text in what was typed: refused before a command runs, naming where.

On POSIX, arguments and environment variables are bytes; Python decodes them in the locale's
encoding (UTF-8 nearly everywhere) and keeps each byte it cannot decode as a lone surrogate
(`surrogateescape`). Such a value cannot be sent, compared or printed as text: it reached an
encoder deep inside a run and ended in exit 1. So every command's values are checked once,
when its options are parsed (`check`): a value holding such bytes is exit 2, naming the
option or the environment variable it came from, and showing the bytes. Paths are the
exception: a file name may be any bytes, and the file system takes them back as they came.
"""

from __future__ import annotations

import os
import re
import sys

import click
from click.core import ParameterSource

_NOT_TEXT = re.compile("[\ud800-\udfff]")


def holds_bytes_that_are_not_text(value: str) -> bool:
    return _NOT_TEXT.search(value) is not None


def shown(value: str) -> str:
    """The value with each byte that is not text as `\\xNN`, the rest as it is."""
    return os.fsencode(value).decode("utf-8", "backslashreplace")


def check(ctx: click.Context) -> None:
    """Refuse (exit 2) a value of `ctx`'s command that holds bytes that are not text."""
    for param in ctx.command.params:
        if isinstance(param.type, click.Path) or param.name is None:
            continue
        value = ctx.params.get(param.name)
        values = value if isinstance(value, tuple | list) else (value,)
        for text in values:
            if not (isinstance(text, str) and holds_bytes_that_are_not_text(text)):
                continue
            encoding = sys.getfilesystemencoding().upper().replace("UTF8", "UTF-8")
            source = ctx.get_parameter_source(param.name)
            if source is ParameterSource.ENVIRONMENT and isinstance(param.envvar, str):
                raise click.UsageError(
                    f"{param.envvar} holds bytes that are not {encoding} text; set it again "
                    "as text.", ctx)
            raise click.BadParameter(
                f"'{shown(text)}' holds bytes that are not {encoding} text; type it again as "
                "text.",
                ctx, param)

