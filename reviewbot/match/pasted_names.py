"""Names a C macro builds by token pasting, where the code also calls it.

``#define DEFINE_GETTER(f) int get_##f(void) { ... }`` followed by
``DEFINE_GETTER(speed);`` defines ``get_speed`` though no line spells it:
a patch that folds hand-written functions into such a macro deletes their
definitions yet leaves every one of them in place.  Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_MACRO = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(([^()]*)\)((?:[^\n]*\\\n)*[^\n]*)", re.MULTILINE)
# a run of identifier pieces joined by ##: "pm_generic_##name", "name##_show", "a ## b ## c"
_PASTE = re.compile(r"[A-Za-z_]\w*(?:\s*##\s*\w+)+")


def _templates(text: str) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Function-like macros with a pasted name: macro -> (parameters, the
    pieces of each pasted name)."""
    found: dict[str, tuple[list[str], list[list[str]]]] = {}
    for m in _MACRO.finditer(text):
        params = [p.strip() for p in m.group(2).split(",")]
        pastes = [re.split(r"\s*##\s*", p.group(0)) for p in _PASTE.finditer(m.group(3))]
        if pastes and any(piece in params for paste in pastes for piece in paste):
            found[m.group(1)] = (params, pastes)
    return found


def _calls(text: str, macro: str) -> Iterable[list[str]]:
    """The argument lists of the macro's calls (simple arguments only)."""
    for m in re.finditer(r"(?<![\w#])" + re.escape(macro) + r"\s*\(([^()]*)\)", text):
        yield [a.strip() for a in m.group(1).split(",")]


def pasted_names(texts: Iterable[str], calls_in: str | None = None) -> set[str]:
    """Identifiers that the function-like macros defined in ``texts`` paste
    together at their calls there (each text is one file's code), or, given
    ``calls_in``, at their calls in that code only."""
    names: set[str] = set()
    for text in texts:
        if "##" not in text:
            continue
        for macro, (params, pastes) in _templates(text).items():
            for args in _calls(text if calls_in is None else calls_in, macro):
                if len(args) != len(params):
                    continue
                value = dict(zip(params, args))
                for paste in pastes:
                    name = "".join(value.get(piece, piece) for piece in paste)
                    if re.fullmatch(r"[A-Za-z_]\w*", name):
                        names.add(name)
    return names
