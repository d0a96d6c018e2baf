"""Why a name a kept comment names can still hold after the code right
under the comment lost it: the evidence ``c.comment.changed-mention``
weighs before it speaks (:func:`reviewbot.match.c_comments._changed_mention`).

- the name is a type tag (``(struct foo_info) {``): a comment naming a
  type says what the data is ("defaults for foo_info structs"), not how the
  code works;
- the code under the comment opens a block the hunk does not close (a
  function whose body is out of sight): what the rest of it uses is unknown;
- the code still uses a sibling of the same quantity (``X_MASK`` for
  ``X_SIZE``: the kernel's size, mask, shift and order macros of one
  quantity say the same thing);
- the code now calls a helper (or uses a field group) whose definition, in
  sight in the patch, uses the name: the mechanism moved one call down;
- the name lives on in upper case inside a macro's (``rseq_cs`` in
  ``RSEQ_CS_OFFSET``: the kernel names a field's macros after the field);
- the code under the comment invokes a macro, defined in sight, that pastes
  the name together (``DEFINE_FOO(suspend)`` with ``foo_##op``): the name
  is still defined right there;
- the name is a struct, union or enum the patch declares: a type reads as
  prose;
- the name ``X_Y`` became a member of ``X`` (``trip_temp`` read as
  ``trip->temperature``): the same value, reached through the object.

Pure; reads only the hunk and the texts handed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from reviewbot.match.pasted_names import pasted_names
from reviewbot.model import DiffLine

_TAG = re.compile(r"\b(?:struct|union|enum)\s+([A-Za-z_]\w*)")
_QUANTITY = re.compile(r"^([A-Z][A-Z0-9_]*?)_(SIZE|MASK|SHIFT|ORDER)$")
_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)


def type_tags(code: str) -> set[str]:
    """The struct, union and enum tags written in ``code``."""
    return set(_TAG.findall(code))


def cut_by_hunk_end(lines: Sequence[DiffLine], first: DiffLine) -> bool:
    """Does the new-side code from hunk line ``first`` on open a block (a
    function body, an ``if``) that is still open when the hunk ends?"""
    depth = 0
    started = False
    at = next(i for i, row in enumerate(lines) if row is first)
    for row in lines[at:]:
        if row.kind not in " +":
            continue
        stripped = row.text.strip()
        if not stripped or stripped.startswith(("/*", "//", "*")):
            if started and depth == 0:
                return False  # the code under the comment ended in sight
            continue
        started = True
        depth += stripped.count("{") - stripped.count("}")
        if depth < 0:
            return False  # the enclosing block closed in sight
    return started and depth > 0


def said_otherwise(name: str, still: Iterable[str], helpers: Iterable[str], unit: Any,
                   code: Sequence[DiffLine] = ()) -> bool:
    """Does the code that no longer names ``name`` still say it another
    way: a sibling of the same quantity, the name in a macro's, a member
    of the object it was named after, or a helper or pasting macro defined
    with it (in the patch's C as read, or in the new side of this file's
    hunks as written: a definition under an ``#else`` the reading left out
    counts), or a type the patch declares? ``code`` is the new side under
    the comment."""
    still = set(still)
    new_code = "\n".join(r.text for r in code if r.kind in " +")
    if same_quantity(name, still) or in_macro_name(name, still) or became_member(name, new_code):
        return True
    raw = "\n".join(r.text for h in getattr(unit, "hunks", ()) for r in h.lines if r.kind in " +")
    texts = (*getattr(unit, "patch_c", ()), raw)
    return (defined_with(name, helpers, texts) or pasted_by(name, new_code, texts)
            or declared_type(name, texts))


def in_macro_name(name: str, still: Iterable[str]) -> bool:
    """Is lower-case ``name`` (``rseq_cs``) a whole part of an upper-case
    name the code uses (``RSEQ_CS_OFFSET``)?"""
    if not name.islower():
        return False
    part = re.compile(rf"(?:^|_){re.escape(name.upper())}(?:_|$)")
    return any(w.isupper() and part.search(w) for w in still)


def became_member(name: str, code: str) -> bool:
    """Is ``name`` (``trip_temp``) ``X_Y`` where the code now reads a
    member of ``X`` named like ``Y`` (``trip->temperature``)?"""
    base, _, rest = name.partition("_")
    if not base or len(rest) < 3:
        return False
    for member in re.findall(rf"\b{re.escape(base)}\s*(?:->|\.)\s*([A-Za-z_]\w*)", code):
        short, long = sorted((member, rest), key=len)
        if len(short) >= 3 and long.startswith(short):
            return True
    return False


def pasted_by(name: str, code: str, texts: Iterable[str]) -> bool:
    """Does ``code`` invoke a macro, defined in ``texts`` with ``##``, whose
    expansion with the invocation's arguments pastes ``name`` together?"""
    return name in pasted_names(texts, calls_in=code)


def declared_type(name: str, texts: Iterable[str]) -> bool:
    """Is ``name`` a struct, union or enum declared in ``texts``?"""
    decl = re.compile(rf"\b(?:struct|union|enum)\s+{re.escape(name)}\s*\{{")
    return any(decl.search(text) for text in texts)


def same_quantity(name: str, still: Iterable[str]) -> bool:
    """Is ``name`` (``HPAGE_PMD_SIZE``) one of a quantity's macros whose
    sibling (``HPAGE_PMD_MASK``) the code still uses?"""
    m = _QUANTITY.match(name)
    if m is None:
        return False
    return any((s := _QUANTITY.match(w)) is not None and s.group(1) == m.group(1) for w in still)


def defined_with(name: str, helpers: Iterable[str], texts: Iterable[str]) -> bool:
    """Does the definition of one of ``helpers`` (a function, a macro, or a
    member a macro declares: ``struct_group(algs, ...)``) in ``texts`` use
    ``name``?"""
    heads = [h for h in helpers if len(h) >= 4]
    if not heads:
        return False
    alternatives = "|".join(re.escape(h) for h in sorted(heads))
    head = re.compile(rf"^(?:#\s*define\s+(?:{alternatives})\b"  # a macro
                      rf"|[A-Za-z_][^;{{}}()\n]*\b(?:{alternatives})\s*\([^;]*$"  # a function, at column 0
                      rf"|[ \t]+\w+\(\s*(?:{alternatives})\s*,)",  # a member a macro declares
                      re.MULTILINE)
    used = re.compile(rf"\b{re.escape(name)}\b")
    for text in texts:
        for m in head.finditer(text):
            if used.search(_COMMENTS.sub(" ", _extent(text, m.start()))):
                return True
    return False


def _extent(text: str, start: int) -> str:
    """The definition that starts at ``start``: a macro to its last
    continued line, anything else to where its brackets close (within 200
    lines)."""
    lines = text[start:].split("\n")
    if lines[0].lstrip().startswith("#"):
        out = []
        for line in lines:
            out.append(line)
            if not line.rstrip().endswith("\\"):
                break
        return "\n".join(out)
    depth = 0
    opened = False
    for i, line in enumerate(lines[:200]):
        depth += line.count("{") + line.count("(") - line.count("}") - line.count(")")
        opened = opened or depth > 0
        if opened and depth <= 0:
            return "\n".join(lines[: i + 1])
    return lines[0]  # not closed in sight: what follows may be another hunk's code
