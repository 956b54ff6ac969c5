"""Text that came from a study file or spec, made safe to show: a terminal gets no control or
bidirectional-override characters (U+202E would reorder what the user reads), Markdown gets no raw
HTML. Names a user gives are checked with :func:`check_name` when a study is created."""

from __future__ import annotations

import html
import unicodedata

from predictnas.exceptions import InvalidSpecError


def _hidden(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") and ch != " "


def for_terminal(value: object) -> str:
    """``value`` as text with control and format characters written as ``\\uXXXX``."""
    text = str(value)
    if not any(_hidden(ch) for ch in text):
        return text
    return "".join(f"\\u{ord(ch):04x}" if _hidden(ch) else ch for ch in text)


def for_markdown(value: object) -> str:
    """``value`` for a Markdown table cell or list item: terminal-safe, HTML-escaped, ``|`` escaped."""
    return html.escape(for_terminal(value), quote=False).replace("|", "\\|").replace("`", "'")


def check_name(name: object, what: str = "name") -> str:
    """A study or metric name: a non-empty string of at most 200 characters without path separators
    (a study's name becomes a file name) or control/format characters."""
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InvalidSpecError(f"{what} must be a non-empty string of at most 200 characters; got {name!r}.")
    bad = sorted({ch for ch in name if _hidden(ch) or ch in "/\\"} | ({name} if name in (".", "..") else set()))
    if bad:
        raise InvalidSpecError(f"{what} {name!r} contains {[b for b in bad]!r}: use letters, digits, spaces and "
                               "punctuation other than / and \\.")
    return name
