"""``sysreg:`` in a ``where`` constraint: ask the system-register table
(:mod:`reviewbot.analysis.sysregs`) about the register a metavariable (or a
regex group) names, instead of listing names in a regex.

    where:
      - {metavariable: $SYS, sysreg: {writable: false}}

The bound text resolves by every spelling the table knows: the name (any
case), a VHE ``_EL12``/``_EL02`` accessor, the raw ``s3_..`` encoding, a
kernel ``SYS_*`` macro (``SYS_DBGBVRn_EL1(3)`` too).  A fact the table
holds as uncertain (None: the sources disagree or none says) never
matches, neither ``true`` nor ``false``: the rule says less.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from reviewbot.asm.ast import Directive, Expression, Preprocessor, SysReg
from reviewbot.records import record

#: The keys of ``sysreg:``; schema.json's ``$defs.sysreg`` lists the same.
PROPERTIES = ("readable", "writable", "known", "el", "feature")

# A name as gas knows system registers: lower-case word ending in _EL<n>.
# What does not look like one (PSTATE fields, upper-case cpp macros, macro
# arguments) is never "unknown": it may be defined where we cannot see.
_REGISTER_SHAPE = re.compile(r"^[a-z][a-z0-9_]*_el\d[a-z0-9_]*$")
_C_DEFINE = re.compile(r"^\s*#\s*define\s+(\w+)")


@record
class SysregTest:
    """The table properties one ``sysreg:`` constraint asks for, all of which
    must hold: ``(property, wanted)`` pairs, ``wanted`` a bool, a tuple of
    exception levels, or a tuple of FEAT_* names (empty: any feature)."""

    wants: tuple[tuple[str, Any], ...]

    def holds(self, value: Any, statements: tuple = ()) -> bool:
        """Does the register ``value`` names have every wanted property?
        ``statements`` (the region) tell a locally defined name from a typo."""
        from reviewbot.analysis.sysregs import lookup

        text = spelling(value)
        if text is None:
            return False
        reg = lookup(text)
        for prop, wanted in self.wants:
            if prop == "known":
                if reg is None and wanted:
                    return False
                if not wanted and (reg is not None or not _looks_architectural(value, text)
                                   or text.lower() in defined_names(statements)):
                    return False
                continue
            if reg is None:
                return False
            if prop in ("readable", "writable"):
                fact = access_fact(reg, prop, by_name=text.lower() == reg.name)
                if fact is None or fact != wanted:
                    return False
            elif prop == "el":
                if reg.el not in wanted:
                    return False
            elif prop == "feature":
                certain = certain_features(reg.name)
                if not certain or (wanted and not set(wanted) & set(certain)):
                    return False
        return True


def spelling(value: Any) -> str | None:
    """The text to look up for a bound value: a system-register operand, a
    ``SYS_*(n)`` expression, or a regex group's text; None for anything that
    is not a register spelling (a macro argument, a general register)."""
    if isinstance(value, SysReg):
        return value.canon
    if isinstance(value, Expression):
        return value.text.strip()
    if isinstance(value, str):
        return value.strip() or None
    return None


def _looks_architectural(value: Any, text: str) -> bool:
    written = value.text if isinstance(value, SysReg) else text
    return bool(_REGISTER_SHAPE.match(written))


def defined_names(statements: tuple) -> frozenset[str]:
    """Names the region defines itself (``#define``, ``.req``, ``.set``,
    ``.equ``, ``.equiv``; lines of C: ``#define``), in lower case."""
    names = set()
    for stmt in statements:
        if isinstance(stmt, str):  # a line of C
            name = _C_DEFINE.match(stmt)
            if name:
                names.add(name.group(1).lower())
        elif isinstance(stmt, Preprocessor) and stmt.directive == "define":
            name = re.match(r"\s*(\w+)", stmt.args)
            if name:
                names.add(name.group(1).lower())
        elif isinstance(stmt, Directive) and stmt.args:
            if stmt.name in (".req", ".set", ".equ", ".equiv"):
                names.add(stmt.args[0].strip().lower())
    return frozenset(names)


def access_fact(reg: Any, prop: str, by_name: bool) -> bool | None:
    """``reg.readable`` or ``reg.writable``; for a spelling that names only
    an encoding (raw, ``SYS_*``), what any register at that encoding allows:
    ``s2_3_c0_c5_0`` is DBGDTRRX_EL0 (read-only) to mrs and DBGDTRTX_EL0
    (write-only) to msr."""
    if by_name:
        return getattr(reg, prop)
    facts = [getattr(other, prop) for other in _by_encoding().get(reg.encoding, (reg,))]
    if True in facts:
        return True
    return None if None in facts else False


@lru_cache(maxsize=1)
def _by_encoding() -> dict[tuple, tuple]:
    from reviewbot.analysis.sysregs import registers

    table: dict[tuple, tuple] = {}
    for reg in registers():
        table[reg.encoding] = table.get(reg.encoding, ()) + (reg,)
    return table


@lru_cache(maxsize=None)
def certain_features(name: str) -> tuple[str, ...]:
    """The FEAT_* names that gate a register where the sources agree: both
    name the feature, or the register is known to one source only and that
    one names it.  Any disagreement about its features: nothing."""
    from reviewbot.analysis.sysregs import disagreements, lookup

    reg = lookup(name)
    if reg is None or not reg.features:
        return ()
    if any(d["kind"] in ("feature_presence", "feature_name") for d in disagreements(reg.name)):
        return ()
    return reg.features


def compile_sysreg(spec: Any, where_path: str) -> SysregTest:
    """``{writable: false, el: [2, 3], feature: FEAT_SVE}``; ValueError names
    the key that is wrong and the valid choices."""
    if not isinstance(spec, Mapping) or not spec:
        raise ValueError(f"{where_path}.sysreg: expected a mapping of {', '.join(PROPERTIES)}")
    wants = []
    for key, wanted in spec.items():
        if key not in PROPERTIES:
            raise ValueError(f"{where_path}.sysreg: unknown key '{key}' (valid keys: {', '.join(PROPERTIES)})")
        if key in ("readable", "writable", "known"):
            if not isinstance(wanted, bool):
                raise ValueError(f"{where_path}.sysreg.{key}: expected true or false")
            wants.append((key, wanted))
        elif key == "el":
            levels = tuple(wanted) if isinstance(wanted, list) else (wanted,)
            if not levels or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 3
                                     for v in levels):
                raise ValueError(f"{where_path}.sysreg.el: expected an exception level 0-3 or a list of them")
            wants.append((key, levels))
        else:
            if wanted is True:
                wants.append((key, ()))
                continue
            names = tuple(wanted) if isinstance(wanted, list) else (wanted,)
            if not names or not all(isinstance(n, str) and n.startswith("FEAT_") for n in names):
                raise ValueError(f"{where_path}.sysreg.feature: expected true, a FEAT_* name or a list of them")
            wants.append((key, names))
    return SysregTest(tuple(wants))
