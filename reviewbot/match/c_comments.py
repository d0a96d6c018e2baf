"""``comment:`` on C — comments the patch left saying what the code no longer does.

The C side of :mod:`reviewbot.match.comments`, read from the diff's hunks
(both sides) rather than a parse: a comment is ``/* ... */`` or ``//`` text,
the code it describes is the statements right under it, up to a blank
line, another comment or the end of the enclosing block.  Four kinds:

- ``left-behind``: the patch split or moved code and copied its comment
  with it.  The copy that stays (a kept comment) lost the code under it
  (the lines right below it were removed), and the very same comment is
  added elsewhere in the patch above code that shares the removed lines'
  identifiers, which the kept copy's code no longer has.  Where the kept
  copy's code still has them (a function split in two, both halves doing
  what the comment says), nothing is said.
- ``removed-term``: a kept comment claims an additive term ("plus a page
  for the data", "one extra", "+ 1") over a statement the patch changed,
  whose old version added a term (``n + 1``) that the new version lacks,
  and the new version adds nothing at all.
- ``names-removed``: a comment (kept or added; the whole file tree-aware)
  names a function, macro or variable whose definition the patch deletes,
  when nothing the patch leaves uses the name in code, in any file.
- ``changed-mention``: a kept comment over code the patch changed names an
  identifier that was in the removed lines right under it and that the new
  side of the hunk no longer uses anywhere.

Facts that span the patch (comments added in any file, definitions deleted)
are gathered once per patch by :func:`.c_comment_facts.attach_c_facts`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from reviewbot.match import c_mention_kept as kept
from reviewbot.match.c_comment_lists import list_still_under
from reviewbot.match.c_comment_terms import PLUS_TERM as _PLUS_TERM, TERM_CLAIM as _TERM_CLAIM, moved_below
from reviewbot.match.comment_blocks import changed_lines
from reviewbot.match.fresh_mentions import written_fresh
from reviewbot.match.units import Hit, TextUnit
from reviewbot.model import DiffLine, Hunk
from reviewbot.records import record

KINDS = ("left-behind", "removed-term", "names-removed", "changed-mention")

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)\'')
C_KEYWORDS = frozenset("""
    auto break case char const continue default do double else enum extern float for goto if inline int long
    register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while
    bool true false NULL u8 u16 u32 u64 s8 s16 s32 s64 define ifdef ifndef endif include elif undef defined
    unlikely likely val ret err res tmp idx flags data size addr reg len this that
""".split())
_LICENCE = re.compile(r"SPDX-License-Identifier|Copyright|\(C\)", re.IGNORECASE)
# an added comment about the old name is history, not a claim about the code
_HISTORY = re.compile(r"\b(used to|formerly|previously|no longer|replac\w*|renamed|instead of|old|was|were)\b",
                      re.IGNORECASE)


@record
class CComment:
    """A comment in a sequence of lines: 0-based first and last index, column, text."""

    first: int
    last: int
    column: int
    text: str
    alone: bool = True  # nothing but white space before it on its first line and after it on its last


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group(0))


def scan_comments(lines: list[str]) -> list[CComment]:
    """The comments in C lines (string literals left out)."""
    return _scan_lines(lines, 0, len(lines))[0]


def _scan_lines(lines: Sequence[str], start: int, stop: int) -> tuple[list[CComment], bool]:
    """``scan_comments`` of ``lines[start:stop]`` (no comment open at
    ``start``), and whether none is open at ``stop``."""
    found: list[CComment] = []
    open_at: tuple[int, int] | None = None
    parts: list[str] = []
    for index in range(start, stop):
        raw = lines[index]
        line = _code_line(raw)
        pos = 0
        while pos <= len(line):
            if open_at is not None:
                end = line.find("*/", pos)
                if end < 0:
                    parts.append(line[pos:])
                    break
                parts.append(line[pos:end])
                alone = not lines[open_at[0]][:open_at[1]].strip() and not line[end + 2:].strip()
                found.append(CComment(open_at[0], index, open_at[1] + 1, " ".join(parts), alone))
                open_at, parts, pos = None, [], end + 2
                continue
            block, slash = line.find("/*", pos), line.find("//", pos)
            if slash >= 0 and (block < 0 or slash < block):
                found.append(CComment(index, index, slash + 1, line[slash + 2:], not line[:slash].strip()))
                break
            if block < 0:
                break
            open_at, pos = (index, block), block + 2
    return found, open_at is None


def _code_line(raw: str) -> str:
    return _STRING.sub(_blank, raw) if '"' in raw or "'" in raw else raw


def _closes(raw: str) -> bool:
    """After this line no comment is open, whatever was open before it: it
    holds a ``*/`` that no ``/*`` follows (one open there closes there, and
    a ``//`` before it ends the line's comments)."""
    line = _code_line(raw)
    end = line.rfind("*/")
    return end >= 0 and line.find("/*", max(end - 1, 0)) < 0


