"""What the user asked to list: a repository, a Cloud workspace or a Data Center project.

Users type `workspace/repo-slug`, `PROJECT/repo-slug` with `--server`, or paste whatever URL
their browser or clone dialog shows. All of these become one `Target`, and a pasted URL picks
the flavour (and the Data Center server, context path included) by itself.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from urllib.parse import SplitResult, parse_qsl, urlsplit

from ..errors import InputError
from ..models import STATES, Flavour
from .suggestions import slugify

CLOUD_HOSTS = ("bitbucket.org", "www.bitbucket.org", "api.bitbucket.org")
_UUID = re.compile(r"^\{[0-9a-fA-F-]{36}\}$")
_PLACEHOLDER = re.compile(
    r"[{}<>]|^your[-_]|^(repo|repository)[-_]slug$|^workspace[-_]id$|^project[-_]key$",
    re.IGNORECASE,
)
_NAME = re.compile(r"^~?[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Target:
    """One thing to list pull requests of."""

    flavour: Flavour
    owner: str
    """The Cloud workspace ID, or the Data Center project key (`~user` for a personal one)."""
    repo_slug: str | None = None
    """None when the target is a whole workspace or project."""
    server: str | None = None
    """The Data Center base URL, context path included, without a trailing slash."""
    project: str | None = None
    """A Cloud project key within the workspace: only its repositories are listed."""
    pull_request: int | None = None
    """Set when a pull request's URL was given: `bbpr view` shows it, `bbpr list` refuses it."""
    states: tuple[str, ...] = ()
    """The states a pasted pull request list page names (`?state=MERGED`), upper case: what
    the page listed, and so what `bbpr list` lists unless `--state` says the same."""

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo_slug}" if self.repo_slug else self.owner

    @property
    def as_typed(self) -> str:
        """The target as a bbpr command takes it, `--server` included for Data Center: what
        the commands bbpr suggests (`bbpr sync ...`, `bbpr doctor ...`) put after their name."""
        return f"{self.full_name} --server {self.server}" if self.server else self.full_name


def parse_target(text: str, *, server: str | None = None) -> Target:
    """Parse a REPO, WORKSPACE or PROJECT argument, or a URL pasted in their place."""
    text = text.strip()
    if not text:
        raise InputError("Name a repository (workspace/repo-slug), a workspace or a project.")
    if _is_host(text.split("/", 1)[0]):
        text = f"https://{text}"  # a URL pasted without its scheme: bitbucket.org/acme/widgets
    if "://" in text or text.startswith("git@"):
        if text.lower().startswith(("http://", "https://")):
            _refuse_password(text)
        try:
            urlsplit(text).port  # noqa: B018 (a port that is not a number, an open "[")
        except ValueError:
            raise InputError(f"{text!r} is not a URL that can be read; paste the repository's "
                             "address from the browser again.") from None
        target = _from_url(text)
        if server and target.flavour == "datacenter" and target.server != normalise_server(server):
            raise InputError(
                f"The URL points at {target.server}, but --server says {server}; drop one of them."
            )
        return target
    server = normalise_server(server) if server else None
    parts = text.strip("/").split("/")
    if server is None and len(parts) > 3 and parts[2] in ("pull-requests", "pullrequests"):
        return _cloud_from_path(text, text)  # a bitbucket.org address copied without its host
    if len(parts) > 2:
        raise InputError(
            f"{text!r} has too many parts: give workspace/repo-slug, a workspace, or a URL."
        )
    # `acme widgets`: a space where the slash belongs (a workspace ID is lower case, so
    # `Acme Corp` is a display name instead, whose slug `_check_name` suggests).
    words = text.split()
    if len(parts) == 1 and len(words) == 2 and all(_NAME.match(word) for word in words) and (
            server or words[0] == words[0].lower()):
        raise InputError(f"{text!r} cannot be a workspace or repository: names hold no spaces. "
                         f"Did you mean {words[0]}/{words[1]}?")
    if len(parts) == 2:
        parts[1] = parts[1].removesuffix(".git")  # as in the clone URL it was copied from
    for part in parts:
        _check_name(part)
    flavour: Flavour = "datacenter" if server else "cloud"
    return Target(
        flavour=flavour,
        owner=parts[0],
        repo_slug=parts[1] if len(parts) == 2 else None,
        server=server,
    )


