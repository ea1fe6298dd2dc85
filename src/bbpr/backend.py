"""What each Bitbucket flavour provides to the use cases above it.

`cloud.CloudAPI` and `datacenter.DataCenterAPI` implement this; `service` code is written
against it alone, so that it never learns which flavour it is talking to.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from .http import Stats
from .models import Flavour, PullRequest, Query, Repository


class Backend(Protocol):
    flavour: Flavour

    @property
    def concurrency(self) -> int:
        """The most requests this backend sends at once."""
        ...

    @property
    def stats(self) -> Stats: ...

    def repositories(self, owner: str) -> AsyncIterator[list[Repository]]:
        """The repositories of a workspace or project, page by page."""
        ...

    def pull_request_pages(
        self, repository: Repository, query: Query, limit: int | None = None
    ) -> AsyncIterator[list[PullRequest]]:
        """Every pull request matching `query`, page by page, each exactly once.

        Stops fetching once `limit` pull requests were yielded (the last page may hold more).
        """
        ...

    async def aclose(self) -> None: ...
