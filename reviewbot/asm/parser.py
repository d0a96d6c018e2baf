"""Parse arm64 assembly (GNU as, as the kernel writes it) into :mod:`reviewbot.asm.ast`.

* :func:`parse` reads a whole file or a fragment (the new side of a hunk);
* :func:`parse_quoted` reads text quoted in mail or a diff (``> +\\tmov ...``);
* :func:`parse_pattern` reads one instruction of a rule pattern, with
  metavariables.

The grammar is ``grammars/arm64.lark`` (Lark, LALR, contextual lexer;
:mod:`reviewbot.asm.grammar`).  A line scanner (:mod:`reviewbot.asm.scanner`)
handles comments, preprocessor lines, backslash continuations, ``;``, labels
and directives; an instruction's operands are read one by one, by a
hand-written reader of the common forms (:mod:`reviewbot.asm.operands`) or
else by the grammar, and classified by :mod:`reviewbot.asm.builder`, which
builds the AST.  The reader gives exactly the grammar's parts for what it reads and leaves the
rest to the grammar; a statement whose operands do not all read goes through
the grammar whole.  Each distinct statement text (at a given column) and each
distinct operand text is parsed once per process.  A statement that is not an
instruction but a gas macro invocation in gas's looser syntax
(``entry hyp=1``) is read as one when its mnemonic is no A64 instruction
(:mod:`reviewbot.asm.mnemonics`, :mod:`reviewbot.asm.macro_calls`).

Lark is imported, and the grammar loaded, on first use only -- the first
operand or statement the hand-written reader does not read, or the first rule
pattern; a typical kernel hunk needs neither.  The compiled parser is cached
under ``$XDG_CACHE_HOME/reviewbot/`` (or ``~/.cache/reviewbot/``), and parsing
works without the cache when that directory cannot be written.
"""

from __future__ import annotations

import re

from reviewbot.asm.ast import MAX_STATEMENT, TOO_DEEP, TOO_LONG, Comment, Instruction, Statement, Unparsed, Unread
from reviewbot.asm.builder import AstBuilder
from reviewbot.asm.grammar import cache_file, describe, get_parser, is_refusal, loaded_parser
from reviewbot.asm.macro_calls import fast_macro_call, macro_call, refused
from reviewbot.asm.marks import MARKED, keep, marks
from reviewbot.asm.operands import read_operand
from reviewbot.asm.parts import Invalid
from reviewbot.asm.scanner import WORD_PATTERN, Scanner
from reviewbot.asm.splitting import operand_spans
from reviewbot.errors import AsmSyntaxError
from reviewbot.records import replace

__all__ = ["parse", "outline", "read_unread", "parse_quoted", "parse_pattern", "read_statement", "unquote", "cache_file",
           "clear_caches", "statement_reads", "remember_reads"]

_MEMO: dict[tuple[str, int], tuple[Statement, ...]] = {}
_MEMO_LIMIT = 50_000  # entries per memo; a full memo is simply emptied
_MNEMONIC_HEAD = re.compile(rf"({WORD_PATTERN})(?:[ \t]+|$)")

_OPERANDS: dict[str, object] = {}  # operand text -> its Part (or False), once per process

#: The ways :func:`read_statement` can read a statement.  The parser always
#: takes ``auto``; the others exist so tests and benchmarks can check that
#: every way gives the same nodes.
VIA = ("auto", "reader", "operands", "grammar")


# --- public API ------------------------------------------------------------


def parse(text: str, *, source: str = "<string>", first_line: int = 1,
          via: str = "auto") -> tuple[Statement, ...]:
    """Parse assembly ``text`` (a file or a fragment) into statements.

    Never raises on bad input: a statement the grammar does not accept becomes
    :class:`~reviewbot.asm.ast.Unparsed` and parsing goes on.  Lines count
    from ``first_line``; columns are 1-based.  ``source`` names the input (kept
    for symmetry with the other parsers; errors carry no exception here).
    ``via`` is how each statement is read (see :func:`read_statement`;
    not ``reader``, which reads only some statements); only ``auto`` is
    memoised.
    """
    if via == "auto":
        return tuple(_SCANNER.scan(text, first_line))
    if via not in VIA or via == "reader":
        raise ValueError(f"via: {via!r} (valid: auto, operands, grammar)")
    return tuple(Scanner(lambda body, line, col0: _at_line(_read(body, col0, via), line))
                 .scan(text, first_line))


