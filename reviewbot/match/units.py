"""The units of code matchers run on, and what they find (a Hit, before
the engine makes it a Finding)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from reviewbot.analysis.context import FileContext
from reviewbot.analysis.views import View
from reviewbot.match.patterns import Region
from reviewbot.records import field, record


@record
class AsmUnit:
    """A parsed region of assembly with its contexts."""

    view: View
    region: Region
    file: FileContext
    old: "AsmUnit | None" = None  # the same region before the patch, when there is one
    # comments the patch deletes anywhere in it, by folded text: every place, each (path, old line, statements, index)
    removed_comments: Mapping[str, tuple] = field(default_factory=dict)
    # macros, functions and labels the patch deletes and uses nowhere after it
    removed_names: frozenset[str] = frozenset()
    # every new-side region of the same file, this one included (hunks apart: a table and its code)
    siblings: tuple["AsmUnit", ...] = ()
    # for left-behind comments (match/c_comments.py): this file's hunks, the comments the patch adds anywhere
    hunks: tuple = ()
    added_comments: Mapping[str, list] = field(default_factory=dict)


@record
class TextUnit:
    """Lines of text (C source or a commit message); ``lines[i]`` is the
    view line ``i + 1`` (or the commit message's line)."""

    kind: str  # "c" or "commit-msg"
    lines: tuple[str, ...]
    view: View | None = None
    file: FileContext | None = None
    old_view: View | None = None  # the same region before the patch (C), when there is one
    # for the C comment rules: this file's hunks, the comments the patch adds
    # anywhere (folded text -> identifier sets of the code under each copy),
    # and the names whose definitions it deletes with no use left
    hunks: tuple = ()
    added_comments: Mapping[str, list] = field(default_factory=dict)
    removed_names: frozenset[str] = frozenset()
    # the removed and kept lines of the patch (any file) that name one of them
    naming_removed: tuple[str, ...] = ()
    # the text of every C unit of the patch (new side): definitions in sight
    patch_c: tuple[str, ...] = ()


@record
class Hit:
    """What a matcher found, before the engine makes it a Finding:
    ``line`` is 1-based in the unit; ``bindings`` render the message;
    ``trace`` is ``(role, unit line, text)``; ``anchors`` are the unit
    lines that tie the hit to the patch (``any-trace-step`` rules)."""

    line: int
    column: int
    bindings: Mapping[str, str]
    key: str
    trace: tuple[tuple[str, int, str], ...] = ()
    anchors: tuple[int, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)
    end_column: int | None = None  # 1-based, after the matched text (a safe fix replaces it)


def normalise(text: str) -> str:
    """A hit's key: its text with white space folded, in lower case."""
    return re.sub(r"\s+", " ", text.strip()).lower()
