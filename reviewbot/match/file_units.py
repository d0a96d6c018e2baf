"""The units the rules run on, for one changed file: parsed regions of
assembly with their statement contexts (hyp or not, section, enclosing
macro), lines of C, old and new side, each on the views (hunks or whole
files) the patch and the tree give.  Pure."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from reviewbot.analysis.context import LANG_ASM, LANG_C, FileContext, file_context, statement_contexts
from reviewbot.analysis.kernels import Era
from reviewbot.analysis.views import FileRows, View, file_view, full_views, hunk_views
from reviewbot.asm.ast import Comment, Instruction, MacroDef, Unread
from reviewbot.asm.parser import edited, outline, parse, read_unread
from reviewbot.config import Config
from reviewbot.errors import DiffParseError
from reviewbot.match.comments import code_words, deleted_definitions, removed_comments, words
from reviewbot.match.patterns import Region
from reviewbot.match.taint import spans_of
from reviewbot.match.units import AsmUnit, TextUnit
from reviewbot.model import DiffLine, FileChange
from reviewbot.records import field, record, replace



@record(frozen=False)
class FileUnits:
    """Everything the rules see of one changed file."""

    change: FileChange
    context: FileContext
    new_asm: list[AsmUnit] = field(default_factory=list)
    old_asm: list[AsmUnit] = field(default_factory=list)
    new_c: list[TextUnit] = field(default_factory=list)


def _asm_text(view: View, header: bool) -> str:
    """The view's text, with the lines of a C header that are not assembly
    blanked (kept as empty lines so line numbers hold)."""
    if not header:
        return view.text
    mask = asm_line_mask([row.text for row in view.rows])
    return "\n".join(row.text if keep else "" for row, keep in zip(view.rows, mask))


_IF_ASSEMBLY = re.compile(r"#\s*if(def)?\s.*__ASSEMBLY__|#\s*if\s+defined\s*\(?\s*__ASSEMBLY__")
_IF = re.compile(r"#\s*if")
_ELSE = re.compile(r"#\s*else")
_ENDIF = re.compile(r"#\s*endif")


def asm_line_mask(lines: list[str]) -> list[bool]:
    """For a C header: which lines are assembly (``#ifdef __ASSEMBLY__``
    blocks and ``.macro`` ... ``.endm`` bodies)."""
    mask = [False] * len(lines)
    stack: list[bool] = []
    in_macro = False
    ends = [i for i, line in enumerate(lines) if line.strip().startswith(".endm")]
    starts = [i for i, line in enumerate(lines) if line.strip().startswith(".macro")]
    if ends and (not starts or ends[0] < starts[0]):
        in_macro = True  # the hunk starts inside a macro body
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith("#"):
            pass  # the common case: no directive (each pattern below starts with '#')
        elif _IF_ASSEMBLY.match(stripped):
            stack.append(not stripped.startswith(("#ifndef", "# ifndef")) and "!" not in stripped)
        elif _IF.match(stripped):
            stack.append(stack[-1] if stack else False)
        elif _ELSE.match(stripped) and stack:
            stack[-1] = not stack[-1]
        elif _ENDIF.match(stripped) and stack:
            stack.pop()
        if stripped.startswith(".macro"):
            in_macro = True
        mask[i] = in_macro or bool(stack and stack[-1])
        if stripped.startswith(".endm"):
            in_macro = False
    for start in starts:  # the comment documenting a macro, across #if lines, is the macro's
        i = start - 1
        while i >= 0 and not mask[i] and _comment_or_cpp(lines[i]):
            mask[i] = True
            i -= 1
    return mask


def _comment_or_cpp(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(("/*", "*", "//", "#if", "#else", "#elif", "#endif")) or stripped.endswith("*/")


def _units_for_views(views: Iterable[View], ctx: FileContext, config: Config, header: bool,
                     wanted: list[tuple[int, int]] | None = None) -> tuple[list[AsmUnit], list[TextUnit]]:
    """``wanted``: for a whole-file view, the spans of its outline to read
    (None: all of them)."""
    asm_units: list[AsmUnit] = []
    c_units: list[TextUnit] = []
    for view in views:
        if ctx.language == LANG_ASM or header:
            text = _asm_text(view, header)
            if text.strip():
                if view.whole_file:
                    statements, contexts = _read_whole_file(text, wanted, ctx, config)
                else:
                    statements = parse(text, source=view.path)
                    contexts = statement_contexts(statements, ctx, config.context) if statements else []
                if statements:
                    asm_units.append(AsmUnit(view, Region(statements, tuple(contexts)), ctx))
        if ctx.language == LANG_C:
            mask = asm_line_mask([r.text for r in view.rows]) if header else [False] * len(view.rows)
            lines = tuple("" if asm else row.text for row, asm in zip(view.rows, mask))
            c_units.append(TextUnit("c", lines, view, ctx))
    return asm_units, c_units


def _whole_file_outline(text: str, made: Callable[[], tuple] | None = None) -> tuple:
    """``outline`` of a whole file (or what ``made`` gives for it),
    remembered: in a series, a patch's pre-image is often the post-image
    of an earlier patch (or the same base file).  It depends on the text
    alone and its statements are immutable, so sharing is safe."""
    shape = _OUTLINES.get(text)
    if shape is None:
        shape = made() if made is not None else outline(text)
        while len(_OUTLINES) >= 4:  # a chain needs the last post-image; whole files are big
            try:
                _OUTLINES.pop(next(iter(_OUTLINES)), None)
            except (RuntimeError, StopIteration):  # another thread changed it: it is small enough
                break
        _OUTLINES[text] = shape
    return shape


_OUTLINES: dict[str, tuple] = {}


def _read_whole_file(text: str, wanted: list[tuple[int, int]] | None, ctx: FileContext,
                     config: Config) -> tuple[tuple, list]:
    """A whole file's statements and contexts, the instructions read in
    the ``wanted`` spans of its outline (all: None).  Contexts do not
    depend on instructions: the outline's serve when reading gave one
    node per statement."""
    shape = _whole_file_outline(text)
    contexts = _whole_file_contexts(shape, ctx, config)
    if wanted is None:
        wanted = spans_of(shape)
    if not any(type(shape[i]) is Unread for start, end in wanted for i in range(start, end)):
        return shape, contexts
    statements = _read(shape, wanted)
    if len(statements) != len(shape):
        contexts = statement_contexts(statements, ctx, config.context)
    return statements, contexts


def _read(shape: tuple, wanted: list[tuple[int, int]]) -> tuple:
    """``read_unread``, remembered: a chain's pre-image is read as its
    post-image was when the same spans are wanted (and every unit of one
    text shares its statements)."""
    key = (id(shape), tuple(wanted))
    for known_key, known_shape, statements in _READ:
        if known_key == key and known_shape is shape:
            return statements
    statements = read_unread(shape, wanted)
    _READ[:] = _READ[-3:] + [(key, shape, statements)]
    return statements


_READ: list[tuple[tuple, tuple, tuple]] = []


def _spans_near(shape: tuple, near: set[int]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The spans of an outline (functions, macro bodies, runs between them:
    what a taint trace or a rule's relation stays in) whose lines (from its
    first statement to the end of its last) hold a ``near`` line, and the
    span after one whose comment is near (what a comment is about comes
    below it); and the lines they cover."""
    wanted: list[tuple[int, int]] = []
    covered: list[tuple[int, int]] = []
    lines = sorted(near)
    follow = False
    for (start, end), (first, last) in zip(spans_of(shape), _span_lines(shape)):
        at = bisect_left(lines, first)
        hit = at < len(lines) and lines[at] <= last
        if hit or follow:
            wanted.append((start, end))
            covered.append((first, last))
        follow = hit and any(type(shape[i]) is Comment and _near(shape[i], near) for i in range(start, end))
    return wanted, covered


