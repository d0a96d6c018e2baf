"""Splitting assembly text by hand: a line into its code, ``;`` and
comments; a statement at its top-level commas (outside brackets, strings and
character constants); over strings and character constants.  Shared by the
line scanner, the builder and the parser."""

from __future__ import annotations

import re

_CHAR_TAIL = re.compile(r"(?:[^'\\]|\\.)?'?")
_STRING_TAIL = re.compile(r'(?:[^"\\]|\\.)*"?')
_LINE_SPECIAL = re.compile(r'"|\'|//|/\*|;')
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"?|\'(?:[^\'\\]|\\.)?\'?')


def quote_end(text: str, pos: int, quote: str) -> int:
    """Where the string (``quote`` is ``"``) or character constant (``'``)
    whose body starts at ``pos`` of ``text`` ends (past its closing quote)."""
    m = (_STRING_TAIL if quote == '"' else _CHAR_TAIL).match(text, pos)
    assert m is not None  # both patterns match the empty string
    return m.end()


def open_parens(code: str) -> int:
    """How many ``(`` of ``code`` (strings left out) are not closed."""
    if '"' in code or "'" in code:
        code = _STRINGS.sub("", code)
    return code.count("(") - code.count(")")


def split_args(text: str) -> tuple[str, ...]:
    """Split at top-level commas (outside ``()``, ``[]``, ``{}`` and strings), stripped."""
    text = text.strip()
    if not text:
        return ()
    if not any(c in text for c in '([{"'):
        return tuple(a.strip() for a in text.split(","))
    args = []
    depth = 0
    start = 0
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i = quote_end(text, i + 1, c)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth <= 0:
            args.append(text[start:i].strip())
            start = i + 1
        i += 1
    args.append(text[start:].strip())
    return tuple(args)


_SPAN_SPECIAL = re.compile(r'[,"\'()\[\]{}]')


def operand_spans(text: str, pos: int) -> list[tuple[int, str]] | None:
    """``(start, operand)`` for each top-level comma-separated piece of
    ``text[pos:]``, stripped, ``start`` its index in ``text``; None when a
    piece is empty or a bracket or quote is unbalanced."""
    spans = []
    depth = 0
    start = pos
    n = len(text)
    i = pos
    while True:
        m = _SPAN_SPECIAL.search(text, i)
        if m is None:
            i = n
        else:
            i = m.start()
            c = text[i]
            if c == '"' or c == "'":
                e = quote_end(text, i + 1, c)
                if text[e - 1] != c or e == i + 1:
                    return None
                i = e
                continue
            if c in "([{":
                depth += 1
                i += 1
                continue
            if c in ")]}":
                depth -= 1
                if depth < 0:
                    return None
                i += 1
                continue
            if depth:
                i += 1
                continue
        piece = text[start:i]
        stripped = piece.strip()
        if not stripped:
            return None
        spans.append((start + len(piece) - len(piece.lstrip()), stripped))
        if i >= n:
            return spans if depth == 0 else None
        start = i = i + 1


def split_line(line: str, pos: int, objdump: bool) -> tuple[str, list[int], list[tuple[int, str, bool]]]:
    """One source line from ``pos`` on: (the code, comments blanked out and
    ``pos`` blanks first; the positions of its ``;``; its comments as
    ``(position, text, closed)``).  In objdump's disassembly (``objdump``) a
    ``;`` starts a comment."""
    pieces = [" " * pos]
    semis = []
    comments = []
    i = pos
    n = len(line)
    while True:
        m = _LINE_SPECIAL.search(line, i)
        if m is None:
            pieces.append(line[i:])
            break
        s = m.start()
        tok = m.group()
        if tok == '"' or tok == "'":
            e = quote_end(line, s + 1, tok)
            pieces.append(line[i:e])
            i = e
            continue
        pieces.append(line[i:s])
        if tok == ";" and not objdump:
            semis.append(s)
            pieces.append(";")
            i = s + 1
            continue
        if tok == "/*":
            e = line.find("*/", s + 2)
            if e >= 0:
                comments.append((s, line[s + 2:e], True))
                pieces.append(" " * (e + 2 - s))
                i = e + 2
                continue
            comments.append((s, line[s + 2:], False))
        else:  # "//", or objdump's "; comment"
            comments.append((s, line[s + len(tok):], True))
        pieces.append(" " * (n - s))
        break
    return "".join(pieces), semis, comments
