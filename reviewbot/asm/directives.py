"""The nodes of directives the line scanner and the grammar both read:
``.macro`` (with its parameters), ``.endm`` and any other ``.name args``."""

from __future__ import annotations

import re

from reviewbot.asm.ast import Directive, MacroDef, MacroEnd, MacroParam
from reviewbot.asm.splitting import split_args

_PARAM_PATTERN = r"""([A-Za-z_][A-Za-z0-9_]*)          # name
        (?:[ \t]*:[ \t]*(req|vararg))?     # qualifier
        (?:[ \t]*=[ \t]*("(?:[^"\\]|\\.)*"|[^\s,]*))?  # default
    """
_PARAM: list[re.Pattern[str]] = []  # compiled on first use: .macro lines are rare


def _param() -> re.Pattern[str]:
    if not _PARAM:
        _PARAM.append(re.compile(_PARAM_PATTERN, re.X))
    return _PARAM[0]


def macro_params(text: str) -> tuple[MacroParam, ...]:
    """``.macro`` parameters: ``a, b=1, c:req, d:vararg`` (commas or blanks between)."""
    params = []
    pos = 0
    n = len(text)
    while pos < n:
        while pos < n and text[pos] in " \t,":
            pos += 1
        if pos >= n:
            break
        m = _param().match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"bad .macro parameter at {text[pos:]!r}")
        default = m.group(3)
        params.append(MacroParam(m.group(1), default, m.group(2)))
        pos = m.end()
    return tuple(params)


def directive_node(name: str, rest: str, line: int, column: int, text: str) -> Directive | MacroDef | MacroEnd:
    """The node for directive ``name`` (with its dot) and its argument text."""
    lname = name.lower()
    if lname == ".macro":
        parts = rest.replace(",", " ", 1).split(None, 1) if rest else []
        if not parts:
            return Directive(lname, (), line, column, text)
        try:
            params = macro_params(parts[1]) if len(parts) > 1 else ()
        except ValueError:
            return Directive(lname, split_args(rest), line, column, text)
        return MacroDef(parts[0], params, line, column, text)
    if lname == ".endm":
        return MacroEnd(line, column, text)
    return Directive(lname, split_args(rest), line, column, text)
