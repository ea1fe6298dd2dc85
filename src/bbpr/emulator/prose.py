"""Realistic pull request titles and descriptions, from a seeded random generator.

The text matters for two reasons: BBQL `~` searches need words to find, and the JSON size of
a pull request (4-5 KB in a list page, most of it links and description copies) drives the
bandwidth and parsing cost that the client's benchmarks measure.
"""

from __future__ import annotations

import html
import random

BRANCH_WORDS = (
    "login", "retry", "cache", "search", "billing", "export", "webhooks", "metrics",
    "pagination", "onboarding", "invoices", "profile", "audit", "sso", "upload", "reports",
    "notifications", "scheduler", "migrations", "sandbox", "quota", "tokens", "checkout",
    "i18n", "dark-mode", "rate-limit", "healthcheck", "csv", "timeouts", "logging",
)  # fmt: skip

_VERBS = (
    "Add", "Fix", "Refactor", "Remove", "Update", "Speed up", "Document", "Simplify",
    "Harden", "Rework", "Clean up", "Introduce", "Deprecate", "Test",
)  # fmt: skip

_THINGS = (
    "retry policy for outgoing webhooks", "CSV export of invoices", "login form validation",
    "search index rebuild", "billing period rollover", "metrics endpoint labels",
    "pagination of the audit log", "SSO callback handling", "upload size checks",
    "report scheduler", "notification preferences page", "database migrations",
    "sandbox account cleanup", "API quota accounting", "token refresh flow",
    "checkout error messages", "translations for the settings page", "dark mode palette",
    "rate limiter configuration", "health check probes", "request timeouts",
    "structured logging", "profile picture cropping", "onboarding checklist",
)  # fmt: skip

_QUALIFIERS = (
    "", "", "", " for large workspaces", " behind a feature flag", " (follow-up)",
    " on mobile", " in the admin UI", " for EU customers", " after the outage",
)  # fmt: skip

_OPENERS = (
    "Reworks the {thing} so it behaves under load.",
    "Brings the {thing} back in line with the spec.",
    "Fixes intermittent failures in the {thing}.",
    "A small step towards replacing the {thing}.",
    "The {thing} was doing extra work; this stops it.",
)  # fmt: skip

_BULLETS = (
    "Moves the configuration into `settings.py` with sane defaults",
    "Adds unit tests for the edge cases we hit in production",
    "Removes the hand-rolled sleep loop in favour of the shared helper",
    "Logs a single structured line per failure instead of a stack trace",
    "Keeps the old behaviour behind `LEGACY_MODE` for one release",
    "Updates the runbook and the changelog",
    "Drops an unused dependency",
    "Renames a few confusing variables; no behaviour change there",
    "Adds a metric so we can see the effect on the dashboard",
    "Makes the migration idempotent so it can be re-run safely",
)  # fmt: skip

_CLOSERS = (
    "Refs ACME-{ticket}.",
    "Tested locally and on staging. Refs ACME-{ticket}.",
    "Please review the migration carefully. Closes ACME-{ticket}.",
    "No user-visible change expected. Refs ACME-{ticket}.",
)  # fmt: skip

DECLINE_REASONS = (
    "Superseded by a smaller change",
    "Not needed after the redesign",
    "Duplicate of an earlier pull request",
    "Approach rejected in review; see comments",
)  # fmt: skip


def title(rng: random.Random) -> str:
    return f"{rng.choice(_VERBS)} {rng.choice(_THINGS)}{rng.choice(_QUALIFIERS)}"


def description(rng: random.Random) -> tuple[str, str]:
    """Return one description as (markdown source, the HTML Bitbucket would render).

    Many real descriptions are empty or one line; the mix keeps a list-page pull request
    at 4-5 KB of JSON, as on the live service.
    """
    shape = rng.random()
    if shape < 0.35:
        return "", ""
    opener = rng.choice(_OPENERS).format(thing=rng.choice(_THINGS))
    closer = rng.choice(_CLOSERS).format(ticket=rng.randint(100, 9999))
    if shape < 0.9:
        return opener, paragraph_html(opener)
    bullets = rng.sample(_BULLETS, rng.randint(1, 2))
    raw = "\n".join([opener, "", *(f"* {b}" for b in bullets), "", closer])
    items = "".join(f"<li>{_inline_html(b)}</li>\n" for b in bullets)
    rendered = f"{paragraph_html(opener)}\n<ul>\n{items}</ul>\n{paragraph_html(closer)}"
    return raw, rendered


def paragraph_html(text: str) -> str:
    return f"<p>{_inline_html(text)}</p>" if text else ""


def _inline_html(text: str) -> str:
    # Only backticks occur in the generated markdown; alternate pieces are code spans.
    pieces = html.escape(text, quote=False).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(pieces))
