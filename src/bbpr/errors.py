"""The errors bbpr raises, one class per way a run can end badly.

Each message is what the command line prints: one or two plain sentences, what happened and
what to do. The exit code belongs to the class, so the library and the command line can never
disagree about what kind of failure it was. No message ever holds a secret: messages are built
from names and statuses, never from credentials or raw headers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class BbprError(Exception):
    """Base of every error bbpr raises on purpose."""

    exit_code: int = 1
    """The command line's exit code; set by the class (an instance may narrow it, see
    `PartialError`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def add(self, sentence: str) -> None:
        """Say one more thing about the failure (what was written, what to run)."""
        self.message += " " + sentence.strip()


class InputError(BbprError):
    """Something the user typed cannot be right: caught before any request is sent."""

    exit_code = 2


class WrongAddress(InputError):
    """The address bbpr was given answers, but not as the API does: a website, a proxy's
    page, or a base URL without its API path (`/2.0`)."""


class AuthError(BbprError):
    """The server refused the credentials (401) or what they may do (403)."""

    exit_code = 3


class ScopeError(AuthError):
    """The credential lacks a scope (403): the sentence names it and how to get a token that
    has it, which is all there is to say (`bbpr doctor` would say the same)."""


class NotFoundError(BbprError):
    """A workspace, project or repository does not exist, or this credential cannot see it."""

    exit_code = 4


class GaveUpError(BbprError):
    """Retries did not help: rate limit, server errors or the network. The result is incomplete."""

    exit_code = 5


class RateLimitError(GaveUpError):
    """The rate limit was still exhausted after waiting as long as bbpr is allowed to wait."""


class NetworkError(GaveUpError):
    """The host could not be reached, or the connection failed again and again."""


class ServerError(GaveUpError):
    """The server kept answering with 5xx errors, or with something that is not its API."""


class UnknownStateError(ServerError):
    """Pull requests came in a state bbpr has never seen, under a named `--state`: it cannot
    tell whether they belong to the states asked for, so the list may lack them. Exit 5, as
    for any list bbpr cannot prove complete: no input of the user's is wrong (not 2), and
    bbpr did what it should (not 1)."""

    @classmethod
    def of(cls, where: str, counts: Mapping[str, int]) -> UnknownStateError:
        """`counts`: how many records had each such state ("" for none at all)."""
        counted = ", ".join(f"{count} in state {state!r}" if state else f"{count} with no state"
                            for state, count in sorted(counts.items()))
        return cls(f"Pull requests of {where} came in a state bbpr does not know ({counted}), "
                   "so it cannot tell whether they belong to the states asked for, and left "
                   "them out: the list may be incomplete. `--state all` lists them, with their "
                   "state as sent.")


class ProtocolError(BbprError):
    """The server answered in a way its API never does, and bbpr cannot continue safely
    (a link or a redirect to another host): the result is incomplete."""

    exit_code = 5


@dataclass(frozen=True)
class RepositoryFailure:
    """One repository of a workspace or project that could not be listed or synced."""

    repository: str
    error: BbprError


PER_REPOSITORY = (AuthError, NotFoundError, ServerError)
"""Failures that concern one repository, so that its workspace's other repositories are
still worth listing: a repository that refuses (403), has vanished (404), or whose pull
requests keep failing (5xx). A rate limit or an unreachable host concerns the whole run."""


class PartialError(BbprError):
    """Some repositories of a workspace or project failed, and the others were done in full.

    `failures` holds each failed repository and its error; the exit code is that of the
    first failure in repository order (3, 4 or 5).
    """

    def __init__(self, message: str, failures: Sequence[RepositoryFailure]) -> None:
        super().__init__(message)
        self.failures = tuple(failures)
        self.exit_code = self.failures[0].error.exit_code

    @classmethod
    def of(cls, owner: str, total: int, failures: Sequence[RepositoryFailure],
           done: str = "listed") -> PartialError:
        shown = [f"  {failure.repository}: {failure.error.message}" for failure in failures[:10]]
        if len(failures) > 10:
            shown.append(f"  ... and {len(failures) - 10} more.")
        return cls(f"{len(failures)} of {total} repositories of {owner} could not be {done}; "
                   f"the others were {done} in full:\n" + "\n".join(shown), failures)

    def add(self, sentence: str) -> None:
        """A sentence after the list of failures, on a line of its own."""
        self.message += "\n" + sentence.strip()


class AllowanceSpent(RateLimitError):
    """The credential's hourly allowance is spent, and the run was not told to wait for it:
    bbpr stopped before the server would have refused. `free_at` (epoch seconds) is when
    the next request frees."""

    def __init__(self, message: str, free_at: float) -> None:
        super().__init__(message)
        self.free_at = free_at
