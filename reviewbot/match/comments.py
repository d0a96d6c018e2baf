"""``comment:`` — comments that no longer say what the code does.

A comment names things: calls (``hyp_panic()``), quoted code
(``'=kvm_host_cpu_state'``), the literal pool, registers.  Each is checked
against the code the comment annotates (the statements after it, up to a
blank line, a label or the end of the macro; for a trailing comment, its own
line).  Two triggers:

- the patch adds the comment (new, or moved with code): it is stale when
  code it quotes, or the literal pool, is missing from the code it sits on
  (calls it names add weight, but alone they are cross-references);
- the patch changes the code under a comment it leaves alone: it is stale
  when something it names was in the old code and is gone from the new;
- the patch moves a comment (deletes it in one place, adds the same text in
  another, in any file of the patch): it is judged at its new place, and is
  stale when something it names was in the code at the old place and is not
  in the code at the new one (a call counts here: it was true there).

A third trigger (kind ``removed``) needs no code under the comment: a
comment anywhere in what the patch shows (the whole file, tree-aware) that
names a macro, function or label whose definition the patch deletes, when
nothing the patch leaves uses that name any more (removed or renamed).

A comment may also claim what the code cannot do: ``@dst: ... (32 or 64
bit wide)`` for a macro argument that is the destination of an ``mrs``,
which always writes a whole X register (kind ``width``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from reviewbot.asm.ast import CMacroCall, Comment, Label, Literal, MacroDef, MacroEnd
from reviewbot.match.comment_blocks import FUNC_END as _FUNC_END
from reviewbot.match.comment_blocks import (
    block_facts,
    changed_lines,
    concerned_comments,
    on_line,
    rows_of_kind,
)
from reviewbot.match.comment_blocks import starts_function as _starts_function
from reviewbot.match.comment_old_code import function_start_below, includes_code, kept_statements
from reviewbot.match.comment_quotes import aside, looks_like_assembly
from reviewbot.match.register_aliases import alias_used, canonical_register, file_aliases
from reviewbot.match.units import AsmUnit, Hit
from reviewbot.records import record

_CALL = re.compile(r"\b([A-Za-z_]\w*)\(\)")
# An opening quote never follows a word character: "sp' = sp + x0" is a prime, not a quote.
_QUOTED = re.compile(r"(?<![\w'])'([^'\s][^'\n]{0,58}[^'\s])'(?!\w)|`([^`\n]{2,60})`")
_POOL = re.compile(r"\b(constant|literal)[ -]pool\b", re.IGNORECASE)
_REGISTER = re.compile(r"\b([xw](?:[12]?\d|30)|[a-z][a-z0-9]*_el[0-3])\b")
# "@dst: destination register (32 or 64 bit wide)": a macro argument said to be a W register
_WIDTH = re.compile(r"@?(?P<arg>[A-Za-z_]\w*)\s*:[^\n]*?\b(32\s*or\s*64[- ]?bits?|32[- ]?bits?|[wW]\s*or\s*[xX])\b")
_MRS = ("mrs", "mrs_s")
_WEIGHTS = {"call": 1, "quoted": 2, "pool": 2, "register": 1, "width": 2, "removed": 2}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@record
class Mention:
    """Something a comment names, and how to tell it is in the code."""

    kind: str  # call | quoted | pool | register | width
    text: str  # as written in the comment (for width: the argument's name)

    def found_in(self, block: list[Any]) -> bool:
        """True when the annotated statements contain what is named (for
        ``width``: when no ``mrs`` there contradicts the claim)."""
        if self.kind == "width":
            return _mrs_writing(block, self.text) is None
        if self.kind == "pool":
            return any(isinstance(op, Literal) for s in block for op in getattr(s, "operands", ()))
        facts = block_facts(block)
        if self.kind == "quoted":
            return _fold(self.text) in facts.folded
        word = self.text.rstrip("()")
        if self.kind == "register":
            return canonical_register(word) in facts.registers
        return re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", facts.code) is not None


def _mrs_writing(block: list[Any], arg: str) -> Any:
    """The first ``mrs`` in ``block`` whose destination is macro argument ``arg``."""
    for stmt in block:
        if getattr(stmt, "mnemonic", "").lower() in _MRS and stmt.operands \
                and getattr(stmt.operands[0], "name", None) == arg and type(stmt.operands[0]).__name__ == "MacroArg":
            return stmt
    return None


def _fold(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def mentions(text: str, kinds: tuple[str, ...]) -> list[Mention]:
    """What a comment's text names, of the kinds asked for."""
    found: list[Mention] = []
    if "quoted" in kinds:
        for match in _QUOTED.finditer(text):
            fragment = match.group(1) or match.group(2)
            if looks_like_assembly(fragment) and not aside(text, match.start()):
                found.append(Mention("quoted", fragment))
    if "call" in kinds:
        found.extend(Mention("call", m.group(0)) for m in _CALL.finditer(text))
    if "pool" in kinds:
        pool = next((m for m in _POOL.finditer(text) if not aside(text, m.start())), None)
        if pool is not None:
            found.append(Mention("pool", pool.group(0)))
    if "width" in kinds:
        found.extend(Mention("width", m.group("arg")) for m in _WIDTH.finditer(text))
    if "register" in kinds:
        seen = set()
        for m in _REGISTER.finditer(text):
            if m.group(1) not in seen:
                seen.add(m.group(1))
                found.append(Mention("register", m.group(1)))
    return found