def _comments_ending(lines: Sequence[str], lasts: set[int]) -> list[CComment]:
    """What ``scan_comments(lines)`` gives that ends on one of ``lasts``,
    read from a line where no comment is open above each."""
    found: dict[tuple[int, int], CComment] = {}
    floor = 0  # no comment is open at the start of this line
    for last in sorted(lasts):
        start = max(last, floor)
        while start > floor and not _closes(lines[start - 1]):
            start -= 1
        comments, closed = _scan_lines(lines, start, last + 1)
        found.update(((c.first, c.column), c) for c in comments if c.last in lasts)
        floor = last + 1 if closed else start
    return [found[key] for key in sorted(found)]


class _Texts(Sequence[str]):
    """The texts of view rows, read as asked."""

    def __init__(self, rows: Sequence[Any]) -> None:
        self._rows = rows

    def __getitem__(self, index: Any) -> Any:
        return self._rows[index].text

    def __len__(self) -> int:
        return len(self._rows)


def _over_changes(unit: Any, c: bool) -> list[CComment]:
    """The comments of a whole file that end on a kept line right above a
    change (blank lines between allowed): the only ones the kinds that
    judge kept comments can judge; remembered for the unit's other rules."""
    lines = unit.lines if c else unit.view.rows
    for known_lines, known_view, comments in _OVER:
        if known_lines is lines and known_view is unit.view:
            return comments
    rows = unit.view.rows
    lasts = set()
    for line in changed_lines(unit.view):
        at = line - 2
        while at >= 0 and not rows[at].text.strip():
            at -= 1
        if at >= 0 and rows[at].kind == " ":
            lasts.add(at)
    comments = _comments_ending(unit.lines if c else _Texts(rows), lasts)
    _OVER[:] = _OVER[-3:] + [(lines, unit.view, comments)]
    return comments


_OVER: list[tuple[Any, Any, list[CComment]]] = []


def comment_words(text: str) -> str:
    """A comment's text without its decoration, white space folded."""
    return " ".join(w for w in text.split() if w not in ("*", "/*", "*/", "//"))


def fold(text: str) -> str:
    """A comment's text as copies of it compare: no white space, ``*`` or ``/``, lower case."""
    return re.sub(r"[\s*/]+", "", text).lower()


def code_of(lines: Iterable[str]) -> str:
    """C lines with comments and strings blanked."""
    text = "\n".join(lines)
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL)
    text = re.sub(r"//[^\n]*", " ", text)
    return _STRING.sub(" ", text)


def identifiers(lines: Iterable[str]) -> set[str]:
    """The identifiers the code of these lines uses."""
    return set(WORD.findall(code_of(lines)))


def _distinctive(names: Iterable[str]) -> set[str]:
    return {n for n in names if len(n) >= 4 and n not in C_KEYWORDS}


# --- a side of a hunk -----------------------------------------------------------------------------


def hunk_side(hunk_lines: tuple[DiffLine, ...], start: int, kinds: str) -> list[DiffLine]:
    """The code statements right after hunk line ``start`` on one side
    (``" -"`` old, ``" +"`` new): up to a blank line, a comment, or the
    close of the enclosing block."""
    block: list[DiffLine] = []
    depth = 0
    for row in hunk_lines[start + 1:]:
        if row.kind not in kinds:
            continue
        stripped = row.text.strip()
        if not stripped:
            if block:
                break
            continue
        if stripped.startswith(("/*", "//")) and block:
            break
        depth += stripped.count("{") - stripped.count("}")
        if depth < 0:
            break
        block.append(row)
    return block


