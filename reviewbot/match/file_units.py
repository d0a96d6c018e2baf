"""The units the rules run on, for one changed file: parsed regions of
assembly with their statement contexts (hyp or not, section, enclosing
macro), lines of C, old and new side, each on the views (hunks or whole
files) the patch and the tree give.  Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable

from reviewbot.analysis.context import LANG_ASM, LANG_C, FileContext, file_context, statement_contexts
from reviewbot.analysis.kernels import Era
from reviewbot.analysis.views import View, file_view, full_views, hunk_views
from reviewbot.asm.ast import Instruction, MacroDef, Unread
from reviewbot.asm.parser import parse
from reviewbot.config import Config
from reviewbot.errors import DiffParseError
from reviewbot.match.comment_blocks import rows_of_kind
from reviewbot.match.comments import code_words, deleted_definitions, removed_comments, words
from reviewbot.match.patterns import Region
from reviewbot.match.units import AsmUnit, TextUnit
from reviewbot.match.whole_file import OutlineStore, read_pair, read_whole_file
from reviewbot.model import FileChange
from reviewbot.records import field, record, replace



@record(frozen=False)
class FileUnits:
    """Everything the rules see of one changed file."""

    change: FileChange
    context: FileContext
    new_asm: list[AsmUnit] = field(default_factory=list)
    old_asm: list[AsmUnit] = field(default_factory=list)
    new_c: list[TextUnit] = field(default_factory=list)


def _asm_text(view: View, header: bool, mask: list[bool] | None = None) -> str:
    """The view's text, with the lines of a C header that are not assembly
    blanked (kept as empty lines so line numbers hold); ``mask``: the
    header's :func:`asm_line_mask`, when already made."""
    if not header:
        return view.text
    if mask is None:
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
        mask = asm_line_mask([row.text for row in view.rows]) if header else None
        if ctx.language == LANG_ASM or header:
            text = _asm_text(view, header, mask)
            if text.strip():
                if view.whole_file:
                    statements, contexts = read_whole_file(text, wanted, ctx, config)
                else:
                    statements = parse(text, source=view.path)
                    contexts = statement_contexts(statements, ctx, config.context) if statements else []
                if statements:
                    asm_units.append(AsmUnit(view, Region(statements, tuple(contexts)), ctx))
        if ctx.language == LANG_C:
            if mask is not None:
                lines = tuple(["" if asm else row.text for row, asm in zip(view.rows, mask)])
            else:
                lines = tuple([row.text for row in view.rows])
            c_units.append(TextUnit("c", lines, view, ctx))
    return asm_units, c_units


def build_units(change: FileChange, config: Config, era: Era, *, old_text: str | None = None,
                whole_file_text: str | None = None, near: int | None = None,
                store: OutlineStore | None = None) -> FileUnits:
    """Parse the regions of one file change (or a whole file for ``check --file``).

    With ``old_text`` (tree-aware), the views are whole files; with
    ``near``, only the functions within that many lines of a change have
    their instructions read (the rest of each file is outlined); ``store``
    keeps the pre-image's outline across runs."""
    ctx = file_context(change.path, config.context, era)
    units = FileUnits(change, ctx)
    if store is not None and (old_text is None or not store.covers(old_text)):
        store = None
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
            new_read, old_read = read_pair(new_view, old_view, _asm_text(new_view, header),
                                           _asm_text(old_view, header), header, near, change.hunks, store)
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
        if old.view is not None and unit.view is not None and not rows.isdisjoint(map(id, old.view.rows)):
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
        cut = [unit for unit in file_units.old_asm if rows_of_kind(unit.view, "-")]  # what else has nothing to give
        for text, places in removed_comments(file_units.change.old_path or file_units.change.path, cut).items():
            removed[text] = removed.get(text, ()) + places  # deleted in several files: every place counts
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


def defined_macros(units: Iterable[FileUnits]) -> set[str]:
    return {s.name for fu in units for unit in fu.new_asm for s in unit.region.statements
            if isinstance(s, MacroDef)}


def all_hyp(units: Iterable[FileUnits]) -> bool:
    """Whether every assembly region, on both sides, is in a hyp file."""
    return all(unit.file.hyp for fu in units for unit in (*fu.new_asm, *fu.old_asm))


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