def outline(text: str, *, first_line: int = 1) -> tuple[Statement, ...]:
    """``parse(text)`` with every statement that would go to the operand
    readers (instructions, gas macro invocations) left :class:`Unread`:
    labels, directives, ``.macro`` lines, preprocessor lines, C macro calls
    and comments are there as :func:`parse` gives them.  Scanning is cheap;
    reading operands is most of a parse, so a whole file is outlined and
    only the parts a review needs are read (:func:`read_unread`)."""
    return tuple(OUTLINER.scan(text, first_line))


def read_unread(statements: tuple[Statement, ...], spans: list[tuple[int, int]]) -> tuple[Statement, ...]:
    """``statements`` (of :func:`outline`) with the :class:`Unread` ones of
    the index ``spans`` (``[start, end)``) read as :func:`parse` reads them:
    an outline read whole is ``parse`` of the same text."""
    out: list[Statement] = []
    done = 0
    same = True  # one statement read for each, none of the structure (asm/marks.py)
    memo = _MEMO
    for start, end in sorted(spans):
        start = max(start, done)
        out.extend(statements[done:start])
        for stmt in statements[start:end]:
            if type(stmt) is not Unread:
                out.append(stmt)
            elif (hit := memo.get((stmt.text, stmt.column - 1))) and len(hit) == 1 and type(hit[0]) is Instruction:
                node = hit[0]  # the usual: one instruction read before, moved to its line here
                out.append(Instruction(node.mnemonic, node.operands, stmt.line, node.column, node.text))
            else:
                read = _parse_body(stmt.text, stmt.line, stmt.column - 1)
                same = same and len(read) == 1 and type(read[0]) not in _MAY_MARK
                out.extend(read)
        done = max(done, end)
    out.extend(statements[done:])
    made = tuple(out)
    if same:  # the same indices: the same marks
        keep(made, marks(statements))
    return made


#: What a read may not give for its marks to be its outline's (a comment over
#: one line is not marked, but a read never gives a comment: be sure).
_MAY_MARK = MARKED | {Comment}


def parse_quoted(text: str, *, source: str = "<string>", first_line: int = 1) -> tuple[Statement, ...]:
    """Like :func:`parse`, for assembly quoted in mail or in a diff.

    Every line loses its quote markers (``> ``, ``>> ``, ``> > ``) and then
    its diff marker (``+``, ``-``; a context line's `` `` is a blank anyway);
    diff and hunk headers are skipped.  Markers are replaced by blanks, so
    line numbers *and* columns still match the input.
    """
    return parse(unquote(text), source=source, first_line=first_line)


_QUOTE = re.compile(r"(?:>[ \t]?)+")
_DIFF_HEADER = re.compile(r"(?:@@ |diff --git |index [0-9a-f]+\.\.|--- |\+\+\+ |\\ No newline)")


