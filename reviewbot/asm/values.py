"""The values of gas constants: numbers (``0x10``, ``0b101``, ``010``),
character constants (``'a'``, ``'\\n'``) and expressions made of numbers only,
evaluated with gas's operator precedence."""

from __future__ import annotations

from reviewbot.asm.parts import Children, Part


_ESCAPES = {"n": 10, "r": 13, "t": 9, "0": 0, "b": 8, "f": 12, "v": 11, "a": 7, "e": 27}


def char_value(text: str) -> int | None:
    """The value of a character constant: ``'a'``, ``'\\n'``, gas's ``'a``."""
    body = text[1:-1] if len(text) > 2 and text.endswith("'") else text[1:]
    if len(body) == 1:
        return ord(body)
    if len(body) == 2 and body[0] == "\\":
        return _ESCAPES.get(body[1], ord(body[1]))
    return None


def number(text: str) -> int | None:
    """The value of a gas number (``0x10``, ``0b101``, ``010`` octal, ``16``);
    None for a float."""
    t = text.lower()
    if t.startswith("0x"):
        return int(t, 16)
    if t.startswith("0b"):
        return int(t[2:], 2)
    if "." in t or "e" in t:
        return None
    if len(t) > 1 and t[0] == "0":
        return int(t, 8) if all(c in "01234567" for c in t) else None
    return int(t)


# gas's binary operator precedence (as/doc "Infix Operators"), higher binds tighter.
_PRECEDENCE = {
    "*": 4, "/": 4, "%": 4, "<<": 4, ">>": 4,
    "|": 3, "&": 3, "^": 3, "!": 3,
    "+": 2, "-": 2,
}


def const_value(items: Children) -> int | None:
    """Evaluate the children of an ``expr`` made of numbers only (gas's
    precedence); None when it holds anything else."""
    pos = 0

    def unary() -> int:
        nonlocal pos
        item = items[pos]
        pos += 1
        if isinstance(item, Part):
            value = const_value(item.data.data) if item.kind == "paren" else None
        elif item.type == "UNOP":
            operand = unary()
            value = {"-": -operand, "+": operand, "~": ~operand, "!": int(not operand)}[str(item)]
        elif item.type == "NUMBER":
            value = number(item)
        elif item.type == "CHAR":
            value = char_value(item)
        else:
            value = None
        if value is None:
            raise ValueError
        return value

    def binary(level: int) -> int:
        nonlocal pos
        left = unary() if level == 4 else binary(level + 1)
        while pos < len(items) and _PRECEDENCE.get(str(items[pos])) == level:
            op = str(items[pos])
            pos += 1
            right = unary() if level == 4 else binary(level + 1)
            left = _apply(op, left, right)
        return left

    try:
        value = binary(2)
    except (ValueError, IndexError, ZeroDivisionError, OverflowError):
        return None
    return value if pos == len(items) else None


def _apply(op: str, a: int, b: int) -> int:
    if op == "*":
        return a * b
    if op == "/":
        return int(a / b) if abs(a) < 2**52 and abs(b) < 2**52 else a // b
    if op == "%":
        return a % b
    if op == "<<":
        if b > 64 or b < 0:
            raise ValueError
        return a << b
    if op == ">>":
        return a >> b
    if op == "|":
        return a | b
    if op == "&":
        return a & b
    if op == "^":
        return a ^ b
    if op == "!":
        return a | ~b
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    raise ValueError
