"""The proxy settings of the environment, in words when they cannot be used.

httpx reads `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` (in either case) and `NO_PROXY` when
the client is made, and a setting it cannot use stops it there: a port that is not a number,
a scheme it has no transport for, a SOCKS proxy without the `socksio` package. Those are
the user's settings, not a bug of bbpr's: `setting_error` names the variable and what is
wrong with it (exit 2), and for SOCKS the extra that brings it (`pip install 'bbpr[socks]'`).
A value is never shown whole: a proxy URL may hold a password.

A connection that fails through a proxy is the proxy's to answer for: `serving` names the
variable and the proxy's address (`failures` says it), not the Bitbucket host behind it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from urllib.parse import urlsplit

from ..errors import InputError

VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY")
SCHEMES = ("http", "https", "socks5", "socks5h")
"""What httpx goes through (the `socks` extra for the last two)."""


def setting_error(environ: Mapping[str, str], error: BaseException) -> InputError:
    """Why the client could not be made with the environment's proxy settings."""
    for name, value in _settings(environ):
        problem = _problem(name, value)
        if problem is not None:
            return InputError(problem)
    named = ", ".join(name for name, _ in _settings(environ)) or "NO_PROXY"
    kind = type(error).__name__
    return InputError(f"The proxy settings of the environment ({named}) cannot be used "
                      f"({kind}); fix them, or unset them to connect directly.")


def serving(url: str, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The proxy the environment sends `url` through, as its variable and its address
    (`("HTTPS_PROXY", "127.0.0.1:3128")`, without user or password), as httpx picks it: the
    variable of the URL's scheme, else ALL_PROXY, unless NO_PROXY names the host."""
    split = urlsplit(url)
    host = (split.hostname or "").lower()
    no_proxy = environ.get("no_proxy", environ.get("NO_PROXY", ""))
    for entry in (entry.strip().lower().lstrip(".") for entry in no_proxy.split(",")):
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return None
    found = {name.upper(): (name, value) for name, value in _settings(environ)}
    for variable in (f"{split.scheme.upper()}_PROXY", "ALL_PROXY"):
        if variable in found:
            name, value = found[variable]
            proxy = urlsplit(value if "://" in value else f"http://{value}")
            try:
                port = f":{proxy.port}" if proxy.port else ""
            except ValueError:  # the client was made with it, so it is not this one
                port = ""
            return name, f"{proxy.hostname}{port}"
    return None


def _settings(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """The proxy variables that are set, as they are spelt; the lower case wins, as in
    `urllib.request.getproxies`."""
    found = []
    for upper in VARIABLES:
        for name in (upper.lower(), upper):
            if environ.get(name, "").strip():
                found.append((name, environ[name].strip()))
                break
    return found


def _problem(name: str, value: str) -> str | None:
    url = value if "://" in value else f"http://{value}"  # as httpx reads a bare host:port
    usage = f"give it as http://HOST:PORT, or unset {name} to connect directly"
    if any(not character.isprintable() for character in url):
        return f"{name} holds a character no URL can; {usage}."
    try:
        split = urlsplit(url)
        split.port  # noqa: B018 (parsing the port is the check)
    except ValueError:
        return f"{name} is not a proxy URL bbpr can use (its port is not a number); {usage}."
    scheme = split.scheme.lower()
    if scheme not in SCHEMES:
        return (f"{name} names a {scheme}:// proxy; bbpr goes through http://, https:// and "
                f"socks5:// proxies only: {usage}.")
    if not split.hostname:
        return f"{name} is not a proxy URL bbpr can use (it names no host); {usage}."
    if scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
        return (f"{name} names a SOCKS proxy, which bbpr goes through with its socks extra: "
                f"pip install 'bbpr[socks]' (or unset {name} to connect directly).")
    return None