def unquote(text: str) -> str:
    """``text`` with quote markers (``> ``, ``>> ``, ``> > ``) and diff
    markers (a ``+`` or ``-`` first on the line, after any quote markers)
    replaced by blanks, so that lines and columns still match the input;
    diff and hunk headers become blank lines."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = _QUOTE.match(line)
        off = m.end() if m else 0
        if _DIFF_HEADER.match(line, off):
            lines[i] = ""
        elif line[off:off + 1] in ("+", "-") and off < len(line):
            lines[i] = " " * (off + 1) + line[off + 1:]
        elif off:
            lines[i] = " " * off + line[off:]
    return "\n".join(lines)


def parse_pattern(text: str) -> Instruction:
    """Parse one instruction of a rule pattern.

    Operands may be metavariables: ``$R`` (``MetaVar("R")``), ``$_``, and
    ``$...ARGS`` (``MetaVar("ARGS", ellipsis=True)``, zero or more operands);
    ``...`` is :class:`~reviewbot.asm.ast.Ellipsis`; the mnemonic may be
    ``$OP`` (``Instruction.mnemonic == "$OP"``).  Inside an operand a
    metavariable stays text: ``=$SYM`` is ``Literal(text="=$SYM",
    symbol="$SYM")`` and ``#$N`` is ``Immediate(text="#$N", value=None)``.
    In a memory operand the base may be a metavariable
    (``[$R, ...]`` -> ``Memory(base=MetaVar("R"), offset=Ellipsis())``); a
    metavariable after the base is stored as ``offset`` and stands for an
    offset or an index register.

    Raises :class:`~reviewbot.errors.AsmSyntaxError` when ``text`` is not one
    instruction.
    """
    stripped = text.strip()
    col0 = len(text) - len(text.lstrip())
    if not stripped:
        raise AsmSyntaxError("<pattern>", 1, 1, "empty pattern", text)
    if "\n" in stripped:
        raise AsmSyntaxError("<pattern>", 1, 1, "a pattern is one line", text)
    try:
        nodes = _grammar_statements(get_parser(), stripped, col0, line=1, pattern=True)
    except Exception as exc:
        if not is_refusal(exc):
            raise
        pos, message = describe(exc, stripped)
        pointer = " " * (col0 + pos) + "^"
        raise AsmSyntaxError("<pattern>", 1, col0 + pos + 1, message,
                             f"{text}\n{pointer}") from None
    if len(nodes) != 1 or type(nodes[0]) is not Instruction:
        raise AsmSyntaxError("<pattern>", 1, col0 + 1,
                             "a pattern must be one instruction (no label, directive or macro call)",
                             text)
    return nodes[0]


def statement_reads(statements: tuple[Statement, ...]) -> dict[tuple[str, int], tuple[Statement, ...]]:
    """What reading the :class:`Unread` ones of ``statements`` has given
    so far in this process (for :func:`remember_reads` in another)."""
    memo = _MEMO
    found = {}
    for stmt in statements:
        if type(stmt) is Unread and (hit := memo.get(key := (stmt.text, stmt.column - 1))) is not None:
            found[key] = hit
    return found


def remember_reads(reads: dict[tuple[str, int], tuple[Statement, ...]]) -> None:
    """Take ``reads`` (of :func:`statement_reads`, made by this same code)
    as if this process had read those statements."""
    if len(_MEMO) + len(reads) >= _MEMO_LIMIT:
        _MEMO.clear()
    _MEMO.update(reads)


def clear_caches() -> None:
    """Forget the memoised statements and operands (for benchmarks and tests)."""
    _MEMO.clear()
    _OPERANDS.clear()


# --- one statement ---------------------------------------------------------


def _parse_body(text: str, line: int, col0: int) -> list[Statement]:
    """Parse one statement through the grammar (memoised on text and column)."""
    key = (text, col0)
    hit = _MEMO.get(key)
    if hit is None:
        hit = _read(text, col0, "auto")
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        _MEMO[key] = hit
    return _at_line(hit, line)


def _at_line(hit: tuple[Statement, ...], line: int) -> list[Statement]:
    """The nodes of a statement read at line 0, moved to ``line``."""
    out: list[Statement] = []
    for node in hit:
        if type(node) is Instruction:
            out.append(Instruction(node.mnemonic, node.operands, line, node.column, node.text))
        elif type(node) is Unparsed:
            out.append(Unparsed(node.text, line, node.column, node.error))
        else:
            out.append(replace(node, line=line))
    return out


def read_statement(text: str, col0: int = 0, *, via: str = "auto") -> tuple[Statement, ...] | None:
    """The statements of one statement's ``text`` (no label, comment or
    ``;``; stripped; at 0-based column ``col0``), at line 0, not memoised.

    ``via`` is how: ``auto`` (what :func:`parse` does) reads an instruction
    operand by operand, each operand by the hand-written reader or else the
    grammar, else the whole statement by the grammar's ``start`` rule, else
    as a macro invocation, else :class:`Unparsed`; the grammar is loaded
    only when needed.  ``reader`` is the hand-written reader alone (None
    when it needs the grammar); ``operands`` the grammar operand by operand,
    without the reader; ``grammar`` the ``start`` rule alone.
    """
    if via == "reader":
        return _read_without_grammar(text, col0)
    return _read(text, col0, via)


def _read(text: str, col0: int, via: str) -> tuple[Statement, ...]:
    """What :func:`read_statement` gives ``via`` anything but ``reader``."""
    if len(text) > MAX_STATEMENT:  # beyond what is checked: the engine reports it
        return (Unparsed(text, 0, col0 + 1, TOO_LONG),)
    if via == "grammar":
        return _guarded(_parse_whole, get_parser(), text, col0)
    reader = via == "auto"
    parser = loaded_parser() if reader else get_parser()
    hit = _guarded(_parse_by_operands, parser, text, col0, reader)
    if hit is _NEED_GRAMMAR:
        parser = get_parser()  # outside the guard: a grammar that cannot load raises
        hit = _guarded(_parse_by_operands, parser, text, col0, reader)
    if hit is _NO_INSTRUCTION:
        hit = _guarded(fast_macro_call, parser, text, col0)
    if hit is not None:
        return hit
    return _guarded(_parse_whole, parser or get_parser(), text, col0)


def _guarded(function, parser, text: str, col0: int, *args):
    """``function(parser, text, col0, *args)``; an internal error becomes :class:`Unparsed`."""
    try:
        return function(parser, text, col0, *args)
    except RecursionError:  # not a bug but input beyond what is checked: the engine reports it
        return (Unparsed(text, 0, col0 + 1, TOO_DEEP),)
    except Exception as exc:  # noqa: BLE001 - a bug here must not stop a review
        from reviewbot.errors import crash

        return (Unparsed(text, 0, col0 + 1, f"internal error: {crash(exc)}"),)


def _parse_whole(parser, text: str, col0: int) -> tuple:
    """``text`` through the grammar's ``start`` rule, else as a macro invocation."""
    try:
        return _grammar_statements(parser, text, col0)
    except Exception as exc:  # lark's UnexpectedInput or Invalid
        if not is_refusal(exc):
            raise
        hit = macro_call(text, col0)
        if hit is None:
            pos, message = describe(exc, text)
            hit = (Unparsed(text, 0, col0 + 1, f"column {col0 + pos + 1}: {message}"),)
        return hit


