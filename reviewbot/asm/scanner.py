"""The line scanner in front of the arm64 grammar.

It reads what is cheaper by hand than by LALR: ``//`` and ``/* */`` comments
(over several lines too), C preprocessor lines (``\\`` continuations, ``#if``
depth), ``;`` statement separators, objdump's ``address: encoding`` prefixes,
and the statements whose first token decides everything -- labels,
directives, ``x = expr``, ``x .req y`` and ``NAME(...)`` C macro calls.  Its
regexps are those of the matching terminals of ``grammars/arm64.lark``
(``LABEL``, ``DIRECTIVE``, ``ASSIGN_LHS``, ``REQ_LHS``, ``CMACRO_CALL``), so
the grammar gives the same nodes for them; every other statement is handed to
the grammar through the ``parse_body`` callback.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from reviewbot.asm.ast import (
    CMacroCall, Comment, Directive, Label, MacroDef, MacroEnd, MacroParam, Preprocessor,
)

_MACRO_PART = r"\\(?:[A-Za-z_][A-Za-z0-9_]*(?![A-Za-z0-9_])|@|\(\))"
WORD_PATTERN = rf"(?:[A-Za-z_.$]|{_MACRO_PART})(?:[A-Za-z0-9_.$]|{_MACRO_PART})*"
LABEL_RE = re.compile(rf"[ \t]*({WORD_PATTERN}|[0-9]+|[A-Za-z_][A-Za-z0-9_]*\([^()]*\)):")
ASSIGN_RE = re.compile(r"([A-Za-z_.$][A-Za-z0-9_.$]*)[ \t]*=(?!=)[ \t]*(\S(?:.*\S)?)$")
_REQ_PATTERN = rf"([A-Za-z_][A-Za-z0-9_]*)[ \t]+\.req(?![A-Za-z0-9_.$])[ \t]*({WORD_PATTERN})$"
DIRECTIVE_RE = re.compile(r"\.[A-Za-z_][A-Za-z0-9_.]*")
_STR = r'"(?:[^"\\]|\\.)*"'
CMACRO_RE = re.compile(
    rf"([A-Za-z_][A-Za-z0-9_]*)\(((?:[^()\"]|{_STR}|\((?:[^()\"]|{_STR}|"
    rf"\((?:[^()\"]|{_STR})*\))*\))*)\)$")
_OBJDUMP_INSN = re.compile(
    r"[ \t]*[0-9a-fA-F]+:[ \t]+(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{4} [0-9a-fA-F]{4})[ \t]+(?=\S)")
_OBJDUMP_FUNC = re.compile(r"[ \t]*[0-9a-fA-F]+ <([^<>]+)>:[ \t]*$")
_SPECIAL = re.compile(r'"|\'|//|/\*|;')
_CHAR_TAIL = re.compile(r"(?:[^'\\]|\\.)?'?")
_STRING_TAIL = re.compile(r'(?:[^"\\]|\\.)*"?')
_PREPROCESSOR = re.compile(r"[ \t]*#[ \t]*([A-Za-z_][A-Za-z0-9_]*|[0-9]+)?[ \t]*(.*)$", re.S)
_PARAM_PATTERN = r"""([A-Za-z_][A-Za-z0-9_]*)          # name
        (?:[ \t]*:[ \t]*(req|vararg))?     # qualifier
        (?:[ \t]*=[ \t]*("(?:[^"\\]|\\.)*"|[^\s,]*))?  # default
    """
# Regexps of rare statements (``x .req y``, ``.macro``), compiled on first use
# to keep ``import reviewbot.asm.parser`` cheap.
_LAZY: dict[str, re.Pattern] = {}


def _lazy(name: str, pattern: str, flags: int = 0) -> re.Pattern:
    compiled = _LAZY.get(name)
    if compiled is None:
        compiled = _LAZY[name] = re.compile(pattern, flags)
    return compiled


_IF_OPEN = frozenset({"if", "ifdef", "ifndef"})
_IF_MIDDLE = frozenset({"elif", "else", "elifdef", "elifndef"})

ParseBody = Callable[[str, int, int], list]
_CMACRO_START = re.compile(r"[ \t]*[A-Za-z_][A-Za-z0-9_]*\(")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"?|\'(?:[^\'\\]|\\.)?\'?')
_MAX_CALL_LINES = 20


def _open_parens(code: str) -> int:
    """How many ``(`` of ``code`` (strings left out) are not closed."""
    if '"' in code or "'" in code:
        code = _STRINGS.sub("", code)
    return code.count("(") - code.count(")")


def split_args(text: str) -> tuple[str, ...]:
    """Split at top-level commas (outside ``()``, ``[]``, ``{}`` and strings), stripped."""
    text = text.strip()
    if not text:
        return ()
    if not any(c in text for c in '([{"'):
        return tuple(a.strip() for a in text.split(","))
    args = []
    depth = 0
    start = 0
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i = _STRING_TAIL.match(text, i + 1).end()
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth <= 0:
            args.append(text[start:i].strip())
            start = i + 1
        i += 1
    args.append(text[start:].strip())
    return tuple(args)


_SPAN_SPECIAL = re.compile(r'[,"\'()\[\]{}]')


def operand_spans(text: str, pos: int) -> list[tuple[int, str]] | None:
    """``(start, operand)`` for each top-level comma-separated piece of
    ``text[pos:]``, stripped, ``start`` its index in ``text``; None when a
    piece is empty or a bracket or quote is unbalanced."""
    spans = []
    depth = 0
    start = pos
    n = len(text)
    i = pos
    while True:
        m = _SPAN_SPECIAL.search(text, i)
        if m is None:
            i = n
        else:
            i = m.start()
            c = text[i]
            if c == '"' or c == "'":
                e = (_STRING_TAIL if c == '"' else _CHAR_TAIL).match(text, i + 1).end()
                if text[e - 1] != c or e == i + 1:
                    return None
                i = e
                continue
            if c in "([{":
                depth += 1
                i += 1
                continue
            if c in ")]}":
                depth -= 1
                if depth < 0:
                    return None
                i += 1
                continue
            if depth:
                i += 1
                continue
        piece = text[start:i]
        stripped = piece.strip()
        if not stripped:
            return None
        spans.append((start + len(piece) - len(piece.lstrip()), stripped))
        if i >= n:
            return spans if depth == 0 else None
        start = i = i + 1


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
        m = _lazy("param", _PARAM_PATTERN, re.X).match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"bad .macro parameter at {text[pos:]!r}")
        default = m.group(3)
        params.append(MacroParam(m.group(1), default, m.group(2)))
        pos = m.end()
    return tuple(params)


def directive_node(name: str, rest: str, line: int, column: int, text: str):
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


class Scanner:
    """Turns source text into statements; instructions go to ``parse_body``.

    ``parse_body(text, line, col0)`` parses one statement (no comment, no
    label) starting at 0-based column ``col0`` of ``line`` and returns its
    statements.
    """

    def __init__(self, parse_body: ParseBody) -> None:
        self.parse_body = parse_body

    def scan(self, text: str, first_line: int = 1) -> list:
        """All statements of ``text``, in source order."""
        out: list = []
        depth = 0
        comment: list | None = None       # [line, col, trailing, parts]
        pp: list | None = None            # [slot, line, col, directive, depth, texts, args]
        cont: list | None = None          # [slot, line, code, semis, lines]: a continued line
        spliced = False
        for number, line in enumerate(text.split("\n"), first_line):
            if line.endswith("\r"):
                line = line[:-1]
            pos = 0
            items: list = []
            if comment is None and pp is None and cont is None and line.lstrip().startswith("*"):
                # A fragment (a diff hunk) that starts inside a /* */ comment:
                # no statement starts with "*", so the comment goes on here.
                col = len(line) - len(line.lstrip())
                comment = [number, col + 1, False, []]
            if comment is not None:
                end = line.find("*/")
                if end < 0:
                    comment[3].append(line)
                    continue
                comment[3].append(line[:end])
                out.append(Comment("\n".join(comment[3]).strip(), comment[0], comment[1],
                                   number, comment[2]))
                comment = None
                pos = end + 2
                if not line[pos:].strip():
                    continue
            objdump = False
            if pos == 0 and line and (line[0] in " \t" or line[0] in "0123456789abcdefABCDEF"):
                m = _OBJDUMP_INSN.match(line)
                if m:
                    objdump = True
                    pos = m.end()
                else:
                    m = _OBJDUMP_FUNC.match(line)
                    if m:
                        col = len(line) - len(line.lstrip())
                        out.append(Label(m.group(1), number, col + 1, line.strip()))
                        continue
            if pos == 0 and "/" not in line and '"' not in line and ";" not in line \
                    and "'" not in line:
                code, semis, comments = line, (), ()
            else:
                code, semis, comments = self._split(line, pos, objdump)
            if pp is not None:
                stripped = code.rstrip()
                more = stripped.endswith("\\")
                pp[5].append(stripped)
                if not more:
                    out[pp[0]] = self._preprocessor(pp)
                    pp = None
            elif cont is None and code.lstrip().startswith("#"):
                body = code.lstrip()
                m = _PREPROCESSOR.match(code)
                directive = m.group(1) or ""
                if directive.isdigit():
                    directive, args = "line", f"{directive} {m.group(2)}".strip()
                else:
                    args = m.group(2)
                if directive in _IF_OPEN:
                    here = depth
                    depth += 1
                elif directive in _IF_MIDDLE:
                    here = max(depth - 1, 0)
                elif directive == "endif":
                    depth = max(depth - 1, 0)
                    here = depth
                else:
                    here = depth
                col = len(code) - len(body) + 1
                stripped = code.rstrip()
                if stripped.endswith("\\"):
                    out.append(None)
                    pp = [len(out) - 1, number, col, directive, here,
                          [stripped[col - 1:]], args.rstrip()[:-1]]
                else:
                    items.append((col - 1, Preprocessor(directive, args.rstrip(), number, col,
                                                        stripped[col - 1:], here)))
            else:
                stripped = code.rstrip()
                more = stripped.endswith("\\")
                if more:
                    # cpp splices a backslash-newline anywhere, not only in directives
                    piece = stripped[:-1] + " "
                elif stripped.endswith((",", "(")) and _CMACRO_START.match(
                        cont[2] if cont is not None else stripped):
                    # cpp lets a C macro call's arguments go on over lines; a
                    # line ending in "," or "(" inside the call is not its end
                    joined = (cont[2] if cont is not None else "") + stripped
                    more = (_open_parens(joined) > 0
                            and (cont is None or cont[4] < _MAX_CALL_LINES))
                    piece = stripped + " "
                if more:
                    if cont is None:
                        out.append(None)
                        cont = [len(out) - 1, number, piece, list(semis), 1]
                    else:
                        cont[3].extend(len(cont[2]) + s for s in semis)
                        cont[2] += piece
                        cont[4] += 1
                elif cont is not None:
                    slot, start_line, prev, prev_semis, _ = cont
                    cont = None
                    prev_semis.extend(len(prev) + s for s in semis)
                    out[slot] = [node for _, nodes in self._statements(prev + code, prev_semis, start_line)
                                 for node in nodes]
                    spliced = True
                elif stripped:
                    items.extend(self._statements(code, semis, number))
            for col, ctext, closed in comments:
                trailing = bool(code[:col].strip())
                if closed:
                    items.append((col, Comment(ctext.strip(), number, col + 1, number, trailing)))
                else:
                    comment = [number, col + 1, trailing, [ctext]]
            if items:
                if len(items) > 1:
                    items.sort(key=lambda item: item[0])
                for _, node in items:
                    if type(node) is list:
                        out.extend(node)
                    else:
                        out.append(node)
        if pp is not None:
            out[pp[0]] = self._preprocessor(pp)
        if cont is not None:
            out[cont[0]] = [node for _, nodes in self._statements(cont[2], cont[3], cont[1])
                            for node in nodes]
            spliced = True
        if comment is not None:
            out.append(Comment("\n".join(comment[3]).strip(), comment[0], comment[1],
                               first_line + text.count("\n"), comment[2]))
        if spliced:
            flat: list = []
            for node in out:
                if type(node) is list:
                    flat.extend(node)
                else:
                    flat.append(node)
            return flat
        return out

    def _statements(self, code: str, semis, number: int) -> list:
        """(col0, nodes) of each ``;``-separated statement of one logical line."""
        items = []
        start = 0
        for end in (*semis, len(code)):
            segment = code[start:end]
            stmt = segment.strip()
            if stmt:
                col0 = start + len(segment) - len(segment.lstrip())
                items.append((col0, self.statement(stmt, number, col0)))
            start = end + 1
        return items

    @staticmethod
    def _preprocessor(pp: list) -> Preprocessor:
        _, line, col, directive, depth, texts, first_args = pp
        rest = [t[:-1].strip() if t.endswith("\\") else t.strip() for t in texts[1:]]
        args = " ".join([first_args.strip(), *rest]).strip()
        return Preprocessor(directive, args, line, col, "\n".join(texts), depth)

    @staticmethod
    def _split(line: str, pos: int, objdump: bool):
        """(code with comments blanked out, positions of ``;``, comments)."""
        pieces = [" " * pos]
        semis = []
        comments = []
        i = pos
        n = len(line)
        while True:
            m = _SPECIAL.search(line, i)
            if m is None:
                pieces.append(line[i:])
                break
            s = m.start()
            tok = m.group()
            if tok == '"' or tok == "'":
                e = (_STRING_TAIL if tok == '"' else _CHAR_TAIL).match(line, s + 1).end()
                pieces.append(line[i:e])
                i = e
                continue
            pieces.append(line[i:s])
            if tok == ";" and not objdump:
                semis.append(s)
                pieces.append(";")
                i = s + 1
                continue
            if tok == "/*":
                e = line.find("*/", s + 2)
                if e >= 0:
                    comments.append((s, line[s + 2:e], True))
                    pieces.append(" " * (e + 2 - s))
                    i = e + 2
                    continue
                comments.append((s, line[s + 2:], False))
            else:  # "//", or objdump's "; comment"
                comments.append((s, line[s + len(tok):], True))
            pieces.append(" " * (n - s))
            break
        return "".join(pieces), semis, comments

    def statement(self, stmt: str, number: int, col0: int):
        """The nodes of one statement (labels first), ``stmt`` stripped, at ``col0``."""
        nodes = []
        pos = 0
        while True:
            m = LABEL_RE.match(stmt, pos)
            if m is None:
                break
            name = m.group(1)
            nodes.append(Label(name, number, col0 + m.start(1) + 1, name + ":"))
            pos = m.end()
        if pos:
            rest = stmt[pos:].lstrip()
            if not rest:
                return nodes
            col0 += len(stmt) - len(rest)
        else:
            rest = stmt
        c = rest[0]
        node = None
        if c == "." or c.isalpha() or c == "_" or c == "$":
            if "=" in rest:
                m = ASSIGN_RE.match(rest)
                if m:
                    node = Directive("=", m.groups(), number, col0 + 1, rest)
            if node is None and "(" in rest and c != ".":
                m = CMACRO_RE.match(rest)
                if m:
                    node = CMacroCall(m.group(1), split_args(m.group(2)), number, col0 + 1, rest)
            if node is None and c == ".":
                m = DIRECTIVE_RE.match(rest)
                if m:
                    node = directive_node(m.group(), rest[m.end():].strip(), number, col0 + 1, rest)
            if node is None and ".req" in rest.lower():
                m = _lazy("req", _REQ_PATTERN, re.IGNORECASE).match(rest)
                if m:
                    node = Directive(".req", m.groups(), number, col0 + 1, rest)
        if node is None:
            nodes.extend(self.parse_body(rest, number, col0))
        else:
            nodes.append(node)
        return nodes