def server_spelling(target: Target) -> Target:
    """The target as its server spells it: a Data Center project key is upper case by rule
    (`acme/widgets` is `ACME/widgets`; a personal `~user` one is left as it is)."""
    if target.flavour != "datacenter" or target.owner.startswith("~"):
        return target
    owner = target.owner.upper()
    return replace(target, owner=owner) if owner != target.owner else target


def normalise_server(server: str, source: str = "--server or BITBUCKET_SERVER") -> str:
    """A Data Center base URL without trailing slash or the REST suffix pasted with it.
    `source`: where the value came from, as the messages name it."""
    split = checked_url(server, source)
    if split is None:
        raise InputError(
            f"The server address {server!r} ({source}) is not a URL; give the address of your "
            "Bitbucket Data Center server, such as https://git.example.com."
        )
    if split.hostname in CLOUD_HOSTS:
        raise InputError(
            f"{source} is for Bitbucket Data Center; for bitbucket.org, leave it out."
        )
    path = re.split(r"/(?:rest|projects|users|scm)(?:/|$)", split.path, maxsplit=1)[0]
    return normal_url(split, path)


def normal_url(split: SplitResult, path: str) -> str:
    """The one spelling of an address that bbpr keys on (the ledger, pacing, the copy's and
    the credentials' host): scheme and host in lower case, the scheme's own port left out,
    no trailing slash. `HTTPS://API.bitbucket.org:443/2.0/` is `https://api.bitbucket.org/2.0`."""
    return f"{split.scheme.lower()}://{origin(split)}{path.rstrip('/')}"


def origin(split: SplitResult) -> str:
    """`host[:port]` of a URL in lower case, without any `user@` a clone URL may carry, nor
    the port its scheme implies (`:443` for https, `:80` for http)."""
    host = split.hostname or ""
    host = f"[{host}]" if ":" in host else host
    port = split.port
    if port == _DEFAULT_PORTS.get(split.scheme.lower()):
        port = None
    return f"{host}:{port}" if port else host


_DEFAULT_PORTS = {"https": 443, "http": 80}


def _is_host(first: str) -> bool:
    """Workspace IDs and project keys hold no dots, host names do: `bitbucket.org/...`."""
    return "." in first and "://" not in first and not first.startswith("git@") and (
        first.lower() in CLOUD_HOSTS or bool(re.match(r"^[\w-]+(\.[\w-]+)+(:\d+)?$", first)))


def _refuse_password(text: str) -> None:
    """A pasted repository URL may carry a user name (clone dialogs show `https://dana@...`),
    which is dropped; a password in it is refused, as in `checked_url`."""
    userinfo = text.split("://", 1)[-1].split("/", 1)[0].rpartition("@")[0]
    if ":" in userinfo:
        checked_url(text, "the repository URL")


def checked_url(text: str, what: str) -> SplitResult | None:
    """An http(s) URL split into its parts, or None if it is not one.

    A URL with a user name or password in it is refused outright, without repeating it: the
    password would end up in the copy's `host` columns, in messages and in shell history,
    and would silently replace the configured credential. A port that is not a number or
    an unclosed `[` is "not a URL", not a crash.
    """
    text = text.strip()
    _check_characters(text, what)
    if "@" in text.split("://", 1)[-1].split("/", 1)[0]:
        raise InputError(
            f"The address given as {what} has a user name or password in it (user:password@); "
            "bbpr takes no credentials from URLs. Remove that part, and set BITBUCKET_TOKEN "
            "(or BITBUCKET_USERNAME and BITBUCKET_PASSWORD) instead."
        )
    try:
        split = urlsplit(text)
        split.port  # noqa: B018 (parsing the port is the check)
    except ValueError:
        return None
    if split.scheme not in ("http", "https") or not split.hostname:
        return None
    return split


