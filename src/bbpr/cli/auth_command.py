"""`bbpr auth login|status|logout`: store, check and forget credentials."""

from __future__ import annotations

import os
import sys

import click

from .common import checked_email, debug_trace, global_options, note, read_secret
from .sanitize import lines, one_line


@click.group(short_help="Store, check and forget credentials.")
@global_options
def auth() -> None:
    """Store, check and forget credentials (OS keyring, or a private file on request)."""


@auth.command()
@click.option("--server", metavar="URL",
              help="Log in to this Bitbucket Data Center server (default: Bitbucket Cloud).")
@click.option("--email", metavar="EMAIL", callback=checked_email,
              help="Atlassian account email (Cloud API tokens).")
@click.option("--username", metavar="NAME", help="User name (Data Center).")
@click.option("--with-token", is_flag=True,
              help="Read the token from standard input instead of asking for it.")
@click.option("--insecure-storage", is_flag=True,
              help="Where no OS keyring exists, keep the secret in the config file (mode 0600).")
@global_options
def login(server: str | None, email: str | None, username: str | None, with_token: bool,
          insecure_storage: bool) -> int:
    """Check a token with the server, then store it for later runs.

    \b
    bbpr auth login --email you@example.com          asks for the API token
    echo "$TOKEN" | bbpr auth login --email you@example.com --with-token
    bbpr auth login --server https://git.example.com --with-token < token.txt
    """
    import asyncio

    from ..asked.targets import normalise_server
    from ..credentials.auth import login as log_in
    from ..credentials.kinds import token_kind
    from ..credentials.store import CredentialStore, GivenSecret, keyring_available
    from ..errors import InputError
    from ..http import HttpOptions

    if email and username:
        raise click.UsageError("Give --email (Cloud API token) or --username, not both.")
    server = normalise_server(server) if server else None
    store = CredentialStore.default()
    # Not usage errors (the command line was right): their sentence alone, no usage banner.
    if not insecure_storage and not keyring_available():
        raise InputError(store.no_keyring_message())
    if not with_token and not sys.stdin.isatty():
        raise InputError("No terminal to ask for the token on: pass --with-token and give the "
                         "token on standard input.")
    secret = read_secret("Password or token" if server else "API token")
    email = email or os.environ.get("BITBUCKET_EMAIL") or None
    if server is None and token_kind(secret) == "api_token" and not email:
        if not sys.stdin.isatty():
            raise click.UsageError("An API token is used with your Atlassian account email: "
                                   "pass --email.")
        email = str(click.prompt("Atlassian account email", err=True)).strip()
    given = GivenSecret(secret, email=email, username=username)
    status, storage = asyncio.run(log_in(
        given, server=server, environ=dict(os.environ), insecure_storage=insecure_storage,
        store=store, options=HttpOptions(trace=debug_trace(), max_attempts=3, notice=note)))
    who = _who(status.identity)
    where = "the OS keyring" if storage == "keyring" else f"{store.path} (readable only by you)"
    click.echo(f"Logged in to {status.host}{who}. The secret is kept in {where}.")
    return 0


@auth.command()
@global_options
def status() -> int:
    """Check every stored login, and the environment's credential, live."""
    import asyncio

    from ..credentials.auth import status_of_all
    from ..http import HttpOptions

    checks = asyncio.run(status_of_all(dict(os.environ),
                                       options=HttpOptions(trace=debug_trace(), max_attempts=3,
                                                           notice=note)))
    if not checks:
        click.echo("Not logged in: run `bbpr auth login`, or set BITBUCKET_EMAIL and "
                   "BITBUCKET_TOKEN.", err=True)
        return 3
    from_environment = {check.host for check in checks
                        if check.credentials.source == "the environment"}
    for check in checks:
        click.echo(f"{check.host}")
        click.echo(f"  credential: {check.credentials.describe()}")
        if check.credentials.source == "the environment":
            click.echo("  used: yes, the environment comes before stored logins")
        elif check.host in from_environment:
            click.echo("  used: no, while the environment holds a credential (unset "
                       "BITBUCKET_TOKEN and the like to use this login)")
        if check.error is not None:
            click.echo(f"  FAILED: {lines(check.error.message)}")
            continue
        click.echo(f"  logged in{_who(check.identity) or ' (the server did not say as whom)'}")
        if check.identity and check.identity.scopes is not None:
            click.echo(f"  scopes: {', '.join(sorted(check.identity.scopes)) or 'none'}")
        if check.scopes and check.scopes.missing_required:
            click.echo(f"  FAILED: lacks {', '.join(check.scopes.missing_required)}, which "
                       "listing pull requests needs.")
        elif check.scopes and check.scopes.missing_useful:
            click.echo(f"  note: lacks {', '.join(check.scopes.missing_useful)} (useful, not "
                       "needed).")
    # The code of the first failure, as `bbpr list` would end with it: a setting that is
    # not a URL is bad input (2), a credential refused is 3, a server that did not answer 5.
    failed = [check for check in checks if not check.ok]
    if not failed:
        return 0
    return failed[0].error.exit_code if failed[0].error is not None else 3


@auth.command()
@click.option("--server", metavar="URL", help="Forget this Data Center server's login.")
@global_options
def logout(server: str | None) -> int:
    """Forget a stored login (Bitbucket Cloud unless --server)."""
    from ..asked.targets import normalise_server
    from ..connect import cloud_host
    from ..credentials.store import CredentialStore

    host = normalise_server(server) if server else cloud_host(dict(os.environ))
    if CredentialStore.default().forget(host):
        click.echo(f"Forgot the login for {host}.")
    else:
        note(f"No login was stored for {host}.")
    return 0


def _who(identity: object) -> str:
    """` as Name (login)`: the server's words, shown, not obeyed."""
    name = one_line(getattr(identity, "name", None) or "")
    login_name = one_line(getattr(identity, "login", None) or "")
    if name and login_name:
        return f" as {name} ({login_name})"
    return f" as {name or login_name}" if (name or login_name) else ""
