"""What in a comment's text is a claim about the code under it, for the
stale-comment matcher (match/comments.py): a quoted fragment is one only
when it looks like assembly, and no mention is one when the comment denies
it, contrasts the code with it or makes it in parentheses."""

from __future__ import annotations

import re

from reviewbot.asm.mnemonics import is_instruction

# '\r', '\n', '\r\n': character constants name values, which code may write
# as numbers ('mov w2, #0xD'); not code to look for
_CHARACTERS = re.compile(r"(?:\\(?:[abfnrtv0'\"\\]|x[0-9A-Fa-f]{1,2}|[0-7]{1,3}))+")


def looks_like_assembly(fragment: str) -> bool:
    """Is a quoted fragment assembly the code could contain: a literal-pool
    operand (``'=kvm_host_cpu_state'``), an instruction or assembler macro
    with operands (``'adr_l x0, sym'``, ``'ldr \\reg, =sym'``), or an address
    operand (``'[x0, #8]'``)?  Not character constants (``'\\n'``: code may
    write them as numbers), C or pseudo-code (``'sp = x0 ? x0 : sp'``) or
    another architecture's register notes (``'EAX='``)."""
    if _CHARACTERS.fullmatch(fragment):
        return False
    if fragment.startswith("=") or _ADDRESS.search(fragment):
        return True
    m = _WITH_OPERANDS.match(fragment)
    if m is None:
        return False
    word = m.group(1).lower()
    return (is_instruction(word) or "_" in word) and _OPERAND.search(m.group(2)) is not None


_ADDRESS = re.compile(r"\[\s*(?:[xw]\d+|sp|\\\w+)\b")
_WITH_OPERANDS = re.compile(r"([A-Za-z_][\w.]*)\s+(\S.*)")
_OPERAND = re.compile(r"\b(?:[xw](?:[12]?\d|30)|sp|xzr|wzr)\b|[#=\\\[]|,")
# a mention the comment denies or contrasts ("no literal pool", "instead of
# 'ldr =sym'"), or makes in a parenthetical aside, is not a claim about the code
_DENIAL = re.compile(r"\b(?:no|not|without|instead\s+of|rather\s+than|unlike|avoids?|avoiding|never|than)\W+(?:\w+\W+){0,2}$",
                     re.IGNORECASE)


def aside(text: str, start: int) -> bool:
    """Does the comment deny what starts at ``start``, contrast the code with
    it, or name it inside parentheses?"""
    sentence = re.split(r"[.;:!?]\s|\n\s*\n", text[:start])[-1]
    if sentence.count("(") > sentence.count(")"):
        return True
    return _DENIAL.search(sentence) is not None
