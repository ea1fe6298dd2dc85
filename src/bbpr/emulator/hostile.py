"""Hostile text: what anyone who can open a pull request, or name an account, can put in
front of the people who list it.

With `Settings.hostile_text` set, every answer carries that text at the end of every title,
description (and its rendered `raw` copies), decline reason, branch name, display name,
Cloud nickname, Data Center user name and error message, so that a client's output can be
checked against text that clears screens, plants links, rewrites lines and reverses itself.
The answer is rewritten as it leaves, after faults: stored data, filters and the
`Emulator.pull_requests` truth stay as they were, so a test knows each field's exact value
(the truth's, then the text). Other strings (links, IDs, states, dates) are untouched and
every answer keeps its schema.

Beside it, answers whose syntax is right and whose meaning no client may trust, each a
setting and a switch of its own: slugs that no URL can hold as they are (`rename_slugs`),
titles holding half of a UTF-16 surrogate pair (`with_lone_surrogates`), and times at the
edges of what a date can be (`at_the_edge_of_time`).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from .messages import Response, encode_json

SAMPLE = (
    "\x1b[2J\x1b[H"  # clear the screen, cursor home
    "\x1b]8;;https://evil.example/\x07click here\x1b]8;;\x07"  # OSC 8: a link elsewhere
    "\x1b]52;c;cm0gLXJmIH4=\x07"  # OSC 52: write the clipboard
    "\x07\x08\x08\r"  # bell, backspaces, a bare carriage return
    "\x9b31mC1 CSI\x1b[0m"  # the 8-bit CSI byte
    " \u202efdp.exe\u202c \u2067isolate\u2069 [bold]markup[/bold]\t\"quote\", comma\nline"
)
"""What `--hostile` serves: each trick a terminal or a CSV reader may fall for."""

_EXTENDED = frozenset({"title", "description", "reason", "display_name", "nickname",
                       "displayName", "message", "raw"})
"""Keys whose text is the server's free text, wherever they are."""


def rewrite(response: Response, text: str) -> Response:
    """The answer with `text` at the end of every free-text field (JSON) or of the body
    (plain text); any other answer (HTML, empty) as it was."""
    kind = response.headers.get("Content-Type", "")
    if not response.body:
        return response
    if "json" in kind:
        body = _extended(json.loads(response.body), text)
        return replace(response, body=encode_json(body))
    if kind.startswith("text/plain"):
        return replace(response, body=response.body + text.encode("utf-8"))
    return response


def _extended(node: Any, text: str) -> Any:
    if isinstance(node, list):
        return [_extended(item, text) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {key: (value + text if key in _EXTENDED and isinstance(value, str)
                    else _extended(value, text)) for key, value in node.items()}
    if isinstance(node.get("branch"), dict) and isinstance(node["branch"].get("name"), str):
        result["branch"]["name"] = node["branch"]["name"] + text  # Cloud
    if isinstance(node.get("displayId"), str):  # a Data Center ref: refs/heads/NAME
        result["displayId"] = node["displayId"] + text
        if isinstance(node.get("id"), str):
            result["id"] = node["id"] + text
    if "emailAddress" in node and isinstance(node.get("name"), str):  # a Data Center user
        result["name"] = node["name"] + text
    return result


# --- names, text and dates no client may take on trust -----------------------------------

SLUG_SAMPLE = "\t/\x1b[2J\x7f x"
"""What `--hostile-slug` appends: a tab, a slash, an escape sequence, DEL and a space."""
DEMO_SLUG = "widgets"
"""The repository whose slug is left alone, in Cloud's `acme` and Data Center's `ACME`."""
_REPOSITORY_LISTS = re.compile(
    r"/2\.0/repositories/[^/]+/?|/rest/api/[^/]+/(?:projects|users)/[^/]+/repos/?")


def rename_slugs(path: str, response: Response, text: str) -> Response:
    """A workspace's or project's repository list with `text` at the end of every slug but
    the demo repository's: names that lead nowhere (404), or that no URL can hold as they
    are. The rest of the answer, and every other answer, as it was."""
    if not _REPOSITORY_LISTS.fullmatch(path) or "json" not in response.headers.get(
            "Content-Type", "") or not response.body:
        return response
    body = json.loads(response.body)
    for item in body.get("values", []) if isinstance(body, dict) else []:
        if isinstance(item, dict) and isinstance(item.get("slug"), str) and (
                item["slug"] != DEMO_SLUG):
            item["slug"] += text
    return replace(response, body=encode_json(body))


LONE_SURROGATE = "\ud800"
"""Valid in JSON's syntax as the escape `\\ud800`, but no character: half of a UTF-16 pair."""


def with_lone_surrogates(response: Response) -> Response:
    """Every pull request title with an unpaired surrogate escape in it (the JSON stays
    ASCII: the escape is the only way to send one)."""
    if "json" not in response.headers.get("Content-Type", "") or not response.body:
        return response
    body = _titled(json.loads(response.body))
    return replace(response, body=json.dumps(body).encode("ascii"))


def _titled(node: Any) -> Any:
    if isinstance(node, list):
        return [_titled(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {key: (f"{value[:3]}{LONE_SURROGATE}{value[3:]}" if key == "title"
                  and isinstance(value, str) else _titled(value)) for key, value in node.items()}


DATE_EDGES = ("future", "past", "naive", "beyond")
_CLOUD_TIMES = {"future": "9999-12-31T23:59:59.999999+00:00",
                "past": "0001-01-01T00:00:00+00:00", "beyond": "10000-01-01T00:00:00+00:00"}
_DC_TIMES = {"future": 253_402_300_799_999, "past": -62_135_596_800_000,
             "beyond": 10 ** 17}
_HEADER_DATES = {"future": "Fri, 31 Dec 9999 23:59:59 GMT",
                 "past": "Mon, 01 Jan 0001 00:00:00 GMT", "naive": "Friday morning",
                 "beyond": "Sat, 01 Jan 10000 00:00:00 GMT"}
_TIME_KEYS = frozenset({"created_on", "updated_on", "date", "createdDate", "updatedDate",
                        "closedDate"})


def at_the_edge_of_time(response: Response, edge: str) -> Response:
    """Every time in the answer (Cloud's ISO-8601, Data Center's epoch milliseconds) and its
    `Date` header at an edge: year 9999 (`future`), year 1 (`past`), without a time zone or
    a `Date` that is no date (`naive`), or past year 9999 (`beyond`)."""
    headers = {**response.headers, "Date": _HEADER_DATES[edge]}
    if "json" not in response.headers.get("Content-Type", "") or not response.body:
        return replace(response, headers=headers)
    body = _dated(json.loads(response.body), edge)
    return replace(response, body=encode_json(body), headers=headers)


def _dated(node: Any, edge: str) -> Any:
    if isinstance(node, list):
        return [_dated(item, edge) for item in node]
    if not isinstance(node, dict):
        return node
    return {key: _edge_of(value, edge) if key in _TIME_KEYS else _dated(value, edge)
            for key, value in node.items()}


def _edge_of(value: Any, edge: str) -> Any:
    if isinstance(value, str):
        return value.split("+")[0].removesuffix("Z") if edge == "naive" else _CLOUD_TIMES[edge]
    if isinstance(value, int) and not isinstance(value, bool) and edge != "naive":
        return _DC_TIMES[edge]
    return value