def _statement(block: list[DiffLine]) -> list[DiffLine]:
    """The first statement of a block: up to a line ending in ``;`` or ``{``."""
    out = []
    for row in block:
        out.append(row)
        if row.text.rstrip().endswith((";", "{", "}")):
            break
    return out


# --- the matcher ----------------------------------------------------------------------------------


@record
class CCommentMatcher:
    """The compiled ``comment:`` block of a C rule."""

    kinds: tuple[str, ...]
    languages: tuple[str, ...] = ("c", "arm64-asm")

    def bound(self) -> set[str]:
        """Names a message may use."""
        return {"COMMENT", "SAYS", "STALE"}

    def run(self, unit: Any) -> Iterator[Hit]:
        """Stale comments in one C unit (or, for ``left-behind``, a region
        of assembly: its comments are C's)."""
        c = isinstance(unit, TextUnit)
        if (c and unit.kind != "c") or unit.view is None:
            return
        if not unit.hunks and not ("names-removed" in self.kinds and c and unit.removed_names):
            return  # a kept comment is judged against its hunk, and there is none
        rows = unit.view.rows
        position: dict[int, tuple[Hunk, int]] | None = None
        every = ("names-removed" in self.kinds and c and unit.removed_names) or not unit.view.whole_file
        for comment in _scan(unit.lines if c else tuple(r.text for r in rows)) if every else _over_changes(unit, c):
            own = rows[comment.first: comment.last + 1]
            if "names-removed" in self.kinds and c and unit.removed_names:
                hit = _names_removed(comment, own, comment_words(comment.text), unit.removed_names,
                                     unit.naming_removed)
                if hit is not None:
                    yield hit
            if not comment.alone or not all(r.kind == " " for r in own) or not _changed_below(rows, comment.last):
                continue
            words = comment_words(comment.text)
            if position is None:  # built once per unit, only where a kept comment sits on changed code
                position = {id(row): (h, i) for h in unit.hunks for i, row in enumerate(h.lines)}
            if id(own[-1]) not in position:
                continue
            hunk, end = position[id(own[-1])]
            old = hunk_side(hunk.lines, end, " -")
            new = hunk_side(hunk.lines, end, " +")
            if not old or old[0].kind != "-":
                continue  # the code right under the comment is unchanged
            for kind, check in (("left-behind", _left_behind), ("removed-term", _removed_term),
                                ("changed-mention", _changed_mention)):
                if kind in self.kinds:
                    says = check(comment, words, old, new, hunk, unit)
                    if says:
                        yield _hit(comment, words, says, kind, rows, new)


@lru_cache(maxsize=16)  # the four C rules read the same unit
def _scan(lines: tuple[str, ...]) -> tuple[CComment, ...]:
    return tuple(scan_comments(list(lines))) if any("/" in line for line in lines) else ()


def _changed_below(rows: tuple, last: int) -> bool:
    """Did the patch add or delete lines right under view row ``last``
    (blank lines between allowed)?"""
    previous = rows[last].old_line
    for row in rows[last + 1:]:
        if row.kind == "+" or previous is None or row.old_line != previous + 1:
            return True
        if row.text.strip():
            return False
        previous = row.old_line
    return False


def _hit(comment: CComment, words: str, says: str, kind: str, rows: tuple, new: list[DiffLine]) -> Hit:
    anchors = tuple(i + 1 for i, r in enumerate(rows) if r.kind == "+" and any(r is n for n in new))
    return Hit(line=comment.first + 1, column=comment.column,
               bindings={"COMMENT": words[:80], "SAYS": says, "STALE": says},
               key=f"c-comment:{kind}:" + fold(comment.text)[:120],
               anchors=anchors or (comment.first + 1,), extra={"HOW": kind})


