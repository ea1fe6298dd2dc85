"""What every command shares: `--debug` and `--quiet` (before or after the command name),
and the way notes and traces reach stderr."""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from .sanitize import lines

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from ..asked.targets import Target
    from ..connect import Connection
    from ..credentials.store import GivenSecret

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
    """`--debug` and `--quiet`, accepted by the group and by every command; and, before the
    command runs, its values checked for bytes that are not text (`not_text`)."""
    function = _checked_as_text(function)
    function = click.option(
        "--quiet", "-q", is_flag=True, expose_value=False, callback=_remember("quiet"),
        help="Print nothing on stderr but errors.",
    )(function)
    return click.option(
        "--debug", is_flag=True, expose_value=False, callback=_remember("debug"),
        help="Print every HTTP exchange, credentials redacted, and tracebacks.",
    )(function)


def _checked_as_text(function: F) -> F:
    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        from .not_text import check

        check(click.get_current_context())
        return function(*args, **kwargs)

    return cast(F, checked)


def _remember(name: str) -> Callable[[click.Context, click.Parameter, bool], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            setattr(settings(), name, True)

    return callback


def note(message: str) -> None:
    """A line for the user on stderr, unless --quiet; server text in it is shown, not obeyed."""
    if not settings().quiet:
        click.echo(lines(message), err=True)


def trace(text: str) -> None:
    """Receives `--debug` HTTP traces (already redacted), whose bodies are server text."""
    click.echo(lines(text), err=True)


def debug_trace() -> Callable[[str], None] | None:
    return trace if settings().debug else None


def credential_options(function: F) -> F:
    """`--email`, `--username`, `--with-token`: credentials for this run, no secret in argv."""
    function = click.option(
        "--with-token", is_flag=True,
        help="Read the token (or password) from standard input; on a terminal, ask for it "
             "without echo.",
    )(function)
    function = click.option(
        "--username", metavar="NAME",
        help="User name (Data Center; overrides $BITBUCKET_USERNAME).",
    )(function)
    return click.option("--email", metavar="EMAIL", callback=checked_email,
                        help="Atlassian account email for an API token (overrides "
                             "$BITBUCKET_EMAIL).")(function)


def checked_email(ctx: click.Context, param: click.Parameter, email: str | None) -> str | None:
    """`--email` is checked as itself, so that a mistake in it is not blamed on the
    BITBUCKET_EMAIL it stands in for."""
    if not email or not email.strip():
        return None
    from .not_text import holds_bytes_that_are_not_text

    if holds_bytes_that_are_not_text(email):
        return email  # said as such once every value is parsed (`not_text.check`)
    from ..credentials.kinds import check_email

    return check_email(email.strip(), "--email")


def read_secret(prompt: str = "Token") -> str:
    """A secret from stdin when piped, or from a prompt that does not echo on a terminal."""
    from ..errors import InputError

    try:
        if sys.stdin.isatty():
            secret = str(click.prompt(prompt, hide_input=True, err=True))
        else:
            secret = sys.stdin.read()
    except UnicodeDecodeError:  # a locale whose standard input is strict about its encoding
        raise InputError("The token given on standard input holds bytes that are not text in "
                         f"this locale's encoding ({sys.stdin.encoding}); copy it again in one "
                         "piece.") from None
    secret = secret.strip()
    if not secret:
        raise InputError("No token was given on standard input.")
    return secret


def overlay(environ: Mapping[str, str], *, email: str | None,
            username: str | None) -> dict[str, str]:
    """The environment, with the user names given as flags in place of the variables."""
    merged = dict(environ)
    if email:
        merged["BITBUCKET_EMAIL"] = email
    if username:
        merged["BITBUCKET_USERNAME"] = username
    return merged


def network_options(function: F) -> F:
    """`--concurrency`, `--max-wait` and `--ca-bundle`: how a run uses the network."""
    function = click.option(
        "--ca-bundle", type=click.Path(exists=True, dir_okay=False), metavar="PATH",
        help="PEM file of the certificate authorities to trust (default: the OS store, or "
             "$SSL_CERT_FILE).",
    )(function)
    function = click.option(
        "--max-wait", type=_SECONDS, default=600, show_default=True, metavar="SECONDS",
        help="Give up (exit 5) once retries, rate-limit pauses and requests that did not "
             "answer have taken this long in all.",
    )(function)
    return click.option("--concurrency", type=click.IntRange(1, 64), default=8,
                        show_default=True, help="Requests in flight at most.")(function)


class HintedChoice(click.Choice[str]):
    """A choice in any case (`JSON` is `json`), whose error suggests the nearest value:
    `'jsn' ... Did you mean 'json'?`."""

    def __init__(self, choices: Sequence[str]) -> None:
        super().__init__(choices, case_sensitive=False)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as error:
            from ..asked.suggestions import did_you_mean

            hint = did_you_mean(str(value).lower(), [str(choice) for choice in self.choices])
            if not hint:
                raise
            raise click.BadParameter(f"{error.message}{hint}", ctx, param) from None


def complete_list(
    choices: Sequence[str],
) -> Callable[[click.Context, click.Parameter, str], list[CompletionItem]]:
    """Completion for a comma-separated list: the values that may follow the last comma."""

    def complete(ctx: click.Context, param: click.Parameter,
                 incomplete: str) -> list[CompletionItem]:
        from click.shell_completion import CompletionItem

        done, _, last = incomplete.rpartition(",")
        head = f"{done}," if done else ""
        given = set(done.split(","))
        return [CompletionItem(head + choice) for choice in choices
                if choice.startswith(last) and choice not in given]

    return complete


def json_option(fields: Sequence[str]) -> Callable[[F], F]:
    """gh's `--json FIELDS`: `--format json` with these fields; `--json` alone lists them."""
    return click.option(
        "--json", "json_fields", metavar="FIELDS", is_flag=False, flag_value="", default=None,
        shell_complete=complete_list(fields),
        help="gh's spelling of --format json with these comma-separated fields; alone, it "
             "lists them.")


def gh_json(json_fields: str, output_format: str | None, fields: Sequence[str]) -> str:
    """`--json FIELDS` checked, as gh takes it: the fields are named, with no other format."""
    if output_format not in (None, "json"):
        raise click.UsageError(f"--json prints JSON; it cannot go with --format {output_format}.")
    if not json_fields.strip():
        from ..errors import InputError

        raise InputError("--json needs the fields to print, comma-separated, as in --json "
                         "id,title. Fields:\n" + "\n".join(f"  {name}" for name in fields))
    return json_fields


def repo_option(function: F) -> F:
    """`-R/--repo`, as in gh: the repository, for those who prefer a flag to an argument."""
    return click.option("-R", "--repo", "repo_flag", metavar="REPO",
                        help="The repository (or workspace, project, URL); default: the "
                             "current git clone's Bitbucket remote.")(function)


def target_for(repo: str | None, repo_flag: str | None, server: str | None) -> Target:
    """What to work on: REPO, or `-R REPO`, or else the current git clone's remote."""
    from ..asked.targets import parse_target

    if repo and repo_flag and repo != repo_flag:
        raise click.UsageError(f"Give the repository once: {repo!r} or -R {repo_flag!r}.")
    named = repo or repo_flag
    if named and named.strip() not in (".", "./"):
        return parse_target(named, server=server or None)
    from ..asked.git_remote import target_from_git

    target, remote = target_from_git(server=server or None)
    if settings().debug:
        where = f" on {target.server}" if target.server else " on Bitbucket Cloud"
        trace(f"* Repository {target.full_name}{where}, from the git remote {remote.name} "
              f"({remote.host}) of the current directory.")
    return target


class _Seconds(click.FloatRange):
    """Zero or more seconds: `nan` compares false with every bound, so it is refused here."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if math.isnan(seconds):
            self.fail(f"{value!r} is not a number of seconds.", param, ctx)
        return seconds


_SECONDS = _Seconds(min=0)


def connection_for(target: Target, environ: Mapping[str, str], given: GivenSecret | None, *,
                   concurrency: int, max_wait: float, ca_bundle: str | None) -> Connection:
    """The connection to the target's host, with credentials found the way every command
    finds them (a secret given for this run first), and their notes said once."""
    from ..connect import Connection
    from ..credentials.store import resolve
    from ..http import HttpOptions  # here, not above: keeps `--help` free of httpx

    credentials = None
    if given is not None:
        credentials = resolve(target.flavour, target.server or "", environ, given)
    connection = Connection(
        server=target.server, credentials=credentials, environ=environ,
        options=HttpOptions(concurrency=concurrency, max_wait=max_wait, ca_bundle=ca_bundle,
                            trace=debug_trace(), notice=note),
    )
    for message in connection.credentials.notes:
        note(message)
    return connection
