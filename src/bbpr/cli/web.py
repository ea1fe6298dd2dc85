"""`--web`: open a page in the browser (Python's `webbrowser`, which honours `$BROWSER`), or
print its address where no browser can be opened (a server, a container, ssh)."""

from __future__ import annotations

from typing import IO
from urllib.parse import quote

from ..asked.targets import Target
from ..models import STATES
from .common import note
from .sanitize import one_line

CLOUD_WEB = "https://bitbucket.org"


def open_page(url: str, stream: IO[str]) -> int:
    import webbrowser

    if not url:
        note("The server gave no web address for this pull request.")
        return 4
    try:
        opened = webbrowser.open(url)
    except webbrowser.Error:
        opened = False
    if opened:
        note(f"Opened {url} in your browser.")
    else:
        note("No browser could be opened here; the page is:")
        stream.write(one_line(url) + "\n")
    return 0


def list_page(target: Target, states: frozenset[str]) -> str:
    """The browser page that lists what `bbpr list TARGET` lists, as near as a page can: it
    takes one state, or all (several states open them all; `not_shown` says so)."""
    state = next(iter(states)) if len(states) == 1 else "ALL"
    if target.flavour == "cloud":
        owner = quote(target.owner)
        if target.repo_slug is None:
            if target.project:
                return f"{CLOUD_WEB}/{owner}/workspace/projects/{quote(target.project)}"
            return f"{CLOUD_WEB}/{owner}/workspace/repositories/"
        url = f"{CLOUD_WEB}/{owner}/{quote(target.repo_slug)}/pull-requests/"
    else:
        if target.owner.startswith("~"):
            base = f"{target.server}/users/{quote(target.owner[1:])}"
        else:
            base = f"{target.server}/projects/{quote(target.owner)}"
        if target.repo_slug is None:
            return base
        url = f"{base}/repos/{quote(target.repo_slug)}/pull-requests"
    return f"{url}?state={state}" if state != "OPEN" else url


def not_shown(target: Target, states: frozenset[str], given: list[str]) -> str | None:
    """What the page opened for `bbpr list TARGET --web` will not show of what was asked:
    `given`, the options it cannot carry; several states, which it shows as all; and for a
    workspace or project, any pull request (its page lists repositories)."""
    if target.repo_slug is None:
        return (f"That is the page of {target.full_name}'s repositories: the web lists pull "
                "requests a repository at a time. Without --web, bbpr lists every one of them.")
    missing = list(given)
    if 1 < len(states) < len(STATES):
        missing.insert(0, "--state " + ",".join(sorted(states)).lower() + " (it shows all states)")
    if not missing:
        return None
    return (f"The page does not filter by {', '.join(missing)}: it shows more than bbpr list "
            "would. Without --web, bbpr lists only what matches.")
