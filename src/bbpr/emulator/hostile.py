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
"""

from __future__ import annotations

import json
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