def _grammar_statements(parser, text: str, col0: int, *, line: int = 0, pattern: bool = False) -> tuple:
    """``text`` through the grammar's ``start`` rule, built into nodes."""
    return AstBuilder(text, col0, line, pattern).statements(parser.parse(text, start="start"))


_NEED_GRAMMAR = object()
_NO_INSTRUCTION = object()


def _parse_by_operands(parser, text: str, col0: int, reader: bool = True):
    """``text`` as an instruction read operand by operand, or None;
    ``_NO_INSTRUCTION`` when an operand is one the grammar surely refuses
    (``tmp=x4``; with the hand-written reader only); with ``parser`` None (the
    grammar not loaded yet), ``_NEED_GRAMMAR`` when an operand needs it."""
    m = _MNEMONIC_HEAD.match(text)
    if m is None or text[0] in ".$":
        return None
    word = m.group(1)
    spans = operand_spans(text, m.end()) if m.end() < len(text) else []
    if spans is None:
        return None
    parts = []
    for start, piece in spans:
        part = _OPERANDS.get(piece) if reader else None
        if part is None:
            if reader:
                part = read_operand(piece)
                if part is None and refused(piece):
                    return _NO_INSTRUCTION
            if part is None:
                if parser is None:
                    return _NEED_GRAMMAR
                part = _lark_operand(parser, piece)
            if reader:
                if len(_OPERANDS) >= _MEMO_LIMIT:
                    _OPERANDS.clear()
                _OPERANDS[piece] = part
        if part is False:
            return None
        parts.append((part, piece, col0 + start))
    return _instruction(word, parts, text, col0)


def _lark_operand(parser, piece: str):
    """The grammar's ``macro_argument`` part for ``piece``, or False."""
    try:
        return parser.parse(piece, start="macro_argument")
    except Exception as exc:
        if not is_refusal(exc):
            raise
        return False


def _instruction(word: str, parts: list, text: str, col0: int) -> tuple | None:
    mnemonic = word if "\\" in word else word.lower()
    try:
        operands = AstBuilder(text, col0).classify(mnemonic, parts, (text, col0))
    except Invalid:
        return None
    return (Instruction(mnemonic, operands, 0, col0 + 1, text),)


def _read_without_grammar(text: str, col0: int) -> tuple | None:
    """``text`` read by the hand-written reader alone -- an instruction whose
    operands it all reads, or a gas macro invocation the grammar's ``start``
    rule surely refuses -- or None when that needs the grammar."""
    m = _MNEMONIC_HEAD.match(text)
    if m is None or text[0] in ".$":
        return None
    spans = operand_spans(text, m.end()) if m.end() < len(text) else []
    if spans is None:
        return None
    parts = []
    for start, piece in spans:
        part = read_operand(piece)
        if part is None:
            return fast_macro_call(None, text, col0) if refused(piece) else None
        parts.append((part, piece, col0 + start))
    return _instruction(m.group(1), parts, text, col0)


_SCANNER = Scanner(_parse_body)
OUTLINER = Scanner(lambda body, line, col0: [Unread(body, line, col0 + 1)], Unread)
