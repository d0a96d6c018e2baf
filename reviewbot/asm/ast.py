"""The arm64 assembly AST: frozen records built by :mod:`reviewbot.asm.parser`.

Every statement carries the 1-based ``line`` and ``column`` where it starts in
the text that was parsed, and ``text``, its source without comments. Operands
carry their ``column`` and the ``text`` they were written as, so a finding can
quote exactly what the author wrote.

Registers are canonicalised for dataflow: ``w3`` and ``x3`` are both ``x3``,
``lr`` is ``x30``, ``fp`` is ``x29``; ``v0.16b``, ``q0`` and ``d0`` are ``v0``.
"""

from __future__ import annotations

from typing import Union

from reviewbot.records import record

# --- operands ---------------------------------------------------------------


@record
class Register:
    """A general, SIMD/FP, SVE or SME register: ``x0``, ``wzr``, ``v1.s[2]``, ``p0/z``."""

    text: str
    canon: str
    kind: str  # gpr64, gpr32, sp, zr, vector, fp, sve, pred or za
    column: int = 0


@record
class SysReg:
    """A system register by name (``tpidr_el2``), encoding (``s3_4_c13_c0_2``)
    or ``SYS_*`` macro (``SYS_ICC_SRE_EL2``); ``canon`` is lower case, except
    ``SYS_*`` names, which keep their case.  Also PSTATE fields (``daifset``)."""

    text: str
    canon: str
    column: int = 0


@record
class Immediate:
    """``#4``, ``#0x10``, ``#(1 << 3)``, ``#PAGE_SIZE``; ``value`` when it is a plain number."""

    text: str
    value: int | None = None
    column: int = 0


@record
class Literal:
    """A literal-pool load operand, ``=sym`` or ``=0x1234``: ``symbol`` is set
    for a symbol (an address), ``value`` for a number (a constant)."""

    text: str
    symbol: str | None = None
    value: int | None = None
    column: int = 0


@record
class MacroArg:
    """A ``.macro`` argument used as an operand: ``\\reg`` (name ``reg``)."""

    text: str
    name: str
    column: int = 0


@record
class Symbol:
    """A symbol or label reference: ``kvm_host_cpu_state``, ``1b``, ``.Lskip``,
    ``:lo12:sym`` (``reloc`` = ``lo12``), ``ffff000008ca9000 <sym+0x20>`` from
    objdump (``name`` = ``sym+0x20``)."""

    text: str
    name: str
    reloc: str | None = None
    column: int = 0


@record
class Shift:
    """A shift or extend: ``lsl #3``, ``uxtw``, ``sxtw #2``."""

    text: str
    op: str
    amount: str | None = None
    column: int = 0


@record
class RegList:
    """A register list: ``{v0.4s-v3.4s}``, ``{v1.16b, v2.16b}``, ``{za0h.s[w12, 0]}``."""

    text: str
    registers: tuple[Register, ...] = ()
    column: int = 0


@record
class Expression:
    """Any operand that is none of the above: ``SYM + 8``, ``(1 << 3) | 2``."""

    text: str
    column: int = 0


@record
class MetaVar:
    """Rule patterns only: ``$R`` binds one operand (or the mnemonic);
    ``$...R`` (``ellipsis``) binds zero or more operands."""

    name: str
    ellipsis: bool = False
    text: str = ""
    column: int = 0


@record
class Ellipsis:
    """Rule patterns only: ``...`` in an operand list matches any operands."""

    text: str = "..."
    column: int = 0


@record
class Memory:
    """A memory operand.  ``[x0]``, ``[x0, #8]``, ``[x0, #8]!`` (``writeback``
    ``pre``), ``[x0], #16`` (``writeback`` ``post``, ``offset`` the post
    increment), ``[x0, x1, lsl #3]`` (``index`` and ``shift``), ``[\\reg]``."""

    text: str
    base: "Register | MacroArg | MetaVar | Expression"
    offset: "Operand | None" = None
    index: "Register | MacroArg | MetaVar | None" = None
    shift: Shift | None = None
    writeback: str | None = None  # None, "pre" or "post"
    column: int = 0


Operand = Union[
    Register, SysReg, Immediate, Literal, MacroArg, Symbol, Shift, RegList,
    Expression, Memory, MetaVar, Ellipsis,
]

# --- statements ---------------------------------------------------------------


@record
class Instruction:
    """An instruction or a kernel macro used like one (``kern_hyp_va x0``,
    ``adr_l x0, sym``).  ``mnemonic`` is lower case and keeps condition
    suffixes (``b.eq``); macro-argument mnemonics (``\\op``) stay as written."""

    mnemonic: str
    operands: tuple[Operand, ...]
    line: int
    column: int
    text: str


