"""Text from patches and mail made safe to show on a terminal.

A path, a subject or a line of a patch is whatever its sender wrote.  Shown
as it is, an escape sequence in it would reach the reader's terminal: clear
the screen, move the cursor up over a finding, set the window title, or
(with a carriage return) print over its own line so that an error reads as
clean; a line break would make a line of output of its own, a bidirectional
override reorder what is read, an invisible character make two names that
differ look the same.  Every text reviewbot prints for a person
(the text, checkpatch and b4 formats, notes, errors, summaries and logs) goes
through :func:`printable`; the machine formats (JSON, SARIF) escape control
characters by their own rules, and replies quote the patch as mail does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

#: DEL, the C1 control characters, the Unicode marks that reorder text
#: (bidirectional embeddings, overrides, isolates), the invisible ones
#: (zero-width space and joiners, word joiner, byte order mark) and the
#: line and paragraph separators.
_OTHERS = "\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff"
_HIDDEN = {False: f"[\x00-\x08\x0a-\x1f{_OTHERS}]",  # the C0 controls but tab
           True: f"[\x00-\x08\x0b-\x1f{_OTHERS}]"}  # the same but the line break
_COMPILED: dict[bool, re.Pattern[str]] = {}  # compiled when first needed: every command imports this


def printable(text: str, *, lines: bool = False) -> str:
    """``text`` with each control character but tab written as its escape
    (``\\x1b``, ``\\r``, ``\\u202e``), line breaks too unless ``lines``.
    With ``lines`` (an error or a log record that may run over several
    lines) a line after the first is indented, so that no text in it can
    pass for a line of reviewbot's own (``reviewbot: ...``)."""
    if text.isprintable():  # the common case, without a regex
        return text
    pattern = _COMPILED.get(lines) or _COMPILED.setdefault(lines, re.compile(_HIDDEN[lines]))
    shown = pattern.sub(_escape, text)
    if not lines:
        return shown
    first, *rest = shown.split("\n")
    return "\n".join([first, *(line if not line or line[0].isspace() else "  " + line for line in rest)])


def printable_lines(lines: Iterable[str]) -> str:
    """Each of ``lines`` :func:`printable`, each ended by a line break."""
    return "".join(printable(line) + "\n" for line in lines)


def _escape(found: re.Match[str]) -> str:
    char = found.group()
    if char in "\r\n":
        return repr(char)[1:-1]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class PrintableFormatter(logging.Formatter):
    """Log records as :func:`printable` text (a record may quote a subject,
    a server's answer, a path from a patch)."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record), lines=True)