def annotated(statements: tuple, index: int) -> list[Any]:
    """The code statements a comment annotates."""
    comment = statements[index]
    if comment.trailing:
        # a line's statements sit together in source order: look around it only
        first = index
        while first > 0 and statements[first - 1].line == comment.line:
            first -= 1
        last = index
        while last + 1 < len(statements) and statements[last + 1].line == comment.line:
            last += 1
        same_line = [s for s in statements[first:last + 1] if not isinstance(s, Comment)]
        # on a bare label's line ("1:\t/* ... */") it is about the block the label starts
        if not all(isinstance(s, Label) for s in same_line):
            return same_line
    starts_macro = index > 0 and isinstance(statements[index - 1], MacroDef)
    following = next((s for s in statements[index + 1:] if not isinstance(s, Comment)), None)
    if _starts_function(following):
        return _function_body(statements, index)
    block: list[Any] = []
    last_line = comment.end_line
    for stmt in statements[index + 1:]:
        if isinstance(stmt, MacroEnd):
            break
        if isinstance(stmt, Comment):
            if not stmt.trailing and block and not starts_macro:
                break
            continue
        if isinstance(stmt, Label) and block and not starts_macro:
            break
        if stmt.line > last_line + 1 and block and not starts_macro:
            break  # a blank line ends what a comment is about
        block.append(stmt)
        last_line = stmt.line
    return block


def _function_body(statements: tuple, index: int) -> list[Any]:
    """A comment above ``SYM_FUNC_START(x)`` describes the whole function."""
    body: list[Any] = []
    for stmt in statements[index + 1:]:
        if isinstance(stmt, Comment):
            continue
        body.append(stmt)
        if isinstance(stmt, CMacroCall) and _FUNC_END.match(stmt.name):
            break
    return body


