"""The `bbpr` command line: parsing, output, exit codes. No HTTP in this package.

Errors become one or two sentences on stderr and the exit code of their class (see
`bbpr.errors`); a traceback appears only with `--debug`.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from typing import Any

import click

from .._version import __version__
from ..errors import BbprError
from ..redaction import Redactor
from .common import global_options
from .sanitize import lines

COMPLETE_VARIABLE = "_BBPR_COMPLETE"


_COMMANDS = {
    "auth": "auth_command:auth",
    "completion": "completion_command:completion",
    "demo": "demo_command:demo",
    "doctor": "doctor_command:doctor",
    "emulator": "emulator_command:emulator",
    "list": "list_command:list_command",
    "report": "report_command:report_command",
    "sync": "sync_command:sync_command",
    "view": "view_command:view",
}
"""Each command's module and name: a command is imported when it runs (or when `--help`
lists them all), so that `bbpr list` loads neither the emulator's options nor the demo."""


class _Group(click.Group):
    """A group whose commands are imported when asked for (`_COMMANDS`), and that says
    gh's or a near spelling of an unknown command. A closed pipe leaves the command as
    `PipeClosed`, not an OSError, so that click's `main()` (which completion needs) cannot
    turn it into exit code 1."""

    def __init__(self, *args: Any, lazy: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = tuple(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.lazy, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            from importlib import import_module

            module, _, name = _COMMANDS[cmd_name].partition(":")
            command = getattr(import_module(f"{__name__}.{module}"), name)
            assert isinstance(command, click.Command)
            self.commands[cmd_name] = command
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str],
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as error:
            raise self._unknown(ctx, error.command_name) from None

    def _unknown(self, ctx: click.Context, name: str) -> click.UsageError:
        """`bbpr login` is `bbpr auth login`, as in gh; else the nearest command's name,
        among those not imported yet too."""
        auth = self.get_command(ctx, "auth") if "auth" in self.lazy else None
        if isinstance(auth, click.Group) and name in auth.commands:
            return click.exceptions.NoSuchCommand(
                name, f"No such command {name!r}. Did you mean 'bbpr auth {name}'?", ctx=ctx)
        return click.exceptions.NoSuchCommand(name, possibilities=self.list_commands(ctx),
                                              ctx=ctx)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BrokenPipeError as error:
            raise PipeClosed from error


class PipeClosed(Exception):
    """The reader of our output went away (`| head`)."""


@click.group(cls=_Group, lazy=tuple(_COMMANDS),
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="bbpr",
                      message="%(prog)s %(version)s")
@global_options
def cli() -> None:
    """List pull requests from Bitbucket Cloud and Bitbucket Data Center.

    \b
    bbpr list workspace/repo --state all      pull requests of one repository
    bbpr list                                 ... of the current git clone's repository
    bbpr list workspace --state merged        ... of every repository of a workspace
    bbpr view workspace/repo 42 --web         one pull request (--web: in the browser)
    bbpr sync workspace/repo                  keep a local copy; then: bbpr list ... --cached
    bbpr report workspace --html report.html  review metrics from the copy, with charts
    bbpr completion bash                      shell completion (see bbpr completion --help)
    bbpr demo                                 the whole job against a built-in emulator
    """


@click.group(cls=_Group, lazy=("list", "view"), hidden=True)
@global_options
def pr() -> None:
    """gh's spelling: `bbpr pr list` and `bbpr pr view` are `bbpr list` and `bbpr view`.
    \f
    Hidden, so that `bbpr --help` lists each command once."""


cli.add_command(pr)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `bbpr` script: run, then exit with the right code."""
    sys.exit(_run(list(sys.argv[1:] if argv is None else argv)))


def _run(args: list[str]) -> int:
    debug = "--debug" in args
    # Stopping early (--limit, a closed pipe) cancels requests still connecting; anyio, under
    # httpx, then leaves one of its connection attempts unawaited and Python says so on
    # stderr at exit. Nothing is wrong, and scripts reading stderr should not see it.
    warnings.filterwarnings("ignore", category=RuntimeWarning,
                            message="coroutine 'connect_tcp.<locals>.try_connect' was never")
    try:
        # main(), for its shell completion (_BBPR_COMPLETE); not standalone, so that the
        # exit codes and messages stay ours.
        result = cli.main(args, prog_name="bbpr", complete_var=COMPLETE_VARIABLE,
                          standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.exceptions.Abort as aborted:
        # main() turns Ctrl-C into Abort; a prompt given up (Ctrl-D) is one too.
        interrupted = isinstance(aborted.__cause__, KeyboardInterrupt)
        click.echo("Interrupted." if interrupted else "Aborted.", err=True)
        return 130
    except click.NoSuchOption as error:
        from .unknown_option import explained

        explained(error).show()
        return error.exit_code
    except click.ClickException as error:
        import io

        shown = io.StringIO()  # it may quote what was typed: a URL's user:password@ too
        error.show(file=shown)
        click.echo(Redactor()(shown.getvalue()), err=True, nl=False)
        return error.exit_code
    except BbprError as error:  # an expected outcome: its sentence says it all, even in --debug
        # The sentence may quote the server: shown, never obeyed (library users get it exact).
        click.echo(lines(Redactor()(error.message)), err=True)
        return error.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except (BrokenPipeError, PipeClosed):  # the reader went away: exit as a killed writer would
        _silence_stdout()
        return 141
    except Exception as error:  # the last line of defence: no raw traceback
        if debug:
            _traceback()
        click.echo(
            f"bbpr failed unexpectedly ({type(error).__name__}). Run again with --debug for the "
            "details, and please report it.",
            err=True,
        )
        return 1
    return result if isinstance(result, int) else 0


def _traceback() -> None:
    import traceback

    click.echo(lines(Redactor()(traceback.format_exc())), err=True)


def _silence_stdout() -> None:
    """After the reader of our output went away, keep Python from complaining at exit."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