def _span_lines(shape: tuple) -> list[tuple[int, int]]:
    """The first and last line of every span of an outline, remembered."""
    for known, lines in _SPAN_LINES:
        if known is shape:
            return lines
    lines = []
    # the only statements that end on a later line than they start: comments over several lines
    long = [i for i, stmt in enumerate(shape) if type(stmt) is Comment and stmt.end_line > stmt.line]
    ends = [shape[i].end_line for i in long]
    for start, end in spans_of(shape):
        last = max(s.line for s in shape[start:end])
        inside = ends[bisect_left(long, start):bisect_left(long, end)]
        lines.append((shape[start].line, max(last, *inside) if inside else last))
    _SPAN_LINES[:] = _SPAN_LINES[-3:] + [(shape, lines)]
    return lines


_SPAN_LINES: list[tuple[tuple, list[tuple[int, int]]]] = []


def _near(stmt: Any, near: set[int]) -> bool:
    """Is a line of the statement (every line of a comment) near a change?"""
    if type(stmt) is Comment and stmt.end_line > stmt.line:
        return any(n in near for n in range(stmt.line, stmt.end_line + 1))
    return stmt.line in near


def read_pair(new: View, old: View, header: bool, lines: int,
              hunks: Iterable[Any] = ()) -> tuple[list, list]:
    """The spans to read of a whole-file pair (new, old): those within
    ``lines`` of a change, and on each side the spans holding the other
    side's read lines, until both sides read the same code (a span's
    bounds can differ between the sides when the patch moves a marker)."""
    from reviewbot.match.focus import changed_rows  # focus imports this package's units

    old_text, new_text = _asm_text(old, header), _asm_text(new, header)
    old_shape = _whole_file_outline(old_text)
    spans = [(h.old_start, h.old_count, h.new_start, h.new_count) for h in hunks]
    # the new side made from the old one, scanning only around the hunks (a
    # header's assembly lines depend on #ifdefs anywhere: it is outlined)
    new_shape = _whole_file_outline(new_text, None if header or not spans else
                                    lambda: edited(old_shape, old_text, new_text, spans))
    near_new = {n for c in changed_rows(new) for n in range(c - lines, c + lines + 1)}
    near_old = {n for c in changed_rows(old) for n in range(c - lines, c + lines + 1)}
    while True:
        new_spans, new_lines = _spans_near(new_shape, near_new)
        near_old |= _other_side(new.rows, new_lines, "old_line")
        old_spans, old_lines = _spans_near(old_shape, near_old)
        back = _other_side(old.rows, old_lines, "new_line")
        if back <= near_new:  # grows each turn, within the file: it ends
            return new_spans, old_spans
        near_new |= back