def _check_characters(text: str, what: str) -> None:
    """A URL holds no control character (a terminal's ESC, a tab, NUL) and no byte that was
    not text (a lone surrogate, see `cli.not_text`): no HTTP library can send one, so the
    setting is named here, before anything is sent."""
    for character in text:
        kind = unicodedata.category(character)
        if kind == "Cs":
            raise InputError(f"The address given as {what} holds bytes that are not UTF-8 "
                             "text; set it again as text.")
        if kind == "Cc":
            raise InputError(f"The address given as {what} holds a control character "
                             f"({character!r}), which no URL can; set it again without it.")


def _check_name(part: str) -> None:
    if _UUID.match(part):
        return
    if _PLACEHOLDER.search(part):
        marks = (" without the braces" if "{" in part or "}" in part else
                 " without the angle brackets" if "<" in part or ">" in part else "")
        raise InputError(
            f"{part!r} looks like a placeholder from an example; put your own workspace and "
            f"repository slug there{marks}."
        )
    if part in (".", ".."):  # a path step, which a URL would take as one
        raise InputError(
            f"{part!r} cannot be a workspace ID, project key or repository slug: it means a "
            "folder, not a name. Copy the slug from the repository's URL."
        )
    if not _NAME.match(part):
        slug = slugify(part)
        guess = f" If it is a display name, the slug is probably {slug!r}." if slug else ""
        raise InputError(
            f"{part!r} cannot be a workspace ID, project key or repository slug: those hold only "
            f"letters, digits, '-', '_' and '.'.{guess} Copy the slug from the repository's URL."
        )


def _not_bitbucket(what: str) -> InputError:
    return InputError(
        f"{what}: give a Bitbucket Cloud URL (https://bitbucket.org/workspace/repo-slug) or "
        "workspace/repo-slug, or a Data Center URL with /projects/KEY/repos/slug, "
        "/users/name/repos/slug or /scm/KEY/slug.git in it."
    )


def _from_url(text: str) -> Target:
    host = (text[4:].partition(":")[0] if text.startswith("git@")
            else urlsplit(text).hostname or "").removeprefix("www.")
    if host in _OTHER_FORGES:
        raise _not_bitbucket(f"{text!r} is a {_OTHER_FORGES[host]} address, and bbpr reads "
                             "Bitbucket")
    if text.startswith("git@"):
        host, _, path = text[4:].partition(":")
        return _cloud_from_path(path, text) if host in CLOUD_HOSTS else _datacenter_ssh(text)
    split = urlsplit(text)
    if split.scheme not in ("http", "https", "ssh"):
        raise InputError(f"{text!r} is not an http(s) URL of a Bitbucket page.")
    if split.hostname in CLOUD_HOSTS:
        path = split.path
        if split.hostname == "api.bitbucket.org":
            path = re.sub(r"^/2\.0/(repositories|workspaces)/", "/", path)
        return _cloud_from_path(path, text)
    if split.scheme == "ssh":
        return _datacenter_ssh(text)
    return _datacenter_from_url(text)