@record
class CommentMatcher:
    """The compiled ``comment:`` block."""

    kinds: tuple[str, ...]
    min_weight: int = 2
    changed_kinds: tuple[str, ...] = ("call", "quoted", "pool", "register")
    languages: tuple[str, ...] = ("arm64-asm",)

    def bound(self) -> set[str]:
        """Names a message may use."""
        return {"STALE", "COMMENT", "WHY", "SAYS"}

    def run(self, unit: AsmUnit) -> Iterator[Hit]:
        """Stale comments in the unit."""
        if "removed" in self.kinds:
            yield from _naming_removed(unit)
        if not (set(self.kinds) - {"removed"}) and not self.changed_kinds:
            return  # nothing else to look for: the loop below would find nothing
        statements = unit.region.statements
        rows = unit.view.rows
        # "ctr .req x12" anywhere in the file: code saying ctr still has the x12 a comment names
        aliases = file_aliases(unit)
        # only a comment on a changed line, or over one, can be reported (comment_blocks.py)
        for index in concerned_comments(statements, changed_lines(unit.view), unit.region.contexts):
            stmt = statements[index]
            if not isinstance(stmt, Comment) or not 0 < stmt.line <= len(rows):
                continue
            block = annotated(statements, index)
            if not block:
                continue
            comment_rows = rows[stmt.line - 1: stmt.end_line]
            block_rows = [rows[s.line - 1] for s in block if 0 < s.line <= len(rows)]
            if any(r.kind == "+" for r in comment_rows):
                moved = unit.removed_comments.get(_fold(stmt.text))
                if moved:
                    path, old_line = moved[0][:2]
                    # the same comment deleted in several places: gone only if every one of them had it
                    old_blocks = [annotated(old_statements, old_index) for _, _, old_statements, old_index in moved]
                    gone = [m for m in mentions(stmt.text, self.changed_kinds)
                            if all(m.found_in(b) for b in old_blocks) and not m.found_in(block)
                            and not (m.kind == "register" and alias_used(m.text, aliases, block))]
                    if gone:
                        yield self._hit(stmt, gone, "moved", (stmt.line,), f"{path}:{old_line}")
                        continue
                stale = [m for m in mentions(stmt.text, self.kinds) if not m.found_in(block)]
                # cross-references to functions elsewhere are normal in a new
                # comment; it takes code or the literal pool that is not there
                strong = any(m.kind in ("quoted", "pool") for m in stale)
                strong = strong or any(m.kind == "width" for m in stale)
                if strong and sum(_WEIGHTS[m.kind] for m in stale) >= self.min_weight:
                    yield self._hit(stmt, stale, "added", (stmt.line,), block=block)
            elif any(r.kind == "+" for r in block_rows) or _deletion_inside(block_rows):
                old = _old_comment(unit, comment_rows[0].old_line) if comment_rows else None
                if old is None:
                    continue
                old_block = annotated(old[0], old[1])
                start = function_start_below(statements, index, old_block)  # the function it heads, moved down
                block = block if start is None else _function_body(statements, start - 1)
                if includes_code(block):
                    continue  # what it names may be in the file the code includes
                kept = kept_statements(unit, old_block)  # still in the file, if no longer right under it
                stale = [m for m in mentions(stmt.text, self.changed_kinds)
                         if m.found_in(old_block) and not m.found_in(block) and not m.found_in(kept)
                         and not (m.kind == "register" and alias_used(m.text, aliases, block))]
                if stale:
                    anchors = tuple(s.line for s in block if rows[s.line - 1].kind == "+") or (stmt.line,)
                    yield self._hit(stmt, stale, "code changed", anchors)

    def _hit(self, stmt: Comment, stale: list[Mention], how: str, anchors: tuple[int, ...],
             moved_from: str = "", block: list[Any] | None = None) -> Hit:
        described = [_describe(m) for m in stale]
        names = described[0] if len(described) == 1 else ", ".join(described[:-1]) + " and " + described[-1]
        why = {"added": "", "moved": f" any more: the patch moved this comment here from {moved_from}, "
                                     "where the code had it",
               }.get(how, " any more: this patch removed it from there")
        says = f"mentions {names}, which the code it describes does not contain{why}"
        widths = [m for m in stale if m.kind == "width"]
        if widths and block is not None and (mrs := _mrs_writing(block, widths[0].text)) is not None:
            says = (f"says \\{widths[0].text} may be a 32-bit (W) register, but it is the destination of "
                    f"'{' '.join(mrs.text.split())}', which always writes a whole X register")
        text = " ".join(w for w in stmt.text.split() if w != "*")
        return Hit(
            line=stmt.line,
            column=stmt.column,
            bindings={"STALE": names, "COMMENT": text[:80], "WHY": why, "SAYS": says},
            key="comment:" + _fold(stmt.text)[:120],
            anchors=anchors,
            extra={"HOW": how},
        )


def _naming_removed(unit: AsmUnit) -> Iterator[Hit]:
    """Comments that name what the patch deleted everywhere."""
    if not unit.removed_names:
        return
    removed = unit.removed_names
    for stmt in unit.region.statements:
        if not isinstance(stmt, Comment) or not any(name in stmt.text for name in removed):
            continue
        named = sorted(set(_WORD.findall(stmt.text)) & unit.removed_names)
        if named:
            names = ", ".join(named)
            text = " ".join(w for w in stmt.text.split() if w != "*")
            yield Hit(
                line=stmt.line,
                column=stmt.column,
                bindings={"STALE": names, "COMMENT": text[:80], "WHY": "",
                          "SAYS": f"names {names}, which this patch deletes and nothing uses any more"},
                key="comment-removed:" + names + ":" + _fold(stmt.text)[:120],
            )


def words(text: str) -> set[str]:
    """The identifiers in a text."""
    return set(_WORD.findall(text))


def code_words(unit: AsmUnit) -> set[str]:
    """The identifiers the code of a region uses (comments left out)."""
    # one scan of the code's distinct texts joined by line ends (no word spans one)
    return set(_WORD.findall("\n".join({stmt.text for stmt in unit.region.statements
                                         if not isinstance(stmt, Comment)})))


