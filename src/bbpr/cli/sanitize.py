"""Text from the server, made harmless for a terminal: shown, never obeyed.

Anyone who can open a pull request chooses its title, its branch names and their own
display name, and a terminal obeys the control characters in what it is given: an escape
sequence can clear the screen, rewrite what the user sees, plant a link or (OSC 52) write
the clipboard; a bidi override makes `exe.txt` read `txt.exe`. So every format a terminal
reads (the table, TSV, ids, `bbpr view`, doctor, progress, messages) writes server text
through here, and bbpr's own colours are added afterwards. JSON, NDJSON and CSV keep the
exact text (see `output`).

What is shown instead of obeyed: every control character (C0, DEL, C1: category Cc), every
format character (Cf: the bidi embeddings, overrides, isolates and marks U+202A-U+202E,
U+2066-U+2069, U+200E, U+200F, U+061C, zero-width spaces, the BOM, tag characters...) but
the zero-width joiner and non-joiner that emoji and several scripts need to render,
the line and paragraph separators U+2028 and U+2029, and lone surrogates. Each becomes its
Python escape, `\\x1b`, `\\u202e` or `\\U000e0041`: visible, unambiguous about which
character it was, and the same notation whatever the character.
"""

from __future__ import annotations

import re
import unicodedata

_SHOWN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_KEPT = frozenset({"\u200c", "\u200d"})
"""Zero-width non-joiner and joiner: they shape Persian and Indic text and join emoji."""
_BREAKS = re.compile(r"\r\n|[\t\r\n]")
_DEL_OR_BEYOND_ASCII = re.compile("[^\x00-\x7e]")


def one_line(text: str) -> str:
    """A value for one cell or one line (table, TSV, ids, progress): tabs and line breaks
    become spaces, as TSV has always written them, so a record stays one line."""
    if text.isprintable():  # the usual title: nothing to do, at C speed
        return text
    return shown(_BREAKS.sub(" ", text))


def lines(text: str) -> str:
    """Text of several lines (a description, an error message): its line breaks kept
    (`\\r\\n` as `\\n`), tabs as spaces, any other control character shown."""
    if text.isprintable():
        return text
    return "\n".join(one_line(line) for line in text.replace("\r\n", "\n").split("\n"))


def shown(text: str) -> str:
    """`text` with every character a terminal would obey or hide written as its escape."""
    if text.isprintable():  # also false for spaces other than " ": the slow path decides
        return text
    return "".join(_escape(character) if _obeyed(character) else character
                   for character in text)


def json_text(encoded: str) -> str:
    """Encoded JSON with the characters `shown` escapes written as `\\u` escapes where
    JSON allows them raw (DEL, C1, bidi and invisible ones: JSON encoders escape C0 already):
    the same JSON value, exact when parsed, harmless on a screen."""
    return _DEL_OR_BEYOND_ASCII.sub(_json_escape, encoded)


def _obeyed(character: str) -> bool:
    return (unicodedata.category(character) in _SHOWN_CATEGORIES
            and character not in _KEPT)


def _escape(character: str) -> str:
    point = ord(character)
    if point <= 0xFF:
        return f"\\x{point:02x}"
    if point <= 0xFFFF:
        return f"\\u{point:04x}"
    return f"\\U{point:08x}"


def _json_escape(match: re.Match[str]) -> str:
    character = match.group()
    if not _obeyed(character):
        return character
    point = ord(character)
    if point <= 0xFFFF:
        return f"\\u{point:04x}"
    point -= 0x10000
    return f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}"