def _cloud_from_path(path: str, text: str) -> Target:
    """The paths of bitbucket.org's pages: `/ws`, `/ws/workspace/repositories`,
    `/ws/workspace/projects/KEY`, `/ws/repo/...`, `/ws/repo/pull-requests/ID/...`, and the
    list `/ws/repo/pull-requests/?state=MERGED`."""
    split = urlsplit(path)
    parts = [part for part in split.path.split("/") if part]
    if not parts:
        raise InputError(f"{text!r} names no workspace or repository.")
    owner = parts[0]
    _check_name(owner)
    if len(parts) == 1 or parts[1] == "workspace":
        project = None
        if len(parts) > 3 and parts[1] == "workspace" and parts[2] == "projects":
            project = parts[3]
            _check_name(project)
        return Target(flavour="cloud", owner=owner, project=project)
    slug = parts[1].removesuffix(".git")
    _check_name(slug)
    number, states = None, None
    if len(parts) > 3 and parts[2] in ("pull-requests", "pullrequests") and parts[3].isdigit():
        number = int(parts[3])
    elif len(parts) == 3 and parts[2] in ("pull-requests", "pullrequests"):
        states = _list_filters(urlsplit(text).query or split.query)
    return Target(flavour="cloud", owner=owner, repo_slug=slug, pull_request=number,
                  states=states or ())


def _datacenter_from_url(text: str) -> Target:
    split = urlsplit(text)
    match = re.search(
        r"^(?P<context>.*?)(?:/rest/api/[^/]+)?"
        r"/(?:(?P<kind>projects|users)/(?P<owner>[^/]+)(?:/repos/(?P<slug>[^/]+)"
        r"(?:/pull-requests/(?P<number>\d+))?)?"
        r"|scm/(?P<scm_owner>[^/]+)/(?P<scm_slug>[^/]+?)(?:\.git)?)(?:/|$)",
        split.path,
    )
    if not match:
        raise _not_bitbucket(f"{text!r} is not a Bitbucket repository or project page")
    if match.group("scm_owner"):
        owner, slug = match.group("scm_owner"), match.group("scm_slug")
    else:
        owner, slug = match.group("owner"), match.group("slug")
        if match.group("kind") == "users":
            owner = f"~{owner}"
    for part in (owner, slug):
        if part is not None:
            _check_name(part)
    server = normal_url(split, match.group("context"))
    number = match.group("number")
    states: tuple[str, ...] = ()
    if slug and re.search(r"/repos/[^/]+/pull-requests/?$", split.path):
        states = _list_filters(split.query)
    return Target(flavour="datacenter", owner=owner, repo_slug=slug, server=server,
                  pull_request=int(number) if number else None, states=states)


_PAGING = frozenset({"page", "pagelen", "start", "limit"})
"""Paging in an API address pasted as a page (`?pagelen=50`): no filter, so nothing lost."""


def _list_filters(query: str) -> tuple[str, ...]:
    """The states a pull request list page's address names (`state=MERGED`, `state=ALL`, on
    Cloud and Data Center alike). Any other filter in it is refused by name: listing without
    it would pass a longer list off as the page's."""
    states: list[str] = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name.lower() in _PAGING:
            continue
        if name.lower() != "state":
            raise InputError(
                f"The URL filters by {name}={value!r}, which bbpr cannot read from a URL; paste "
                "it without that, and give the filter as an option (bbpr list --help lists "
                "them)."
            )
        for word in filter(None, re.split(r"[,\s]+", value.upper())):
            if word != "ALL" and word not in STATES:
                raise InputError(
                    f"The URL asks for state={value!r}, which is not a pull request state "
                    f"(states: {', '.join(STATES).lower()}, all); paste it without that, or "
                    "give --state."
                )
            states.append(word)
    return tuple(dict.fromkeys(states))


_OTHER_FORGES = {"github.com": "GitHub", "gitlab.com": "GitLab", "codeberg.org": "Codeberg",
                 "dev.azure.com": "Azure DevOps", "sourceforge.net": "SourceForge"}
"""Hosts people paste out of habit: named, so that the answer is not a Data Center hint."""


def _datacenter_ssh(text: str) -> Target:
    raise InputError(
        f"{text!r} is an SSH clone address; bbpr talks to the web API. Paste the repository's "
        "browser URL instead, or give PROJECT/repo-slug with --server URL."
    )
