"""bbpr: list pull requests from Bitbucket Cloud and Bitbucket Data Center.

    from bbpr import Client
    with Client.from_env() as bb:
        ids = bb.pull_request_ids("workspace/repo", state="all")

The public names are loaded on first use, so that `bbpr --version` and `--help` start
without importing the HTTP stack.
"""

from __future__ import annotations

from ._version import __version__

TYPE_CHECKING = False  # not typing's: importing typing would slow `bbpr --version`

if TYPE_CHECKING:
    from typing import Any

    from .client import AsyncClient, Client
    from .credentials.kinds import Credentials
    from .errors import (
        AuthError,
        BbprError,
        GaveUpError,
        InputError,
        NetworkError,
        NotFoundError,
        PartialError,
        ProtocolError,
        RateLimitError,
        RepositoryFailure,
        ServerError,
        UnknownStateError,
    )
    from .models import Participant, PullRequest, Query, Repository, ReviewEvent
    from .report.library import metrics_for, read_metrics, read_report
    from .report.records import PullRequestMetrics, Report

__all__ = [
    "AsyncClient",
    "AuthError",
    "BbprError",
    "Client",
    "Credentials",
    "GaveUpError",
    "InputError",
    "NetworkError",
    "NotFoundError",
    "PartialError",
    "Participant",
    "ProtocolError",
    "PullRequest",
    "PullRequestMetrics",
    "Query",
    "RateLimitError",
    "Report",
    "Repository",
    "RepositoryFailure",
    "ReviewEvent",
    "ServerError",
    "UnknownStateError",
    "__version__",
    "metrics_for",
    "read_metrics",
    "read_report",
]

_HOMES = {"AsyncClient": "client", "Client": "client", "Credentials": "credentials.kinds",
          "Participant": "models", "PullRequest": "models", "Query": "models",
          "Repository": "models", "ReviewEvent": "models",
          "PullRequestMetrics": "report.records", "Report": "report.records",
          "metrics_for": "report.library", "read_metrics": "report.library",
          "read_report": "report.library"}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'bbpr' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{_HOMES.get(name, 'errors')}", __name__), name)
