"""Where code runs: file kind, hyp (EL2) or not, nVHE or VHE, the enclosing
macro, function and section, the ``#if`` guards, and the kernel era.

All of it is decided from data in the configuration (paths, sections,
defines) and from what the series and the tree show; nothing here reads a
file.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache

from reviewbot.asm.ast import CMacroCall, Directive, MacroDef, MacroEnd, Preprocessor
from reviewbot.asm.marks import marks
from reviewbot.analysis.kernels import Era
from reviewbot.config import ContextConfig
from reviewbot.records import field, record

LANG_ASM = "arm64-asm"
LANG_C = "c"
LANG_OTHER = "other"

_FUNC_START = re.compile(r"^(SYM_FUNC_START\w*|SYM_CODE_START\w*|SYM_INNER_LABEL\w*|ENTRY|ENTRY_ALIGN\w*|__HYP_FUNC|SYM_TYPED_FUNC_START)$")
_FUNC_END = re.compile(r"^(SYM_FUNC_END\w*|SYM_CODE_END\w*|END|ENDPROC)$")


# --- files ----------------------------------------------------------------------


def language_of(path: str) -> str:
    """``arm64-asm`` for ``.S``/``.s``, ``c`` for C sources and headers."""
    lower = path.lower()
    if lower.endswith((".s",)):
        return LANG_ASM
    if lower.endswith((".c", ".h")):
        return LANG_C
    return LANG_OTHER


@lru_cache(maxsize=4096)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """gitignore-like globs: ``**`` crosses directories, ``*`` does not."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("^" + "".join(out) + "$")


def path_matches(path: str, patterns: tuple[str, ...] | list[str]) -> bool:
    """True when ``path`` matches one of the globs (``arch/arm64/kvm/hyp/**``)."""
    return _path_matches(path, patterns if isinstance(patterns, tuple) else tuple(patterns))


# every rule asks of every file (backtest: ~700k questions over a few
# thousand paths), and the answer depends on the strings alone
@lru_cache(maxsize=1 << 15)
def _path_matches(path: str, patterns: tuple[str, ...]) -> bool:
    return any(_glob_regex(p).match(path) or fnmatch.fnmatchcase(path, p) for p in patterns)


@record
class FileContext:
    """What the path alone says about a file."""

    path: str
    language: str
    hyp: bool
    vhe: bool
    era: Era = field(default_factory=lambda: Era(None))


def file_context(path: str, config: ContextConfig, era: Era) -> FileContext:
    """The context of a file from its path and the configured hyp paths."""
    return FileContext(
        path=path,
        language=language_of(path),
        hyp=path_matches(path, config.hyp_paths),
        vhe=path_matches(path, config.vhe_paths),
        era=era,
    )


# --- statements ----------------------------------------------------------------


@record
class StatementContext:
    """Where one statement sits: hyp or not, nVHE or VHE, enclosing macro,
    function and section, and the ``#if`` conditions in force."""

    hyp: bool
    vhe: bool
    macro: str | None = None
    function: str | None = None
    section: str | None = None
    guards: tuple[str, ...] = ()


def statement_contexts(statements: tuple, file: FileContext, config: ContextConfig,
                       hyp_macros: frozenset[str] = frozenset()) -> list[StatementContext]:
    """The context of every statement, walking the region in order.
    ``hyp_macros`` are macros used from hyp code elsewhere (series or tree)."""
    contexts: list[StatementContext] = []
    macro: str | None = None
    function: str | None = None
    sections: list[str | None] = [None]
    guards: list[str] = []

    known: dict[tuple, StatementContext] = {}  # one object for a state met again

    def made() -> StatementContext:
        section = sections[-1]
        key = (macro, function, section, *guards)
        if (found := known.get(key)) is not None:
            return found
        hyp = (file.hyp
               or (section is not None and any(section.startswith(s) for s in config.hyp_sections))
               or any(d in g for g in guards for d in config.nvhe_defines + config.vhe_defines)
               or (macro is not None and macro in hyp_macros))
        vhe = file.vhe or any(d in g for g in guards for d in config.vhe_defines)
        found = known[key] = StatementContext(hyp=hyp, vhe=vhe, macro=macro, function=function,
                                              section=section, guards=tuple(guards))
        return found

    # Only a few kinds of statement change the context; the runs between
    # them share one (a whole file is thousands of statements, a few dozen
    # of them directives and markers).
    current: StatementContext | None = None
    done = 0  # the statements before this have their context
    for i in [i for i in marks(statements) if changes_context(statements[i])]:
        if i > done:
            contexts.extend([current or (current := made())] * (i - done))
        stmt = statements[i]
        kind = type(stmt)
        if kind is MacroDef:
            macro, current = stmt.name, None
        elif kind is Preprocessor:
            _track_guard(stmt, guards)
            current = None
        elif kind is Directive:
            _track_section(stmt, sections)
            current = None
        elif kind is CMacroCall and _FUNC_START.match(stmt.name) and stmt.args:
            function, current = stmt.args[0], None
        contexts.append(current or (current := made()))
        if kind is MacroEnd:
            macro, current = None, None
        elif kind is CMacroCall and _FUNC_END.match(stmt.name):
            function, current = None, None
        done = i + 1
    if done < len(statements):
        contexts.extend([current or made()] * (len(statements) - done))
    return contexts


def changes_context(stmt: object) -> bool:
    """Can the statement change the context of those after it?  The rest
    (``.align``, ``#include``, ``ALTERNATIVE(...)``: most directives and
    macro calls) leave the walk's state as it was, so skipping them gives
    the same contexts, the same objects even."""
    kind = type(stmt)
    if kind is MacroDef or kind is MacroEnd:
        return True
    if kind is Preprocessor:
        return stmt.directive in _GUARDS  # type: ignore[attr-defined]
    if kind is Directive:
        return stmt.name in _SECTIONS  # type: ignore[attr-defined]
    if kind is CMacroCall:
        return bool(_FUNC_START.match(stmt.name) or _FUNC_END.match(stmt.name))  # type: ignore[attr-defined]
    return False


#: The preprocessor lines and directives the walk acts on (_track_guard, _track_section).
_GUARDS = frozenset(("if", "ifdef", "ifndef", "elif", "else", "endif"))
_SECTIONS = frozenset((".pushsection", ".section", ".popsection", ".text", ".data", ".bss", ".rodata"))


def _track_guard(stmt: Preprocessor, guards: list[str]) -> None:
    directive = stmt.directive
    if directive in ("if", "ifdef", "ifndef"):
        prefix = {"ifdef": "defined ", "ifndef": "!defined ", "if": ""}[directive]
        guards.append(prefix + stmt.args.strip())
    elif directive in ("elif", "else") and guards:
        guards[-1] = f"!({guards[-1]})" + (f" && {stmt.args.strip()}" if directive == "elif" else "")
    elif directive == "endif" and guards:
        guards.pop()


def _track_section(stmt: Directive, sections: list[str | None]) -> None:
    name = stmt.name
    if name in (".pushsection", ".section") and stmt.args:
        target = stmt.args[0].strip().strip('"')
        if name == ".pushsection":
            sections.append(target)
        else:
            sections[-1] = target
    elif name == ".popsection" and len(sections) > 1:
        sections.pop()
    elif name in (".text", ".data", ".bss", ".rodata"):
        sections[-1] = name
