"""``comment-action:`` — a comment that says the code does something the
patch took out from under it.

A comment the patch keeps (``/* Flush the dcache ... */``) sits directly
above a block of code: the lines after it up to a blank line, a closing
brace, a label or the next comment.  It is stale when it says an action
(a verb of the rule's ``actions``: flush, invalidate, save, ...), the
block under it before the patch performed that action (a removed line
names a call, macro or instruction of the verb's code names:
``__flush_dcache_area``, ``tlbi``) and the block after the patch performs
it no more: no line there names any of the verb's code names.

Said less, on purpose:

- the removed code name appearing on any added line of the region (the
  action moved, perhaps only past the block's end);
- a new line in the block naming what the removed call acted on (a word
  of its name such as ``dcache`` or ``icache``): a replacement under
  another name is likely (``__flush_icache_range`` -> ``icache_inval_pou``
  is caught by the verb list; ``sync_icache_aliases`` by this).

Text only (no parser): works on C and assembly alike, on the rows of the
region and of its pre-image.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from typing import Any

from reviewbot.match.comment_blocks import rows_of_kind
from reviewbot.match.units import AsmUnit, Hit, TextUnit
from reviewbot.records import record

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BLOCK_END = re.compile(r"^\s*(\}|$|#\s*(else|elif|endif)\b|[A-Za-z_.]\w*:\s*(//.*|/\*.*)?$)")
_COMMENT_START = re.compile(r"^\s*(/\*|//)")
# words of a code name that say nothing about what it acts on
_GENERIC = frozenset({"kvm", "arch", "range", "area", "this", "cpu", "local", "all", "to", "poc", "pou",
                      "by", "va", "pa", "the", "and", "for", "with", "from", "void", "struct", "unsigned",
                      "long", "int", "inline", "static", "return", "if", "else", "while", "do"})


@record
class Action:
    """One verb the comments may say, with the code names that perform it."""

    verb: re.Pattern[str]
    code: tuple[re.Pattern[str], ...]

    def performed_by(self, names: list[str]) -> list[str]:
        return [n for n in names if any(p.search(n) for p in self.code)]


def _strip_comment(text: str) -> str:
    text = re.sub(r"/\*.*?(\*/|$)", " ", text)
    return re.sub(r"//.*$", " ", text)


def _code_names(text: str) -> list[str]:
    return _IDENT.findall(_strip_comment(text))


def _comments(rows: tuple) -> Iterator[tuple[int, int]]:
    """(first, last) 0-based row indices of each comment that starts its line."""
    i = 0
    while i < len(rows):
        j = _comment_from(rows, i)
        if j is None:
            i += 1
        else:
            yield i, j
            i = j + 1


def _comment_from(rows: tuple, i: int) -> int | None:
    """The last row of the comment that starts row ``i`` (no comment open
    there), or None when the row does not start one."""
    text = rows[i].text
    j = i
    if text.lstrip().startswith("/*"):
        while "*/" not in rows[j].text and j + 1 < len(rows):
            j += 1
        return j
    if text.lstrip().startswith("//"):
        while j + 1 < len(rows) and rows[j + 1].text.lstrip().startswith("//"):
            j += 1
        return j
    return None


def _above_deletions(old_rows: tuple, deleted: list[int]) -> set[int]:
    """The old rows (0-based) a comment may end on for its block to hold a
    deleted row: from each deleted row up to the first row above that ends
    a block (a label right under the comment does not)."""
    found: set[int] = set()
    for row in deleted:
        at = row - 1
        while at >= 0 and at not in found:
            found.add(at)
            text = old_rows[at].text
            if (_BLOCK_END.match(text) or _COMMENT_START.match(text)) and not _LABEL_LINE.match(text):
                break
            at -= 1
    return found


def _new_rows(rows: tuple, old_rows: tuple, old: set[int]) -> set[int]:
    """The rows (0-based) of the new side that are the kept rows ``old`` of the old side."""
    found = set()
    for at in old:
        row = old_rows[at]
        if row.kind == " " and row.new_line is not None:
            guess = row.new_line - rows[0].new_line if rows and rows[0].new_line is not None else -1
            if 0 <= guess < len(rows) and rows[guess].old_line == row.old_line:
                found.add(guess)
            else:  # not one run of new lines
                found.update(i for i, r in enumerate(rows) if r.old_line is not None and r.old_line == row.old_line)
    return found


def _old_index(old_rows: tuple, old_line: int | None) -> int | None:
    """The old side's row (0-based) of file line ``old_line`` (the last one)."""
    if old_line is None or not old_rows:
        return None
    guess = old_line - old_rows[0].old_line if old_rows[0].old_line is not None else -1
    if 0 <= guess < len(old_rows) and old_rows[guess].old_line == old_line \
            and (guess + 1 == len(old_rows) or old_rows[guess + 1].old_line != old_line):
        return guess
    return next((i for i in range(len(old_rows) - 1, -1, -1) if old_rows[i].old_line == old_line), None)


