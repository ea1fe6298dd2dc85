"""The repository to list when none is named: the one the current git clone pushes to.

Like `gh`, bbpr reads the clone's remotes (`git remote -v`), takes `origin` when it is on
Bitbucket, else the only remote that is, and turns its URL into a `Target`. Clone URLs come in
more forms than browser URLs: `git@bitbucket.org:ws/repo.git`, `https://user@bitbucket.org/ws/
repo.git`, and on Data Center `https://host/scm/KEY/repo.git` or `ssh://git@host:7999/key/
repo.git`. A remote URL may hold a token (`https://x-token-auth:TOKEN@...`), so nothing here
ever repeats one: messages name remotes and hosts only.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import InputError
from .targets import CLOUD_HOSTS, Target, normalise_server, origin

DATACENTER_SSH_PORT = 7999
"""Bitbucket Data Center's default SSH port: an ssh remote on it is a Data Center one."""

_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")
_NAME_THIS = ("Name the repository instead, as workspace/repo-slug (PROJECT/repo-slug with "
              "--server on Data Center).")


@dataclass(frozen=True)
class Remote:
    name: str
    url: str

    @property
    def host(self) -> str:
        """The remote's host alone, safe to print."""
        match = _SCP_LIKE.match(self.url)
        if match and "://" not in self.url:
            return match.group("host")
        return urlsplit(self.url).hostname or "a local path"


def remotes(directory: Path | None = None) -> list[Remote]:
    """The fetch remotes of the clone around `directory`, in git's order."""
    try:
        # git from PATH, as the user's shell would run it: their clone, their git.
        done = subprocess.run(["git", "remote", "-v"], cwd=directory,  # noqa: S607
                              capture_output=True, text=True, timeout=30, check=False)
    except FileNotFoundError:
        raise InputError(f"No REPO was given, and git is not installed to find it. "
                         f"{_NAME_THIS}") from None
    if done.returncode != 0:
        raise InputError(f"No REPO was given, and {directory or Path.cwd()} is not inside a git "
                         f"clone. {_NAME_THIS}")
    found: dict[str, Remote] = {}
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] not in found and not line.endswith("(push)"):
            found[parts[0]] = Remote(parts[0], parts[1])
    return list(found.values())


def target_from_git(directory: Path | None = None, *,
                    server: str | None = None) -> tuple[Target, Remote]:
    """The Bitbucket repository of the clone, and the remote it was read from."""
    candidates = [(remote, target) for remote in remotes(directory)
                  if (target := target_from_remote(remote.url, server=server)) is not None]
    chosen = next(((r, t) for r, t in candidates if r.name == "origin"), None)
    if chosen is None and len(candidates) == 1:
        chosen = candidates[0]
    if chosen is not None:
        return chosen[1], chosen[0]
    if candidates:
        names = ", ".join(remote.name for remote, _ in candidates)
        raise InputError(f"No REPO was given, and this clone has several Bitbucket remotes "
                         f"({names}) and none is origin. Pick one with -R workspace/repo-slug.")
    seen = ", ".join(f"{remote.name} ({remote.host})" for remote in remotes(directory))
    raise InputError(f"No REPO was given, and no remote of this clone is on Bitbucket "
                     f"({seen or 'it has no remotes'}). {_NAME_THIS}")


def target_from_remote(url: str, *, server: str | None = None) -> Target | None:
    """The repository a clone URL points at, or None when it is not a Bitbucket one.

    An ssh remote of a host other than bitbucket.org counts as Data Center when it uses port
    7999 or is on the host of `server`; its server is then `server`, or https on its host.
    """
    url = url.strip()
    if "://" not in url:
        match = _SCP_LIKE.match(url)
        if match is None:
            return None
        url = f"ssh://{match.group('host')}/{match.group('path')}"
    split = urlsplit(url)
    host = (split.hostname or "").lower()
    parts = [part for part in split.path.split("/") if part]
    if host in CLOUD_HOSTS:
        return _repository("cloud", parts[-2:], None) if len(parts) >= 2 else None
    given = normalise_server(server) if server else None
    if split.scheme in ("http", "https"):
        if "scm" not in parts or len(parts) < parts.index("scm") + 3:
            return None
        at = parts.index("scm")
        context = "/".join(parts[:at])
        found = f"{split.scheme}://{origin(split)}" + (f"/{context}" if context else "")
        return _repository("datacenter", parts[at + 1:at + 3], given or found)
    if split.scheme == "ssh" and len(parts) == 2:
        same_host = given is not None and urlsplit(given).hostname == host
        if split.port == DATACENTER_SSH_PORT or same_host:
            return _repository("datacenter", parts, given or f"https://{host}")
    return None


def _repository(flavour: str, parts: list[str], server: str | None) -> Target:
    owner, slug = parts[0], parts[1].removesuffix(".git")
    if flavour == "cloud":
        return Target(flavour="cloud", owner=owner, repo_slug=slug)
    return Target(flavour="datacenter", owner=owner, repo_slug=slug, server=server)
