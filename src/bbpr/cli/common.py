"""What every command shares: `--debug` and `--quiet` (before or after the command name),
and the way notes and traces reach stderr."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Settings:
    debug: bool = False
    quiet: bool = False


def settings() -> Settings:
    root = click.get_current_context().find_root()
    if root.obj is None:
        root.obj = Settings()
    assert isinstance(root.obj, Settings)
    return root.obj


def global_options(function: F) -> F:
    """`--debug` and `--quiet`, accepted by the group and by every command."""
    function = click.option(
        "--quiet", "-q", is_flag=True, expose_value=False, callback=_remember("quiet"),
        help="Print nothing on stderr but errors.",
    )(function)
    return click.option(
        "--debug", is_flag=True, expose_value=False, callback=_remember("debug"),
        help="Print every HTTP exchange, credentials redacted, and tracebacks.",
    )(function)


def _remember(name: str) -> Callable[[click.Context, click.Parameter, bool], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            setattr(settings(), name, True)

    return callback


def note(message: str) -> None:
    """A line for the user on stderr, unless --quiet."""
    if not settings().quiet:
        click.echo(message, err=True)


def trace(text: str) -> None:
    """Receives `--debug` HTTP traces (already redacted)."""
    click.echo(text, err=True)


def debug_trace() -> Callable[[str], None] | None:
    return trace if settings().debug else None