def _comments_ending(rows: tuple, ends: set[int]) -> list[tuple[int, int]]:
    """What ``_comments(rows)`` gives that ends on one of ``ends``, read
    from a row the scan starts afresh at above each (row 0, or one after a
    row that holds ``*/`` and does not start with ``//``: a ``/*`` comment
    open there closes there, and no ``//`` run goes on past it)."""
    found: list[tuple[int, int]] = []
    resume = 0  # a row the scan starts afresh at
    for end in sorted(ends):
        if end < resume:
            continue
        at = end
        while at > resume and not ("*/" in rows[at - 1].text and not rows[at - 1].text.lstrip().startswith("//")):
            at -= 1
        while at <= end:  # as _comments reads on from there, up to the comment that holds ``end``
            last = _comment_from(rows, at)
            if last is not None and last in ends:
                found.append((at, last))
            at = at + 1 if last is None else last + 1
        resume = at
    return found


_LABEL_LINE = re.compile(r"^\s*[A-Za-z_.]\w*:")


def _block(rows: tuple, after: int) -> list:
    """The rows a comment ending at row ``after`` sits on (0-based, exclusive)."""
    block = []
    for row in rows[after + 1:]:
        if _BLOCK_END.match(row.text) or _COMMENT_START.match(row.text):
            if _BLOCK_END.match(row.text) and re.match(r"^\s*[A-Za-z_.]\w*:", row.text) and not block:
                continue  # a label right under the comment is what it names
            break
        block.append(row)
    return block


def _words(name: str) -> set[str]:
    return {w for w in name.lower().strip("_").split("_") if len(w) >= 4 and w not in _GENERIC}


@record
class CommentActionMatcher:
    """The compiled ``comment-action:`` block."""

    actions: tuple[Action, ...]
    languages: tuple[str, ...] = ("arm64-asm", "c")

    def bound(self) -> set[str]:
        """Names a message may use."""
        return {"VERB", "GONE", "COMMENT"}

    def run(self, unit: AsmUnit | TextUnit) -> Iterator[Hit]:
        """Kept comments whose action the patch removed from the block under them."""
        view = unit.view
        old_view = unit.old.view if isinstance(unit, AsmUnit) and unit.old else getattr(unit, "old_view", None)
        if view is None or old_view is None or view.all_added:
            return
        rows, old_rows = view.rows, old_view.rows
        deleted = [n - 1 for n in rows_of_kind(old_view, "-")]
        if not deleted:
            return  # no block lost a line
        added_names: set[str] | None = None  # read only once a kept comment sits over removed lines
        comments = _comments_ending(rows, _new_rows(rows, old_rows, _above_deletions(old_rows, deleted))) \
            if view.whole_file else _comments(rows)
        for first, last in comments:
            if any(r.kind != " " for r in rows[first:last + 1]):
                continue  # only comments the patch keeps, as they were
            end_old = _old_index(old_rows, rows[last].old_line)
            if end_old is None:
                continue
            if bisect_right(deleted, end_old) == len(deleted):
                continue  # no deleted line below it
            text = " ".join(r.text for r in rows[first:last + 1])
            old_block = _block(old_rows, end_old)
            if not any(r.kind == "-" for r in old_block):
                continue
            new_block = _block(rows, last)
            if not new_block:
                continue
            if added_names is None:
                added_names = {n for i in rows_of_kind(view, "+") for n in _code_names(rows[i - 1].text)}
            hit = self._check(text, new_block, old_block, added_names, first + 1)
            if hit is not None:
                yield hit

    def _check(self, text: str, new_block: list, old_block: list, added_names: set[str],
               line: int) -> Hit | None:
        prose = _strip_markers(text)
        new_names = [n for r in new_block for n in _code_names(r.text)]
        new_words = {w for n in new_names for w in _words(n)}
        for action in self.actions:
            verb = action.verb.search(prose)
            if verb is None:
                continue
            removed = [n for r in old_block if r.kind == "-" for n in action.performed_by(_code_names(r.text))]
            if not removed or action.performed_by(new_names):
                continue
            if any(n in added_names for n in removed) or any(_words(n) & new_words for n in removed):
                continue
            gone = removed[0]
            return Hit(
                line=line,
                column=1,
                bindings={"VERB": verb.group(0).lower(), "GONE": gone, "COMMENT": " ".join(prose.split())[:80]},
                key=f"comment-action:{verb.group(0).lower()}:{gone}:" + re.sub(r"\s+", "", prose)[:80].lower(),
                anchors=(line,),
            )
        return None


def _strip_markers(text: str) -> str:
    return re.sub(r"/\*+|\*+/|^\s*\*|//", " ", text)


def compile_comment_action(spec: Any, path: str) -> CommentActionMatcher:
    if not isinstance(spec, Mapping) or not isinstance(spec.get("actions"), Mapping):
        raise ValueError("comment-action: expected a mapping with 'actions: {verb regex: [code name regex]}'")
    bad = [k for k in spec if k != "actions"]
    if bad:
        raise ValueError(f"comment-action: unknown key '{bad[0]}' (valid keys: actions)")
    actions = []
    for verb, names in spec["actions"].items():
        try:
            actions.append(Action(re.compile(rf"\b(?:{verb})\b", re.IGNORECASE),
                                  tuple(re.compile(n, re.IGNORECASE) for n in names)))
        except re.error as exc:
            raise ValueError(f"comment-action.actions: bad regex under {verb!r}: {exc}") from None
    return CommentActionMatcher(actions=tuple(actions))
