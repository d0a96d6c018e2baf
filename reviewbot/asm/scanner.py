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

Why this module is long: a scan is one state machine over lines (an open
comment, a continued directive or line, the ``#if`` depth), and each step
reads and changes that state; split across modules, the state would travel
with every call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import Any

from reviewbot.asm.ast import CMacroCall, Comment, Directive, Label, Preprocessor, Statement
from reviewbot.asm.directives import directive_node
from reviewbot.asm.splitting import open_parens, split_args, split_line
from reviewbot.records import record

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
_PREPROCESSOR = re.compile(r"[ \t]*#[ \t]*([A-Za-z_][A-Za-z0-9_]*|[0-9]+)?[ \t]*(.*)$", re.S)
# Regexps of rare statements (``x .req y``), compiled on first use
# to keep ``import reviewbot.asm.parser`` cheap.
_LAZY: dict[str, re.Pattern] = {}


def _lazy(name: str, pattern: str, flags: int = 0) -> re.Pattern:
    compiled = _LAZY.get(name)
    if compiled is None:
        compiled = _LAZY[name] = re.compile(pattern, flags)
    return compiled


_IF_OPEN = frozenset({"if", "ifdef", "ifndef"})
_IF_MIDDLE = frozenset({"elif", "else", "elifdef", "elifndef"})

ParseBody = Callable[[str, int, int], list[Statement]]
_CMACRO_START = re.compile(r"[ \t]*[A-Za-z_][A-Za-z0-9_]*\(")
_MAX_CALL_LINES = 20


# A line that is one instruction and nothing else, as most lines of code
# are: it starts with a letter (not a directive, preprocessor line or
# comment) and has no ':' (label), '=' (assignment), '(' (C macro call),
# comment, string, ';' or '.req', and does not go on over the next line.
_PLAIN = re.compile(r"(?!.*\.req)([ \t]*)([A-Za-z_$](?:[^:=(/;\"'\n]*[^\s:=(/;\"'\\,])?)[ \t]*$",
                    re.IGNORECASE)


class Scanner:
    """Turns source text into statements; instructions go to ``parse_body``.

    ``parse_body(text, line, col0)`` parses one statement (no comment, no
    label) starting at 0-based column ``col0`` of ``line`` and returns its
    statements.  ``plain(text, line, column)``, when given, makes the node
    of a line that is one instruction alone (``_PLAIN``) without the steps
    that look for everything else: the outliner's ``Unread``.
    """

    def __init__(self, parse_body: ParseBody, plain: Callable[[str, int, int], Statement] | None = None) -> None:
        self.parse_body = parse_body
        self.plain = plain

    def scan(self, text: str, first_line: int = 1) -> list[Statement]:
        """All statements of ``text``, in source order."""
        scan = _Scan(self)
        scan.lines(text.split("\n"), first_line)
        return scan.finish(first_line + text.count("\n"))

    def scan_region(self, lines: list[str], first_line: int, depth: int) -> tuple[list[Statement], int] | None:
        """The statements of ``lines`` (numbered from ``first_line``) of a
        file whose preprocessor lines before them leave the ``#if`` depth
        ``depth`` (:func:`depth_after`), and the depth after them; None
        when the lines end inside a comment, a continued line or a
        continued directive (what follows them would not scan as it did)."""
        scan = _Scan(self)
        scan.depth = depth
        scan.lines(lines, first_line)
        if scan.comment is not None or scan.directive is not None or scan.continued is not None:
            return None
        return scan.finish(first_line + len(lines) - 1), scan.depth

    def _statements(self, code: str, semis: list[int], number: int) -> list[tuple[int, Any]]:
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

    def statement(self, stmt: str, number: int, col0: int) -> list[Statement]:
        """The nodes of one statement (labels first), ``stmt`` stripped, at ``col0``."""
        nodes: list[Statement] = []
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
        node: Statement | None = None
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


# --- one scan: what is still open at the end of a line -------------------------------

_OBJDUMP_START = " \t0123456789abcdefABCDEF"  # what an objdump line can start with
_column = itemgetter(0)
_MAY_GO_ON = ("\\", ",", "(")  # the ends of a line of code that may go on over the next


@record(frozen=False)
class _OpenComment:
    """A ``/* */`` comment not closed yet: where it starts, whether code
    precedes it on its first line, and its text line by line so far."""

    line: int
    column: int
    trailing: bool
    parts: list[str]

    def node(self, end_line: int) -> Comment:
        return Comment("\n".join(self.parts).strip(), self.line, self.column, end_line, self.trailing)


@record(frozen=False)
class _ContinuedDirective:
    """A preprocessor line continued with ``\\``: the slot of ``out`` its node
    goes into, where it starts, its directive and ``#if`` depth, its lines so
    far and the arguments on its first line (the ``\\`` cut off)."""

    slot: int
    line: int
    column: int
    directive: str
    depth: int
    texts: list[str]
    first_args: str

    def node(self) -> Preprocessor:
        rest = [t[:-1].strip() if t.endswith("\\") else t.strip() for t in self.texts[1:]]
        args = " ".join([self.first_args.strip(), *rest]).strip()
        return Preprocessor(self.directive, args, self.line, self.column, "\n".join(self.texts), self.depth)


@record(frozen=False)
class _ContinuedLine:
    """A code line that goes on over the next (a ``\\`` at its end, or a C
    macro call's arguments): the slot of ``out`` its nodes go into, its first
    line, the code joined so far, the positions of its ``;`` in that code and
    how many lines it has."""

    slot: int
    line: int
    code: str
    semis: list[int]
    lines: int


def _if_depths(depth: int, directive: str) -> tuple[int, int]:
    """The ``#if`` depth a ``directive`` line is at, and the depth after it,
    where the depth before it is ``depth``."""
    if directive in _IF_OPEN:
        return depth, depth + 1
    if directive in _IF_MIDDLE:
        return max(depth - 1, 0), depth
    if directive == "endif":
        return max(depth - 1, 0), max(depth - 1, 0)
    return depth, depth


def depth_after(directives: Iterable[str], depth: int = 0) -> int:
    """The ``#if`` depth after these preprocessor directives (``if``,
    ``endif``...), from ``depth``."""
    for directive in directives:
        depth = _if_depths(depth, directive)[1]
    return depth


class _Scan:
    """The state of one :meth:`Scanner.scan`, and its steps, one source line
    at a time.  ``out`` holds the statements so far; a continued line keeps
    its place in it with ``None`` until it ends, when the place gets the list
    of its nodes (``spliced``: ``out`` is flattened at the end)."""

    __slots__ = ("scanner", "out", "depth", "comment", "directive", "continued", "spliced")

    def __init__(self, scanner: Scanner) -> None:
        self.scanner = scanner
        self.out: list[Any] = []  # statements, and the slots of continued lines
        self.depth = 0  # of #if nesting
        self.comment: _OpenComment | None = None
        self.directive: _ContinuedDirective | None = None
        self.continued: _ContinuedLine | None = None
        self.spliced = False

    def lines(self, lines: list[str], first_line: int) -> None:
        """Scan source lines (without their newlines), the first numbered ``first_line``."""
        statements = self.scanner._statements
        plain = self.scanner.plain
        plain_line = _PLAIN.match
        out = self.out
        for number, line in enumerate(lines, first_line):
            if line.endswith("\r"):
                line = line[:-1]
            if self.comment is not None and "*/" not in line:
                self.comment.parts.append(line)  # a line inside a /* */ comment
                continue
            if plain is not None and self.comment is None and self.directive is None and self.continued is None:
                if not line or line.isspace():
                    continue
                m = plain_line(line)
                if m is not None:
                    out.append(plain(m.group(2), number, m.end(1) + 1))
                    continue
            pos = 0
            if self.comment is not None or (line.lstrip().startswith("*") and self.directive is None
                                            and self.continued is None):
                pos = self.comment_goes_on(line, number)
                if pos < 0:
                    continue
            objdump = False
            if pos == 0 and line and line[0] in _OBJDUMP_START:
                m = _OBJDUMP_INSN.match(line)
                if m:
                    objdump = True
                    pos = m.end()
                elif self.objdump_function(line, number):
                    continue
            if pos or "/" in line or '"' in line or ";" in line or "'" in line:
                code, semis, comments = split_line(line, pos, objdump)
            else:
                code, semis, comments = line, [], []
            items: list[tuple[int, Any]] = []  # (col0, a node or a list of nodes)
            if self.directive is not None:
                self.continue_directive(code)
            elif self.continued is None and code.lstrip().startswith("#"):
                self.preprocessor(code, number, items)
            else:
                stripped = code.rstrip()
                if self.continued is None and not stripped.endswith(_MAY_GO_ON):
                    if stripped:
                        items = statements(code, semis, number)
                else:
                    self.code(code, stripped, semis, number, items)
            for col, ctext, closed in comments:
                trailing = bool(code[:col].strip())
                if closed:
                    items.append((col, Comment(ctext.strip(), number, col + 1, number, trailing)))
                else:
                    self.comment = _OpenComment(number, col + 1, trailing, [ctext])
            if items:
                if len(items) > 1:
                    items.sort(key=_column)
                for _, node in items:
                    if type(node) is list:
                        self.out.extend(node)
                    else:
                        self.out.append(node)

    def comment_goes_on(self, line: str, number: int) -> int:
        """A line in a ``/* */`` comment: where the code after its end starts,
        or -1 when the line ends inside it or holds nothing after it."""
        comment = self.comment
        if comment is None:
            # A fragment (a diff hunk) that starts inside a /* */ comment:
            # no statement starts with "*", so the comment goes on here.
            comment = _OpenComment(number, len(line) - len(line.lstrip()) + 1, False, [])
        end = line.find("*/")
        if end < 0:
            comment.parts.append(line)
            self.comment = comment
            return -1
        comment.parts.append(line[:end])
        self.out.append(comment.node(number))
        self.comment = None
        pos = end + 2
        return pos if line[pos:].strip() else -1

    def objdump_function(self, line: str, number: int) -> bool:
        """Whether ``line`` is objdump's ``address <function>:`` (made a label)."""
        m = _OBJDUMP_FUNC.match(line)
        if m is None:
            return False
        col = len(line) - len(line.lstrip())
        self.out.append(Label(m.group(1), number, col + 1, line.strip()))
        return True

    def preprocessor(self, code: str, number: int, items: list) -> None:
        """A preprocessor line, or the first line of one continued with ``\\``."""
        body = code.lstrip()
        m = _PREPROCESSOR.match(body)
        assert m is not None  # body starts with "#", which is all the pattern needs
        directive = m.group(1) or ""
        if directive.isdigit():  # a line marker: # 12 "file.S"
            directive, args = "line", f"{directive} {m.group(2)}".strip()
        else:
            args = m.group(2)
        here = self.if_depth(directive)
        col = len(code) - len(body) + 1
        stripped = code.rstrip()
        if stripped.endswith("\\"):
            self.out.append(None)
            self.directive = _ContinuedDirective(len(self.out) - 1, number, col, directive, here,
                                                 [stripped[col - 1:]], args.rstrip()[:-1])
        else:
            items.append((col - 1, Preprocessor(directive, args.rstrip(), number, col,
                                                stripped[col - 1:], here)))

    def if_depth(self, directive: str) -> int:
        """The ``#if`` depth a ``directive`` line is at (an ``#else`` is at its
        ``#if``'s); counts it in the nesting."""
        at, self.depth = _if_depths(self.depth, directive)
        return at

    def continue_directive(self, code: str) -> None:
        """One more line of a continued preprocessor line."""
        directive = self.directive
        assert directive is not None
        stripped = code.rstrip()
        directive.texts.append(stripped)
        if not stripped.endswith("\\"):
            self.out[directive.slot] = directive.node()
            self.directive = None

    def code(self, code: str, stripped: str, semis: list[int], number: int, items: list) -> None:
        """A line of code (``stripped``: without trailing blanks) that may go on
        over the next or end a line that did: its statements, or nothing yet."""
        continued = self.continued
        more = stripped.endswith("\\")
        if more:
            # cpp splices a backslash-newline anywhere, not only in directives
            piece = stripped[:-1] + " "
        elif stripped.endswith((",", "(")) and _CMACRO_START.match(
                continued.code if continued is not None else stripped):
            # cpp lets a C macro call's arguments go on over lines; a
            # line ending in "," or "(" inside the call is not its end
            joined = (continued.code if continued is not None else "") + stripped
            more = (open_parens(joined) > 0
                    and (continued is None or continued.lines < _MAX_CALL_LINES))
            piece = stripped + " "
        if more:
            if continued is None:
                self.out.append(None)
                self.continued = _ContinuedLine(len(self.out) - 1, number, piece, list(semis), 1)
            else:
                continued.semis.extend(len(continued.code) + s for s in semis)
                continued.code += piece
                continued.lines += 1
        elif continued is not None:
            self.continued = None
            continued.semis.extend(len(continued.code) + s for s in semis)
            self.end_continued(continued, continued.code + code)
        elif stripped:
            items.extend(self.scanner._statements(code, semis, number))

    def end_continued(self, continued: _ContinuedLine, code: str) -> None:
        """Put the nodes of a continued line, joined into ``code``, in its slot."""
        self.out[continued.slot] = [node for _, nodes in self.scanner._statements(code, continued.semis, continued.line)
                                    for node in nodes]
        self.spliced = True

    def finish(self, last_line: int) -> list[Statement]:
        """The statements, once the last line is scanned."""
        if self.directive is not None:
            self.out[self.directive.slot] = self.directive.node()
        if self.continued is not None:
            self.end_continued(self.continued, self.continued.code)
        if self.comment is not None:
            self.out.append(self.comment.node(last_line))
        if not self.spliced:
            return self.out
        flat: list[Statement] = []
        for node in self.out:
            if type(node) is list:
                flat.extend(node)
            else:
                flat.append(node)
        return flat
