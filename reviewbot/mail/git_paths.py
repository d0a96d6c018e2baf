"""Paths as git writes them in a diff: a path that holds a quote, a
backslash, a control or a non-ASCII character is written in double
quotes, with C escapes and octal bytes (git-diff(1), ``core.quotePath``).
Pure."""

from __future__ import annotations

_C_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, '"': 34}
_OCTAL = frozenset("01234567")


_QUOTED_BYTES = {value: f"\\{key}" for key, value in _C_ESCAPES.items()}


def quoted_path(path: str) -> str:
    """``path`` as git writes it in a diff: in double quotes with C escapes
    and octal bytes when it holds a quote, a backslash, a control or a
    non-ASCII character; as it is otherwise."""
    raw = path.encode("utf-8", "surrogatepass")
    if not any(byte < 0x20 or byte >= 0x7f or byte in (0x22, 0x5c) for byte in raw):
        return path
    return '"' + "".join(_QUOTED_BYTES.get(byte) or (chr(byte) if 0x20 <= byte < 0x7f else f"\\{byte:03o}")
                         for byte in raw) + '"'


def unquoted_path(path: str) -> str:
    """A path as git writes one with special characters in it (a quote, a
    backslash, a control or non-ASCII byte: core.quotePath): in double
    quotes, with C escapes and octal bytes (``"a/f\\303\\266.S"``).
    Anything else, and a quoted string git would not write, as given."""
    if len(path) < 2 or path[0] != '"' or path[-1] != '"':
        return path
    raw = bytearray()
    at, end = 1, len(path) - 1
    while at < end:
        char = path[at]
        if char != "\\":
            raw += char.encode("utf-8", "surrogatepass")
            at += 1
        elif (escape := path[at + 1:at + 2]) in _C_ESCAPES and at + 1 < end:
            raw.append(_C_ESCAPES[escape])
            at += 2
        elif at + 4 <= end and _OCTAL.issuperset(digits := path[at + 1:at + 4]) and int(digits, 8) < 256:
            raw.append(int(digits, 8))
            at += 4
        else:
            return path
    return raw.decode("utf-8", "replace")