@record
class Label:
    """``name:`` (``1:``, ``.Lfoo:``, ``\\label\\()_end:``)."""

    name: str
    line: int
    column: int
    text: str


@record
class MacroParam:
    """One ``.macro`` parameter: ``reg``, ``tmp=x1``, ``name:req``, ``args:vararg``."""

    name: str
    default: str | None = None
    qualifier: str | None = None  # "req" or "vararg"


@record
class MacroDef:
    """``.macro name, params...``; the body follows until :class:`MacroEnd`."""

    name: str
    params: tuple[MacroParam, ...]
    line: int
    column: int
    text: str


@record
class MacroEnd:
    """``.endm``."""

    line: int
    column: int
    text: str


@record
class Directive:
    """Any other assembler directive: ``name`` with its dot (``.pushsection``)
    and ``args`` split at top-level commas, each stripped."""

    name: str
    args: tuple[str, ...]
    line: int
    column: int
    text: str


@record
class Preprocessor:
    """A C preprocessor line (continuations joined): ``directive`` is
    ``include``, ``if``, ``ifdef``, ``ifndef``, ``elif``, ``else``, ``endif``,
    ``define``, ``undef``, ...; ``args`` the rest of the line.  ``depth`` is
    the ``#if`` nesting depth in force on this line (an ``#if`` line has the
    depth outside it)."""

    directive: str
    args: str
    line: int
    column: int
    text: str
    depth: int = 0


@record
class CMacroCall:
    """A function-like C macro used as a statement: ``SYM_FUNC_START(name)``,
    ``ALTERNATIVE(...)``, ``_ASM_EXTABLE(1b, 2f)``, ``ASM_BUG()``."""

    name: str
    args: tuple[str, ...]
    line: int
    column: int
    text: str


@record
class Comment:
    """A ``//``, ``/* */`` (possibly over several lines, ``end_line``) or ``@``
    comment.  ``text`` is the comment's content without its markers;
    ``trailing`` is true when code precedes it on its first line."""

    text: str
    line: int
    column: int
    end_line: int
    trailing: bool = False


@record
class Unparsed:
    """A statement the grammar could not read (or read only with error
    recovery).  Rules never match it; ``error`` says what was expected."""

    text: str
    line: int
    column: int
    error: str


@record
class Unread:
    """A statement of a whole file left unread: tree-aware review reads the
    instructions of the functions a patch comes near, and of the rest of
    the file only its labels, directives, macros and comments
    (:func:`reviewbot.asm.parser.outline`).  Rules never match it; its
    ``text`` is there for passes that only look for words."""

    text: str
    line: int
    column: int


#: The ``error`` of an :class:`Unparsed` line nested too deeply to read
#: (the readers recurse per bracket); reported, unlike other unparsed lines.
TOO_DEEP = "nested too deeply"
#: Statements longer than this are not read (the readers slow down on
#: absurd lines; kernel assembly stays far below it).
MAX_STATEMENT = 4096
TOO_LONG = f"longer than {MAX_STATEMENT:,} characters"
#: The errors of lines the engine reports as not checked.
UNCHECKED = frozenset({TOO_DEEP, TOO_LONG})


Statement = Union[
    Instruction, Label, MacroDef, MacroEnd, Directive, Preprocessor,
    CMacroCall, Comment, Unparsed, Unread,
]

#: Statements that are real code (count as "parsed" for coverage).
CODE_NODES = (Instruction, Label, MacroDef, MacroEnd, Directive, Preprocessor, CMacroCall)


def first_difference(a: object, b: object, path: str = "") -> str | None:
    """Where two ASTs differ (class, field or value, recursively; a ``str``
    subclass against a ``str`` counts), or None: how the hand-written
    operand reader is held equal to the grammar in tests and benchmarks."""
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} != {type(b).__name__} ({a!r} / {b!r})"
    if isinstance(a, tuple):
        if len(a) != len(b):  # type: ignore[arg-type]
            return f"{path}: {len(a)} != {len(b)} items"  # type: ignore[arg-type]
        for i, (x, y) in enumerate(zip(a, b)):  # type: ignore[call-overload]
            diff = first_difference(x, y, f"{path}[{i}]")
            if diff:
                return diff
        return None
    fields = getattr(type(a), "__record_fields__", None)
    if fields is not None:
        for name in (f.name for f in fields):
            diff = first_difference(getattr(a, name), getattr(b, name), f"{path}.{name}")
            if diff:
                return diff
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"