def _other_side(rows: Sequence[DiffLine], lines: list[tuple[int, int]], side: str) -> set[int]:
    """The lines of the other side (``old_line`` or ``new_line``) that the
    1-based rows ``first`` to ``last`` of each range hold, for the rows
    both sides have."""
    found: set[int] = set()
    for first, last in lines:
        if type(rows) is FileRows:
            for piece in rows.other_side(first, last, side):
                found.update(piece)
            continue
        for n in range(max(first, 1), min(last, len(rows)) + 1):
            if (line := getattr(rows[n - 1], side)) is not None:
                found.add(line)
    return found


_CONTEXTS: list[tuple[tuple, FileContext, Config, list]] = []


def _whole_file_contexts(statements: tuple, ctx: FileContext, config: Config) -> list:
    """``statement_contexts`` of a whole file's statements, remembered with
    its parse: a chained pre-image has the contexts its post-image had."""
    for known, known_ctx, known_config, contexts in _CONTEXTS:
        if known is statements and known_config is config and known_ctx == ctx:
            return contexts
    contexts = statement_contexts(statements, ctx, config.context)
    _CONTEXTS[:] = _CONTEXTS[-3:] + [(statements, ctx, config, contexts)]
    return contexts


def build_units(change: FileChange, config: Config, era: Era, *, old_text: str | None = None,
                whole_file_text: str | None = None, near: int | None = None) -> FileUnits:
    """Parse the regions of one file change (or a whole file for ``check --file``).

    With ``old_text`` (tree-aware), the views are whole files; with
    ``near``, only the functions within that many lines of a change have
    their instructions read (the rest of each file is outlined)."""
    ctx = file_context(change.path, config.context, era)
    units = FileUnits(change, ctx)
    if change.is_binary or ctx.language not in (LANG_ASM, LANG_C):
        return units
    header = change.path.endswith(".h")
    new_read: list | None = None
    old_read: list | None = None
    if whole_file_text is not None:
        new_views, old_views = [file_view(change.path, whole_file_text)], []
    elif old_text is not None and (views := _full_or_none(change, old_text)) is not None:
        old_view, new_view = views
        new_views, old_views = [new_view], [old_view]
        if near is not None and (ctx.language == LANG_ASM or header):
            new_read, old_read = read_pair(new_view, old_view, header, near, change.hunks)
    else:
        new_views, old_views = hunk_views(change, "new"), hunk_views(change, "old")
    if change.new_path is not None:
        units.new_asm, units.new_c = _units_for_views(new_views, ctx, config, header, new_read)
    if change.old_path is not None:
        old_ctx = file_context(change.old_path, config.context, era) if change.old_path != change.path else ctx
        units.old_asm, old_c = _units_for_views(old_views, old_ctx, config, header, old_read)
        units.new_c = [_pair_text(unit, old_c) for unit in units.new_c]
    units.new_asm = [_pair(unit, units.old_asm) for unit in units.new_asm]
    units.new_asm = [replace(unit, siblings=tuple(units.new_asm)) for unit in units.new_asm]
    return units