def _left_behind(comment: CComment, words: str, old: list[DiffLine], new: list[DiffLine],
                 hunk: Hunk, unit: Any) -> str | None:
    if len(words.split()) < 2 or _LICENCE.search(words):
        return None
    copies = unit.added_comments.get(fold(comment.text))
    if not copies or list_still_under(old, new):
        return None
    removed = identifiers(r.text for r in old if r.kind == "-")
    kept = identifiers(r.text for r in new)
    rewritten = _distinctive(identifiers(r.text for r in new if r.kind == "+"))
    if len(rewritten - removed) * 4 > len(rewritten):
        return None  # new code under it (a call to where the code went, a rewrite): it may still hold
    for copy in copies:
        shared = _distinctive(removed & copy)
        gone = shared - kept
        if gone and 2 * len(gone) >= len(shared):
            names = ", ".join(sorted(gone)[:3])
            return (f"was copied to code the patch adds elsewhere; this copy stayed above code that no longer "
                    f"has what it described (the removed lines under it used {names}, as the code under the "
                    f"new copy does)")
    return None


def _terms(rows: list[DiffLine]) -> list[str]:
    text = " ".join(code_of(r.text for r in rows).split())
    return [m.group(1).replace(" ", "") for m in _PLUS_TERM.finditer(text)]


def _removed_term(comment: CComment, words: str, old: list[DiffLine], new: list[DiffLine],
                  hunk: Hunk, unit: Any) -> str | None:
    claim = _TERM_CLAIM.search(words)
    if claim is None:
        return None
    before, after = _statement(old), _statement(new)
    if not any(r.kind == "+" for r in after):
        return None
    old_terms, new_terms = _terms(before), _terms(after)
    if not old_terms or new_terms or moved_below(old_terms, new[len(after):]):
        return None  # the new statement (or one the term moved to right below) still adds something
    a, b = identifiers(r.text for r in before), identifiers(r.text for r in after)
    if not a or len(a & b) * 2 < len(a | b):
        return None  # another statement, not the same one changed
    return (f"says '{claim.group(0)}', but the patch removed '+ {old_terms[0]}' from the statement under it, "
            f"which now adds nothing")


def _changed_mention(comment: CComment, words: str, old: list[DiffLine], new: list[DiffLine],
                     hunk: Hunk, unit: Any) -> str | None:
    named = {m.group(1) for m in re.finditer(r"\b([A-Za-z_]\w*)(?:\(\))?", words)
             if "_" in m.group(1).strip("_") and len(m.group(1)) >= 5}
    if not named:
        return None
    removed_code = code_of(r.text for r in old if r.kind == "-")
    named = {n for n in named if not n.endswith("_t")} - kept.type_tags(removed_code)  # a type reads as prose
    removed = set(WORD.findall(removed_code))
    still = identifiers(r.text for r in hunk.lines if r.kind in " +")
    helpers = identifiers(r.text for r in new if r.kind == "+") - removed
    # a name kept inside a new one (cpu_ops -> get_cpu_ops) still says what the code does
    gone = sorted(n for n in (named & removed) - still if not any(n in w for w in still)
                  and not kept.said_otherwise(n, still, helpers, unit, new))
    if not gone or kept.cut_by_hunk_end(hunk.lines, old[0]):
        return None
    return (f"names {', '.join(gone)}, which the patch removed from the code under it "
            f"(the new code does not use it anywhere in this hunk)")


def _names_removed(comment: CComment, own: tuple, words: str, removed: frozenset[str],
                   old_lines: tuple[str, ...] = ()) -> Hit | None:
    named = sorted(set(WORD.findall(comment.text)) & removed)
    named = [n for n in named if not written_fresh(n, own, old_lines)]
    if not named:
        return None
    if any(r.kind == "+" for r in own) and _HISTORY.search(words):
        return None  # an added comment about the old name is history
    names = ", ".join(named)
    return Hit(line=comment.first + 1, column=comment.column,
               bindings={"COMMENT": words[:80], "STALE": names,
                         "SAYS": f"names {names}, which this patch deletes and nothing left in the patch uses"},
               key="c-comment-removed:" + names + ":" + fold(comment.text)[:120])
