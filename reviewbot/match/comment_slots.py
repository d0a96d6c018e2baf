"""``comment-slots:`` — a comment that enumerates the values a block returns,
one line a slot (``reg0 stores ...``, ``reg1 stores ...``), against the
array elements the code under it fills (``val[0] = ...``).

A hypercall handler documents what it hands back in each return register
and fills an array whose index is the register's number.  A comment whose
enumeration has slots the code never fills (or the code fills slots the
comment does not list) describes another version of the code.

Tight on purpose: the comment must enumerate at least two slots, each at
the start of its own line; the block is the code after the comment (a
``case`` label right under it included) up to the next ``case``,
``default`` or closing brace at the comment's indentation or less; the code
must fill one array with constant indices; an array handed to a call in the
block (a helper may fill the rest) keeps the rule silent; and the patch
must have added the comment or one of the assignments.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from reviewbot.match.comment_blocks import rows_of_kind
from reviewbot.match.units import Hit, TextUnit
from reviewbot.records import record

# " * reg0 stores high 32-bit host ktime;"  (also x0, r0, a0, w0)
_SLOT_LINE = re.compile(r"^\s*(?:/\*+|\*|//)?\s*(?P<prefix>reg|x|w|r|a)(?P<n>[0-7])\b\s*(?:[:=-]|stores|holds|contains|is|gets|returns|=)", re.I)
_ASSIGN = re.compile(r"\b(?P<array>[A-Za-z_]\w*)\[(?P<n>[0-7])\]\s*(?:=|\|=)(?!=)\s*(?P<value>[^;]*)")
_ZERO = re.compile(r"^\(?\s*0[uUlL]*\s*\)?$")
_END = re.compile(r"^(?P<indent>\s*)(case\b|default\s*:|\})")
_CASE = re.compile(r"^\s*case\b.*:\s*$")


def _indent(text: str) -> int:
    return len(text.expandtabs(8)) - len(text.expandtabs(8).lstrip())


def _comments(rows: tuple, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, int]]:
    """The ``/* */`` comments (first row, last row) that start on rows
    ``start`` to ``stop`` (the last row: None), read on from ``start``,
    where no comment is open."""
    i = start
    stop = len(rows) - 1 if stop is None else stop
    while i <= stop:
        if rows[i].text.lstrip().startswith("/*"):
            j = i
            while "*/" not in rows[j].text and j + 1 < len(rows):
                j += 1
            yield i, j
            i = j + 1
        else:
            i += 1


def _comments_near(rows: tuple, added: list[int]) -> list[tuple[int, int]]:
    """What ``_comments(rows)`` gives that holds one of the ``added`` rows
    (0-based, in order) or may have one in its block: every comment from
    the ``}`` (or ``case``, ``default``) at column 0 above each, which ends
    the block of any comment above it, read from a row where no comment is
    open (row 0, or one after a row that holds ``*/``).  A hit needs an
    added row in its comment or block."""
    found: dict[int, int] = {}
    scanned = 0  # rows above were read, and no comment is open here
    for row in added:
        at = max(row, scanned)
        while at > scanned and not (at < row and _ends_all(rows, at)):
            at -= 1
        while at > scanned and "*/" not in rows[at - 1].text:
            at -= 1
        end = row + 1  # where the scan stops: past ``row``, or past a comment that holds it
        for first, last in _comments(rows, at, row):
            found[first] = last
            end = max(end, last + 1)
        scanned = max(scanned, end)
    return sorted(found.items())


def _ends_all(rows: tuple, at: int) -> bool:
    """Does row ``at`` end the block of every comment above it (but one
    right above a ``case`` label, which it documents)?"""
    match = _END.match(rows[at].text)
    return match is not None and _indent(rows[at].text) == 0 and not _CASE.match(rows[at].text)


def _block(rows: tuple, last: int, indent: int) -> list:
    block = []
    for k, row in enumerate(rows[last + 1:]):
        if k == 0 and _CASE.match(row.text):
            continue  # the case label the comment documents
        match = _END.match(row.text)
        if match and _indent(row.text) <= indent:
            break
        block.append(row)
    return block


@record
class CommentSlotsMatcher:
    """The compiled ``comment-slots:`` block."""

    languages: tuple[str, ...] = ("c",)

    def bound(self) -> set[str]:
        """Names a message may use."""
        return {"SAID", "FILLED", "ARRAY", "MISSING"}

    def run(self, unit: TextUnit) -> Iterator[Hit]:
        """Enumerating comments whose slots differ from the elements the code fills."""
        if unit.view is None:
            return
        rows = unit.view.rows
        near = _comments_near(rows, [n - 1 for n in rows_of_kind(unit.view, "+")]) if unit.view.whole_file else None
        for first, last in _comments(rows) if near is None else near:
            slots = {}
            for row in rows[first:last + 1]:
                match = _SLOT_LINE.match(row.text)
                if match:
                    slots.setdefault(int(match.group("n")), match.group("prefix") + match.group("n"))
            if len(slots) < 2:
                continue
            block = _block(rows, last, _indent(rows[first].text))
            hit = self._check(rows, first, last, slots, block)
            if hit is not None:
                yield hit

    def _check(self, rows: tuple, first: int, last: int, slots: Mapping[int, str], block: list) -> Hit | None:
        filled: dict[str, set[int]] = {}
        padding: set[tuple[str, int]] = set()  # slots only ever set to 0: unused, nothing to document
        added = any(r.kind == "+" for r in rows[first:last + 1])
        for row in block:
            for match in _ASSIGN.finditer(row.text):
                key = (match.group("array"), int(match.group("n")))
                if _ZERO.match(match.group("value").strip()) and key[1] not in filled.get(key[0], set()):
                    padding.add(key)
                else:
                    padding.discard(key)
                filled.setdefault(key[0], set()).add(key[1])
                added = added or row.kind == "+"
        if not filled or not added:
            return None
        array, indices = max(filled.items(), key=lambda item: len(item[1]))
        code = " ".join(r.text for r in block)
        if re.search(rf"[(,]\s*&?{re.escape(array)}\s*[,)]", code):
            return None  # handed to a helper that may fill the rest
        said = set(slots)
        missing = sorted(said - indices)
        extra = sorted(n for n in indices - said if (array, n) not in padding)
        if not missing and not extra:
            return None
        parts = []
        if missing:
            parts.append("lists " + ", ".join(slots[n] for n in missing) + " but nothing here sets "
                         + ", ".join(f"{array}[{n}]" for n in missing))
        if extra:
            parts.append("does not list what " + ", ".join(f"{array}[{n}]" for n in extra) + " returns")
        return Hit(
            line=first + 1,
            column=1,
            bindings={"SAID": ", ".join(slots[n] for n in sorted(slots)),
                      "FILLED": ", ".join(f"{array}[{n}]" for n in sorted(indices)),
                      "ARRAY": array, "MISSING": "; ".join(parts)},
            key=f"comment-slots:{array}:{sorted(said)}:{sorted(indices)}",
        )


def compile_comment_slots(spec: Any, path: str) -> CommentSlotsMatcher:
    if spec not in (None, {}):
        raise ValueError("comment-slots: takes no keys (write `comment-slots: {}`)")
    return CommentSlotsMatcher()
