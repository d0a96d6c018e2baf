"""The additive terms of the ``removed-term`` kind of
:mod:`reviewbot.match.c_comments`: what a kept comment claims ("plus a
page", "+ 1"), the terms a statement adds, and whether a term the patch took
off the statement under the comment went into a statement of its own right
below it (``size = a + b;`` becoming ``size = a;`` then ``size += b;``): the
sum the comment describes still has it.  Pure."""

from __future__ import annotations

import re

from reviewbot.model import DiffLine

# a kept comment that claims a term: "plus a page", "one extra", "an additional", "+ 1"
TERM_CLAIM = re.compile(r"\b(plus|extra|additional|one more)\b|\+\s*\d+\b", re.IGNORECASE)
# a binary plus and its right operand: "n + 1", "x + sizeof(y)" (not "++", "+=")
PLUS_TERM = re.compile(r"(?<=[\w)\]])\s*\+(?![+=])\s*([A-Za-z_]\w*(?:\([^()]*\))?|\d+\w*)")
_WORD = re.compile(r"[A-Za-z_]\w*")
_COMMENT = re.compile(r"/\*.*?\*/|//.*", re.DOTALL)
_NOT_NAMES = frozenset({"sizeof", "struct", "union", "enum"})


def moved_below(terms: list[str], below: list[DiffLine]) -> bool:
    """Do the lines the patch adds in ``below`` (the code under the comment
    after the changed statement) add one of ``terms`` by name?"""
    added = " ".join(_COMMENT.sub(" ", r.text) for r in below if r.kind == "+")
    if "+" not in added:
        return False
    names = set(_WORD.findall(added))
    for term in terms:
        wanted = set(_WORD.findall(term)) - _NOT_NAMES
        if wanted and wanted <= names:
            return True
    return False
