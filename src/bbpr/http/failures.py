"""A failed try named in the user's terms, with what to do, and whether retrying can help.

The transport says what kind of failure it saw; the sentences live here, apart from httpx,
so that they read like the rest of bbpr's messages and can be checked on their own.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from ..errors import BbprError, NetworkError, ServerError, WrongAddress
from ..redaction import Redactor
from .options import HttpOptions, Stats
from .response import Response

TransportTrouble = Literal["proxy", "connect", "broken"]
"""How a connection failed, as the transport tells it: through a proxy, by not opening, or
by breaking before a whole answer arrived (taking too long is `unanswered`'s)."""


@dataclass(frozen=True)
class Failure:
    error: BbprError
    attempts: int | None = None
    """How many tries this kind of failure deserves; None: as many as the options allow."""


def network_failure(error: BaseException, trouble: TransportTrouble, url: str,
                    proxy: tuple[str, str] | None = None) -> Failure:
    """Name a transport failure in the user's terms, and say whether retrying can help.
    `proxy`: the proxy the URL went through (its variable and address), if any."""
    host = urlsplit(url).netloc
    chain = _causes(error)
    if any(isinstance(cause, ssl.SSLCertVerificationError) for cause in chain):
        return Failure(NetworkError(
            f"The TLS certificate of {host} could not be verified. If your company uses its own "
            "certificate authority, pass --ca-bundle PATH or set SSL_CERT_FILE to its PEM file."
        ), attempts=1)
    if any(isinstance(cause, ssl.SSLError) for cause in chain):
        return Failure(NetworkError(
            f"The TLS handshake with {host} failed. Check that the URL is right and that no proxy "
            "intercepts the connection."
        ), attempts=1)
    text = " ".join(str(cause) for cause in chain).lower()
    if "name or service not known" in text or "nodename nor servname" in text or (
        "temporary failure in name resolution" in text
    ) or "getaddrinfo failed" in text:
        return Failure(NetworkError(
            f"The host name {urlsplit(url).hostname} could not be resolved. Check the URL for "
            "typos, and your network or VPN."
        ), attempts=1)
    if trouble == "proxy":
        return Failure(NetworkError(
            f"The proxy refused the connection to {host}. Check HTTPS_PROXY and NO_PROXY."
        ), attempts=1)
    if trouble == "connect" and proxy is not None:  # the proxy itself did not answer
        variable, address = proxy
        return Failure(NetworkError(
            f"Could not connect to the proxy {variable} ({address}) to reach {host}: the "
            f"connection was refused or failed. Check {variable} (or unset it to connect "
            "directly; NO_PROXY lists the hosts reached without it)."
        ), attempts=2)
    if trouble == "connect":
        return Failure(NetworkError(
            f"Could not connect to {host}: the connection was refused or failed. Check the URL "
            "and that the server is running."
        ), attempts=2)  # a refused connection is rarely a blip: one more try, not six
    return Failure(NetworkError(
        f"The connection to {host} broke, several times, before a whole answer arrived. Check "
        "your network, or try again later."
    ))


def still_silent(host: str, after: float, timeout: float, options: HttpOptions) -> str:
    """What a run says while a host keeps it waiting: who, and what bbpr will do."""
    return (f"{host} has not answered in {after:.0f} s. bbpr waits up to {timeout:.0f} s for "
            f"an answer, and tries again, up to {options.max_attempts} tries a request, until "
            f"{options.max_wait:.0f} s have gone to waiting in all (--max-wait).")


def unanswered(host: str, stats: Stats, options: HttpOptions, tries: int) -> NetworkError:
    """The error to give up with when tries kept timing out, with the run's real figures:
    how many tries went unanswered, the time spent waiting, and what ended it."""
    count = f"{stats.unanswered} {'try' if stats.unanswered == 1 else 'tries'}"
    why = (f"after {tries} tries of one request" if tries >= options.max_attempts else
           f"as --max-wait ({options.max_wait:.0f} s) left no time to try again")
    return NetworkError(
        f"{host} did not answer: {count} went unanswered, {stats.waited:.0f} s of waiting in "
        f"all, and bbpr gave up {why}. Check the address, your network or VPN, and that the "
        "server is up; or try again later."
    )


def failing_server(url: str, status: int, reason: str) -> ServerError:
    """The error to give up with when the server kept answering with a 5xx."""
    return ServerError(
        f"{urlsplit(url).netloc} kept failing with HTTP {status} "
        f"({reason}); it may be down or overloaded. Try again later."
    )


def web_page_instead(url: str) -> WrongAddress:
    """The error for a web page where the API's first answer was due: a wrong address."""
    return WrongAddress(
        f"{urlsplit(url).netloc} answered with a web page instead of its API's "
        "JSON: the address is not the API's, or a single sign-on proxy answered. "
        "Check --server or BITBUCKET_API_URL."
    )


def not_the_api(url: str, response: Response, redactor: Redactor) -> ServerError:
    """The error to give up with when 2xx bodies kept failing to decode."""
    where = f"{urlsplit(url).netloc} answered {url.split('?', maxsplit=1)[0]}"
    body = response.json()
    if body is None:
        return ServerError(f"{where} with something that is not its API's JSON (a body cut "
                           "short, or a proxy's error page), several times.")
    said = body.get("message") if isinstance(body, dict) else None
    told = f" saying {redactor(said[:120])!r}" if isinstance(said, str) and said else ""
    return ServerError(f"{where} with JSON that is not a page of its API{told}, several times "
                       "(a proxy or a maintenance window?). Try again later.")


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain
