"""``register-table:`` — a comment table of which register holds what, in
which functions, against the functions the patch's code uses it in.

Boot and hyp assembly documents its long-lived registers in a comment table,
one row a register: ``x23   stext() .. start_kernel()   KASLR offset``.  A
row (added or kept) is stale when the patch's own code makes another
function part of the register's life: in a function the row does not name,
the patch adds code that reads the register before anything there writes it
(the value comes in from outside: the function relies on what the table
documents) and that writes it.  A function that merely uses the register as
scratch writes it first and is left alone: the table means "held across",
not "used nowhere else".

A row's scope is one function (``f()``) or a range (``a() .. b()``).  A
range covers its two ends; the functions between them in file order only
when both ends are defined, in that order, in what the patch shows (the
whole file, tree-aware); otherwise a range says nothing about the others
and the row stays silent on them.

Functions are ``ENTRY``/``ENDPROC``, ``SYM_FUNC_START``/``SYM_FUNC_END``
(and ``SYM_CODE_*``), or, outside those, a routine from a global label to
the next.  Without a tree every hunk of the file is seen (a table and the
code it documents are usually hunks apart); a hunk that starts inside a
function belongs to the function whose end marker it shows, and code whose
function cannot be told is left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from reviewbot.asm.ast import CMacroCall, Comment, Instruction, Label
from reviewbot.match.comment_blocks import rows_of_kind
from reviewbot.match.semantics import effects
from reviewbot.match.units import AsmUnit, Hit
from reviewbot.records import record

_REG = r"[xw](?:[12]?\d|30)"
# " *  x19/x20    __primary_switch() .. __relocate_kernel()   what it holds"
_ROW = re.compile(
    rf"^\s*(?:/\*+|\*|//)?\s*(?P<regs>{_REG}(?:\s*[/,-]\s*{_REG})*)\s+"
    r"(?P<first>[A-Za-z_]\w*)\(\)(?:\s*\.\.\.?\s*(?P<last>[A-Za-z_]\w*)\(\))?(?:\s{2,}(?P<what>\S.*?))?\s*(?:\*/)?\s*$")
_START = re.compile(r"^(SYM_(FUNC|CODE)_START\w*|ENTRY|SYM_TYPED_FUNC_START)$")
_END = re.compile(r"^(SYM_(FUNC|CODE)_END\w*|END|ENDPROC)$")
_ROUTINE_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@record
class Row:
    """One row of a register table."""

    line: int                 # unit line of the row
    registers: tuple[str, ...]
    first: str
    last: str | None
    text: str

    @property
    def scope(self) -> str:
        return f"{self.first}()" + (f" .. {self.last}()" if self.last else "")


@record
class Use:
    """How one function uses one register, in file order."""

    function: str
    position: int             # the function's first line in the file (for ranges)
    live_in_added: int | None  # unit line of an added read before any write there
    added_write: int | None    # file line of an added write
    write_text: str = ""


def _canon(reg: str) -> str:
    return "x" + reg[1:]


def _registers(spec: str) -> tuple[str, ...]:
    """``x19/x20`` -> x19, x20; ``x19-x22`` -> x19 .. x22."""
    found: list[str] = []
    parts = re.findall(rf"{_REG}|[/,-]|\d+", spec)
    i = 0
    while i < len(parts):
        part = parts[i]
        if part == "-" and found and i + 1 < len(parts):
            low, high = int(found[-1][1:]), int(parts[i + 1].lstrip("xw"))
            found.extend(f"x{n}" for n in range(low + 1, high + 1))
            i += 2
            continue
        if part not in "/,-":
            found.append(_canon(part if part[0] in "xw" else "x" + part))
        i += 1
    return tuple(dict.fromkeys(found))


def rows(unit: AsmUnit) -> list[Row]:
    """The register-table rows in the unit's comments (kept or added)."""
    view_rows = unit.view.rows
    found = []
    # a row names a function: "f()"
    for stmt in [s for s in unit.region.statements if type(s) is Comment and "()" in s.text and not s.trailing]:
        for line in range(stmt.line, min(stmt.end_line, len(view_rows)) + 1):
            match = _ROW.match(view_rows[line - 1].text)
            if match:
                found.append(Row(line, _registers(match.group("regs")), match.group("first"),
                                 match.group("last"), " ".join(view_rows[line - 1].text.split())))
    return found


def _name(stmt: Any) -> str:
    return stmt.args[0].strip() if isinstance(stmt, CMacroCall) and stmt.args else ""


def functions(unit: AsmUnit) -> list[tuple[str, list[Any]]]:
    """The unit's statements by function: (name, statements), in order.
    Statements whose function cannot be told are left out."""
    statements = [s for s in unit.region.statements if not isinstance(s, Comment)]
    spans: list[tuple[str, list[Any]]] = []
    loose: list[Any] = []   # outside any explicit function seen so far
    current: tuple[str, list[Any]] | None = None
    seen_start = False
    for stmt in statements:
        if isinstance(stmt, CMacroCall) and _START.match(stmt.name):
            spans.extend(_routines(loose))
            loose, current, seen_start = [], (_name(stmt), []), True
            continue
        if isinstance(stmt, CMacroCall) and _END.match(stmt.name):
            if current is not None:
                spans.append(current)
            elif not seen_start and not unit.view.whole_file:
                spans.append((_name(stmt), loose))  # the hunk started inside this function
            else:
                spans.extend(_routines(loose))
            loose, current, seen_start = [], None, True
            continue
        (current[1] if current is not None else loose).append(stmt)
    if current is not None:
        spans.append(current)
    spans.extend(_routines(loose))
    return [(name, body) for name, body in spans if name and body]


def _routines(statements: list[Any]) -> list[tuple[str, list[Any]]]:
    """Label-delimited routines: from a global label to the next."""
    spans: list[tuple[str, list[Any]]] = []
    for stmt in statements:
        if isinstance(stmt, Label) and _ROUTINE_LABEL.match(stmt.name) and stmt.column <= 1:
            spans.append((stmt.name, []))
        elif spans:
            spans[-1][1].append(stmt)
    return spans


def _use(unit: AsmUnit, name: str, body: list[Any], reg: str, added: set[int]) -> Use:
    """``added``: the unit's added lines."""
    view_rows = unit.view.rows
    first_line = next((view_rows[s.line - 1].new_line for s in body if 0 < s.line <= len(view_rows)), 0) or 0
    live_in: int | None = None
    decided = False
    write: Instruction | None = None
    for stmt in body:
        if not isinstance(stmt, Instruction):
            continue
        eff = effects(stmt)
        if not decided and reg in eff.reads:
            decided = True
            live_in = stmt.line if stmt.line in added else None
        elif not decided and reg in eff.writes:
            decided = True
        if write is None and reg in eff.writes and stmt.line in added:
            write = stmt
    return Use(name, first_line, live_in, view_rows[write.line - 1].new_line if write else None,
               " ".join(write.text.split()) if write else "")


def _bare(name: str) -> str:
    return name.lstrip("_")


def _covered(row: Row, name: str, order: Mapping[str, int]) -> bool | None:
    """Is ``name`` in the row's scope: True, False, or None (cannot tell)."""
    if _bare(name) in (_bare(row.first), _bare(row.last or row.first)):
        return True
    if row.last is None:
        return False
    start, end = order.get(_bare(row.first)), order.get(_bare(row.last))
    if start is None or end is None or start >= end or _bare(name) not in order:
        return None
    return start < order[_bare(name)] < end


@record
class RegisterTableMatcher:
    """The compiled ``register-table:`` block."""

    languages: tuple[str, ...] = ("arm64-asm",)

    def bound(self) -> set[str]:
        """Names a message may use."""
        return {"REG", "SCOPE", "FUNC", "WRITE", "WLINE", "ROW"}

    def run(self, unit: AsmUnit) -> Iterator[Hit]:
        """Rows that leave out a function the patch's code keeps the register live in."""
        table = rows(unit)
        if not table:
            return
        everything = [(u, name, body, added) for u in (unit.siblings or (unit,))
                      for added in (set(rows_of_kind(u.view, "+")),) for name, body in functions(u)]
        for row in table:
            for reg in row.registers:
                uses = [_use(u, name, body, reg, added) for u, name, body, added in everything]
                order = {_bare(use.function): use.position for use in uses}
                for use in uses:
                    if use.live_in_added is None or use.added_write is None:
                        continue
                    if _covered(row, use.function, order) is False:
                        yield self._hit(row, reg, use)
                        break

    def _hit(self, row: Row, reg: str, use: Use) -> Hit:
        return Hit(
            line=row.line,
            column=1,
            bindings={"REG": reg, "SCOPE": row.scope, "FUNC": use.function, "WRITE": use.write_text,
                      "WLINE": str(use.added_write), "ROW": row.text[:100]},
            key=f"register-table:{reg}:{row.scope}:{use.function}",
        )


def compile_register_table(spec: Any, path: str) -> RegisterTableMatcher:
    if spec not in (None, {}) and not (isinstance(spec, Mapping) and not spec):
        raise ValueError("register-table: takes no keys (write `register-table: {}`)")
    return RegisterTableMatcher()
