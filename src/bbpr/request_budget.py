"""Progress or stop: the bound every listing keeps to, whatever the server answers.

A server that ignores a filter or a page parameter can send a client round the same pages
for ever, spending the hourly allowance in seconds. So every scan counts its requests
against a bound derived from how many pull requests there are, and ends with exit 5 and a
sentence, never a loop, when a request brought nothing new or the bound is passed.
"""

from __future__ import annotations

import math

from .errors import ServerError

SPARE = 10
"""Requests allowed beyond the formula: probes, recounts, a re-read page or two."""


class NoProgress(ServerError):
    """The server's answers stopped moving the listing forward. A server error (exit 5) of
    one repository's: a workspace's other repositories are still listed."""


class RequestBudget:
    """At most `3 x ceil(count / page) + ranges + SPARE` requests for one listing.

    `count` is the most pull requests the listing can meet (a total the server reported,
    the highest ID seen, the records read so far): it only grows, so an honest listing
    that finds more pull requests is allowed more requests, and a looping one is not.
    """

    def __init__(self, repository: str, page: int) -> None:
        self.repository = repository
        self.page = page
        self.count = 0
        self.ranges = 0
        self.lookups = 0
        self.spent = 0

    @property
    def allowed(self) -> int:
        return 3 * math.ceil(self.count / self.page) + self.ranges + self.lookups + SPARE

    def allow_lookups(self, count: int) -> None:
        """Room for `count` pull requests asked for by ID, a request each. Each asks for an
        ID not asked for before, so they cannot loop; the caller bounds `count`."""
        self.lookups += count

    def expect(self, count: int | None = None, *, ranges: int = 0) -> None:
        self.count = max(self.count, count or 0)
        self.ranges += ranges

    def spend(self) -> None:
        """Count one request; raise when it is more than the listing can need."""
        self.spent += 1
        if self.spent > self.allowed:
            raise NoProgress(
                f"Listing {self.repository} took more than {self.allowed} requests for at "
                f"most {self.count} pull requests, so bbpr stopped: the server's answers do not "
                "add up. The list is incomplete; run the command again, with --debug to see why."
            )


def stalled(repository: str, why: str) -> NoProgress:
    return NoProgress(
        f"Listing {repository} stopped making progress ({why}), so bbpr stopped rather than "
        "loop. The list is incomplete; run the command again, with --debug to see why."
    )