def _full_or_none(change: FileChange, old_text: str) -> tuple[View, View] | None:
    """Whole-file views, or None (hunks only) when the patch does not apply
    to the tree's file: a tree at another revision must not stop the review."""
    try:
        return full_views(change, old_text)
    except DiffParseError:
        return None  # the tree's edge (analysis/tree.py) says why


def _pair(unit: AsmUnit, old_units: list[AsmUnit]) -> AsmUnit:
    """Attach the pre-image of the same region (a hunk shares its context
    lines between both sides; whole-file views pair one to one)."""
    if unit.view.whole_file:
        return next((replace(unit, old=old) for old in old_units if old.view.whole_file), unit)
    rows = {id(r) for r in unit.view.rows if r.kind == " "}
    for old in old_units:
        if any(id(r) in rows for r in old.view.rows):
            return replace(unit, old=old)
    return unit


def _pair_text(unit: TextUnit, old_units: list[TextUnit]) -> TextUnit:
    """The C region with its pre-image's view, as ``_pair`` does for assembly."""
    if unit.view is not None and unit.view.whole_file:
        return next((replace(unit, old_view=old.view) for old in old_units
                     if old.view is not None and old.view.whole_file), unit)
    rows = {id(r) for r in unit.view.rows if r.kind == " "} if unit.view else set()
    for old in old_units:
        if old.view is not None and unit.view is not None and any(id(r) in rows for r in old.view.rows):
            return replace(unit, old_view=old.view)
    return unit


def with_hyp_macros(units: FileUnits, hyp_macros: frozenset[str], config: Config) -> None:
    """Recompute contexts so bodies of macros used from hyp code are hyp."""
    for group in (units.new_asm, units.old_asm):
        for i, unit in enumerate(group):
            defined = {s.name for s in unit.region.statements if isinstance(s, MacroDef)}
            if defined & hyp_macros or (unit.region.contexts and unit.region.contexts[0].macro):
                contexts = statement_contexts(unit.region.statements, unit.file, config.context, hyp_macros)
                group[i] = replace(unit, region=Region(unit.region.statements, tuple(contexts)))


def attach_removed_comments(units: list[FileUnits]) -> None:
    """Give every new region the comments the patch deletes anywhere, so a
    comment moved from one file to another is judged against its old code,
    and the names whose definitions the patch deletes with no use left."""
    removed: dict[str, tuple] = {}
    deleted: set[str] = set()
    for file_units in units:
        cut = [unit for unit in file_units.old_asm if _deletes(unit.view)]  # what else has nothing to give
        removed.update(removed_comments(file_units.change.old_path or file_units.change.path, cut))
        for unit in cut:
            deleted |= deleted_definitions(unit)
    still_used: set[str] = set()
    for file_units in units if deleted else ():  # what still uses a deleted name
        for unit in file_units.new_asm:
            still_used |= code_words(unit)
        for text_unit in file_units.new_c:  # C text, comments included: only ever keeps a name
            still_used |= words("\n".join(text_unit.lines))
    gone = frozenset(deleted - still_used)
    if removed or gone:
        for file_units in units:
            file_units.new_asm = [replace(unit, removed_comments=removed, removed_names=gone)
                                  for unit in file_units.new_asm]


def _deletes(view: View) -> bool:
    """Does the patch delete a line of this old-side view?"""
    if type(view.rows) is FileRows:
        return any(row.kind == "-" for _, row in view.rows.hunk_rows())
    return any(row.kind == "-" for row in view.rows)


def defined_macros(units: Iterable[FileUnits]) -> set[str]:
    return {s.name for fu in units for unit in fu.new_asm for s in unit.region.statements
            if isinstance(s, MacroDef)}


def hyp_uses(units: Iterable[FileUnits]) -> set[str]:
    used: set[str] = set()
    for file_units in units:
        for unit in file_units.new_asm:
            unread: set[str] = set()
            for stmt, ctx in zip(unit.region.statements, unit.region.contexts):
                if not ctx.hyp:
                    continue
                kind = type(stmt)
                if kind is Unread:
                    unread.add(stmt.text.split(None, 1)[0])
                elif kind is Instruction:
                    used.add(stmt.mnemonic)
            used.update(word.lower() for word in unread)  # what reading would make their mnemonics
    return used
