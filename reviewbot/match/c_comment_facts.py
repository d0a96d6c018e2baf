"""The facts of a whole patch that the C comment rules ask about: the
comments it adds in any file (with the identifiers of the code under each)
and the names whose definitions it deletes with no use left.  Gathered once
per patch by :func:`attach_c_facts` and given to every unit; pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from reviewbot.match.c_comments import C_KEYWORDS, WORD, fold, hunk_side, identifiers, scan_comments
from reviewbot.match.pasted_names import pasted_names
from reviewbot.model import Hunk
from reviewbot.records import replace

# a definition on a line of its own at column 0: "#define NAME", "static int name(", "int name;"
_DEFINE = re.compile(r"^#\s*define\s+([A-Za-z_]\w*)")
_FUNCTION = re.compile(r"^(?!return\b|else\b|if\b|case\b|goto\b|typedef\b)(?:[A-Za-z_][\w]*[\s*]+)+\**"
                       r"([A-Za-z_]\w*)\s*\(")
_VARIABLE = re.compile(r"^(?:static\s+|extern\s+)?(?:const\s+)?(?:struct\s+)?[A-Za-z_]\w*\s+\**([A-Za-z_]\w*)"
                       r"\s*(?:\[[^\]]*\]\s*)?(?:=|;)")


def added_comment_code(hunks: Iterable[Hunk]) -> dict[str, list[set[str]]]:
    """For every comment the hunks add (all its lines added), by folded
    text: the identifiers of the code right under it."""
    found: dict[str, list[set[str]]] = {}
    for hunk in hunks:
        if not _adds_a_comment(hunk):
            continue
        where = [i for i, r in enumerate(hunk.lines) if r.kind in " +"]
        rows = [hunk.lines[i] for i in where]
        for comment in scan_comments([r.text for r in rows]):
            if not comment.alone or not all(r.kind == "+" for r in rows[comment.first: comment.last + 1]):
                continue
            end = where[comment.last]
            code = hunk_side(hunk.lines, end, " +")
            if code:
                found.setdefault(fold(comment.text), []).append(identifiers(r.text for r in code))
    return found


def deleted_definitions(hunks: Iterable[Hunk]) -> set[str]:
    """Functions, macros and variables whose definitions (or declarations)
    removed lines hold.  Short names and names without an underscore are
    left out: in a comment they read as words."""
    found = set()
    for hunk in hunks:
        for row in hunk.lines:
            if row.kind != "-":
                continue
            for pattern in (_DEFINE, _FUNCTION, _VARIABLE):
                if (m := pattern.match(row.text)) is not None:
                    found.add(m.group(1))
                    break
    return {n for n in found if len(n) >= 6 and "_" in n and n not in C_KEYWORDS}


def deleted_guards(hunks: Iterable[Hunk]) -> set[str]:
    """Include guards the removed lines define (``#ifndef X`` then
    ``#define X``): a name of its own file only, though other headers
    often guard themselves with the same one."""
    found = set()
    for hunk in hunks:
        for above, row in zip(hunk.lines, hunk.lines[1:]):
            if above.kind == row.kind == "-" and (m := _DEFINE.match(row.text)) is not None:
                if above.text.split()[:2] in (["#ifndef", m.group(1)], ["#", "ifndef", m.group(1)]):
                    found.add(m.group(1))
    return found


class _AddedComments(Mapping[str, list[set[str]]]):
    """:func:`added_comment_code` of a patch's hunks, read on first use:
    only a kept comment over changed code asks for it, and few do."""

    def __init__(self, hunks: list[Hunk]) -> None:
        self._hunks: list[Hunk] | None = hunks
        self._found: dict[str, list[set[str]]] = {}

    def _read(self) -> dict[str, list[set[str]]]:
        if self._hunks is not None:
            self._found, self._hunks = added_comment_code(self._hunks), None
        return self._found

    def __getitem__(self, key: str) -> list[set[str]]:
        return self._read()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


def _adds_a_comment(hunk: Hunk) -> bool:
    return any(r.kind == "+" and ("/*" in r.text or "//" in r.text) for r in hunk.lines)


def attach_c_facts(file_units: list[Any]) -> None:
    """Give every C unit of a patch its file's hunks, the comments the patch
    adds anywhere (with the code under them), the names it deletes with
    no use left in code (C or assembly, any file), and the text of every C
    unit of the patch (the functions a C rule may look into)."""
    commented: list[Hunk] = []
    deleted: set[str] = set()
    guards: dict[str, set[str]] = {}
    used: set[str] = set()
    for units in file_units:
        if not units.new_c and not units.new_asm:
            continue
        hunks = units.change.hunks
        commented.extend(h for h in hunks if _adds_a_comment(h))
        if units.new_c or units.change.path.endswith((".c", ".h")):
            deleted |= deleted_definitions(hunks)
            guards[units.change.path] = deleted_guards(hunks)
    if deleted:  # what the patch leaves uses, read only when it deleted a definition
        for units in file_units:
            for unit in units.new_c:
                used |= identifiers(unit.lines)
            for unit in units.new_asm:
                used |= {w for s in unit.region.statements if type(s).__name__ != "Comment"
                         for w in WORD.findall(s.text)}
        # a function folded into a token-pasting macro (DEFINE_X(name) -> x_name) is still defined
        used |= pasted_names("\n".join(x for u in units.new_c for x in u.lines) for units in file_units)
    # a macro that became a variable of the same name in lower case (USB_CTRL -> usb_ctrl) names the same thing;
    # a name whose definition became arch_NAME still exists: the kernel's generic NAME is built on arch_NAME
    lower = {w.lower() for w in used}
    gone = frozenset(n for n in deleted - used if n.lower() not in lower and "arch_" + n not in used)
    guarded = set().union(*guards.values()) & gone
    # the old lines that name a gone name: a comment the patch adds is a copy of one, or the author's own words
    naming = tuple(r.text for units in file_units for h in units.change.hunks for r in h.lines
                   if r.kind in " -" and any(n in r.text for n in gone)) if gone else ()
    added: Mapping[str, list[set[str]]] = _AddedComments(commented) if commented else {}
    texts = tuple("\n".join(u.lines) for units in file_units for u in units.new_c)
    for units in file_units:
        # another header's deleted guard is not this file's
        mine = gone - (guarded - guards.get(units.change.path, set())) if guarded else gone
        units.new_c = [replace(u, hunks=units.change.hunks, added_comments=added, removed_names=mine,
                               naming_removed=naming, patch_c=texts) for u in units.new_c]
        if commented:  # assembly comments are checked for copies left behind only
            units.new_asm = [replace(u, hunks=units.change.hunks, added_comments=added) for u in units.new_asm]