def deleted_definitions(unit: AsmUnit) -> set[str]:
    """Names a pre-image region defines on lines the patch deletes: macros,
    functions (``SYM_FUNC_START(x)``, ``ENTRY(x)``) and global labels.
    Short names and names without an underscore are left out: in a
    comment they read as words."""
    statements = unit.region.statements
    found = set()
    for line in rows_of_kind(unit.view, "-"):
        for stmt in (statements[i] for i in on_line(statements, line)):
            if isinstance(stmt, MacroDef | Label):
                found.add(stmt.name)
            elif _starts_function(stmt) and stmt.args:
                found.add(stmt.args[0].strip())
    return {n for n in found if len(n) >= 6 and "_" in n and not n.startswith(".L") and _WORD.fullmatch(n)}


def _describe(m: Mention) -> str:
    if m.kind == "pool":
        return f"the {m.text.lower()}"
    if m.kind == "quoted":
        return f"'{m.text}'"
    return m.text


def _deletion_inside(block_rows: list) -> bool:
    """Did the patch delete lines between two rows of the block?  (Blank
    lines inside a function are gaps on both sides alike.)"""
    kept = [(r.old_line, r.new_line) for r in block_rows if r.old_line is not None and r.new_line is not None]
    return any(b[0] - a[0] > b[1] - a[1] for a, b in zip(kept, kept[1:]))


def _old_comment(unit: AsmUnit, old_line: int | None) -> tuple[tuple, int] | None:
    """The comment of the pre-image on file line ``old_line`` (the last one
    starting there): (statements, index)."""
    old = unit.old
    if old is None or old_line is None:
        return None
    rows = old.view.rows
    line = old_line - rows[0].old_line + 1 if rows and rows[0].old_line is not None else 0
    if not (0 < line <= len(rows) and rows[line - 1].old_line == old_line):  # not one run of old lines
        line = next((n for n, row in enumerate(rows, start=1) if row.old_line == old_line), 0)
        if not line:
            return None
    statements = old.region.statements
    for index in reversed(on_line(statements, line)):
        if isinstance(statements[index], Comment):
            return statements, index
    return None


def removed_comments(path: str, old_units: list[Any]) -> dict[str, tuple]:
    """The comments a patch deletes from one file (every line of them a
    removed line), by folded text: every place it was deleted from, each
    (path, old line, statements, index)."""
    found: dict[str, tuple] = {}
    for unit in old_units:
        rows = unit.view.rows
        statements = unit.region.statements
        for index in (i for line in rows_of_kind(unit.view, "-") for i in on_line(statements, line)):
            stmt = statements[index]
            if isinstance(stmt, Comment) and not stmt.trailing and 0 < stmt.line <= stmt.end_line <= len(rows) \
                    and all(r.kind == "-" for r in rows[stmt.line - 1: stmt.end_line]):
                place = (path, rows[stmt.line - 1].old_line, statements, index)
                places = found.get(_fold(stmt.text), ())
                if all(p[:2] != place[:2] for p in places):
                    found[_fold(stmt.text)] = places + (place,)
    return found


def compile_comment(spec: Any, path: str) -> CommentMatcher:
    if spec is None:
        spec = {}
    if not isinstance(spec, Mapping):
        raise ValueError("comment: expected a mapping")
    from reviewbot.match import c_comments

    if set(spec.get("mentions", ())) & set(c_comments.KINDS):  # a C rule: its own matcher
        kinds = tuple(spec["mentions"])
        if bad := [k for k in kinds if k not in c_comments.KINDS] + [k for k in spec if k != "mentions"]:
            raise ValueError(f"comment: {bad[0]!r} does not go with the C kinds ({', '.join(c_comments.KINDS)})")
        return c_comments.CCommentMatcher(kinds=kinds)  # type: ignore[return-value]
    valid = ("mentions", "min-weight", "changed-mentions")
    bad = [k for k in spec if k not in valid]
    if bad:
        raise ValueError(f"comment: unknown key '{bad[0]}' (valid keys: {', '.join(valid)})")
    kinds = tuple(spec.get("mentions", ["call", "quoted", "pool"]))
    changed = tuple(spec.get("changed-mentions", ["call", "quoted", "pool", "register"]))
    for kind in kinds + changed:
        if kind not in _WEIGHTS:
            raise ValueError(f"comment.mentions: unknown kind {kind!r} (valid: {', '.join(_WEIGHTS)})")
    weight = spec.get("min-weight", 2)
    if not isinstance(weight, int) or weight < 1:
        raise ValueError("comment.min-weight: expected a whole number >= 1")
    return CommentMatcher(kinds=kinds, min_weight=weight, changed_kinds=changed)
