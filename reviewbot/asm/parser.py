"""Parse arm64 assembly (GNU as, as the kernel writes it) into :mod:`reviewbot.asm.ast`.

* :func:`parse` reads a whole file or a fragment (the new side of a hunk);
* :func:`parse_quoted` reads text quoted in mail or a diff (``> +\\tmov ...``);
* :func:`parse_pattern` reads one instruction of a rule pattern, with
  metavariables.

The grammar is ``grammars/arm64.lark`` (Lark, LALR, contextual lexer).  A line
scanner (:mod:`reviewbot.asm.scanner`) handles comments, preprocessor lines,
backslash continuations, ``;``, labels and directives; an instruction's
operands are read one by one, by a hand-written reader of the common forms
(:mod:`reviewbot.asm.operands`) or else by the grammar, and classified by
:mod:`reviewbot.asm.builder` (the grammar's transformer), which builds the AST.
The reader gives exactly the grammar's parts for what it reads and leaves the
rest to the grammar; a statement whose operands do not all read goes through
the grammar whole.  Each distinct statement text (at a given column) and each
distinct operand text is parsed once per process.  A statement that is not an
instruction but a gas macro invocation in gas's looser syntax
(``entry hyp=1``) is read as one when its mnemonic is no A64 instruction
(:mod:`reviewbot.asm.mnemonics`).

Lark is imported, and the grammar loaded, on first use only -- the first
operand or statement the hand-written reader does not read, or the first rule
pattern; a typical kernel hunk needs neither.  The compiled parser is cached
under ``$XDG_CACHE_HOME/reviewbot/`` (or ``~/.cache/reviewbot/``), and parsing
works without the cache when that directory cannot be written.
"""

from __future__ import annotations

import os
import re
import threading
from typing import TYPE_CHECKING

from reviewbot.asm.ast import MAX_STATEMENT, TOO_DEEP, TOO_LONG, Expression, Instruction, Statement, Unparsed
from reviewbot.asm.builder import AstBuilder, Invalid
from reviewbot.asm.operands import macro_tokens, read_operand, refused
from reviewbot.asm.scanner import WORD_PATTERN, Scanner, operand_spans
from reviewbot.errors import AsmSyntaxError
from reviewbot.records import replace

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["parse", "parse_quoted", "parse_pattern", "unquote", "cache_file", "clear_caches"]

_parser = None
_builder = AstBuilder()
_MEMO: dict[tuple[str, int], tuple] = {}
_MEMO_LIMIT = 50_000  # entries per memo; a full memo is simply emptied
_LOCK = threading.RLock()  # one grammar parse at a time: the builder holds state
_MNEMONIC = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*(?![A-Za-z0-9_.$\\])")
_MNEMONIC_HEAD = re.compile(rf"({WORD_PATTERN})(?:[ \t]+|$)")
_KEYWORD_ARG = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_ASSIGN_LHS = re.compile(r"[A-Za-z_.$][A-Za-z0-9_.$]*[ \t]*=(?!=)")  # the grammar's ASSIGN_LHS

#: Parse an instruction's operands one by one through the grammar's ``arg``
#: rule (start ``macro_argument``), each distinct operand text once per
#: process, instead of the whole statement: the same result (an instruction
#: is a mnemonic and comma-separated ``arg``s), several times faster.  Any
#: doubt (an operand that does not parse, an empty one) falls back to the
#: whole statement.  Tests turn it off to check both ways agree.
FAST_OPERANDS = True
_OPERANDS: dict[str, object] = {}

#: Read an operand with the hand-written reader (:mod:`reviewbot.asm.operands`)
#: before asking the grammar: it gives the same parts for the forms it knows
#: and None for the rest, so a typical hunk needs no Lark at all (Lark is
#: imported, and the grammar loaded, on the first operand or statement it
#: does not read).  Tests turn it off to check both ways agree.
FAST_READER = True


# --- public API ------------------------------------------------------------


def parse(text: str, *, source: str = "<string>", first_line: int = 1) -> tuple[Statement, ...]:
    """Parse assembly ``text`` (a file or a fragment) into statements.

    Never raises on bad input: a statement the grammar does not accept becomes
    :class:`~reviewbot.asm.ast.Unparsed` and parsing goes on.  Lines count
    from ``first_line``; columns are 1-based.  ``source`` names the input (kept
    for symmetry with the other parsers; errors carry no exception here).
    """
    return tuple(_SCANNER.scan(text, first_line))


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
    parser = _get_parser()
    builder = _builder
    with _LOCK:
        builder.text = stripped
        builder.col0 = col0
        builder.line = 1
        builder.pattern = True
        try:
            nodes = parser.parse(stripped, start="start")
        except Exception as exc:
            if not _refused(exc):
                raise
            pos, message = _describe(exc, stripped)
            pointer = " " * (col0 + pos) + "^"
            raise AsmSyntaxError("<pattern>", 1, col0 + pos + 1, message,
                                 f"{text}\n{pointer}") from None
        finally:
            builder.pattern = False
    if len(nodes) != 1 or type(nodes[0]) is not Instruction:
        raise AsmSyntaxError("<pattern>", 1, col0 + 1,
                             "a pattern must be one instruction (no label, directive or macro call)",
                             text)
    return nodes[0]


def cache_file(grammar: str | None = None) -> Path | None:
    """Where the compiled grammar is cached, or None when no cache directory
    can be created."""
    from hashlib import sha256
    from pathlib import Path

    if grammar is None:
        grammar = _grammar_text()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = Path(base) / "reviewbot"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    digest = sha256(grammar.encode()).hexdigest()[:16]
    return directory / f"arm64-{digest}.lark-cache"


def clear_caches() -> None:
    """Forget the memoised statements and operands (for benchmarks and tests)."""
    _MEMO.clear()
    _OPERANDS.clear()


# --- the grammar -----------------------------------------------------------


def _get_parser():
    global _parser
    if _parser is None:
        from lark import Lark

        grammar = _grammar_text()
        cache = cache_file(grammar)
        if cache is not None and not os.access(cache.parent, os.W_OK) and not cache.exists():
            cache = None
        fresh = cache is not None and not cache.exists()
        # Positions come from the tokens (the transformer builds no tree), so
        # propagate_positions stays off.
        _parser = Lark(grammar, parser="lalr", lexer="contextual", transformer=_builder,
                       start=["start", "macro_call", "macro_argument"],
                       propagate_positions=False, maybe_placeholders=False,
                       cache=str(cache) if cache is not None else False)
        if fresh and cache.exists():
            _remove_stale_caches(cache)
    return _parser


def _grammar_text() -> str:
    from reviewbot.resources import grammar_path

    return grammar_path().read_text(encoding="utf-8")


def _remove_stale_caches(keep: Path) -> None:
    """Delete the caches of other grammar versions next to ``keep``."""
    for old in keep.parent.glob("arm64-*.lark-cache"):
        if old != keep:
            try:
                old.unlink()
            except OSError:
                pass


def _refused(exc: Exception) -> bool:
    """True when ``exc`` is the grammar or the builder refusing the text
    (Lark's UnexpectedInput, :class:`Invalid`); anything else is a bug."""
    if isinstance(exc, Invalid):
        return True
    from lark.exceptions import UnexpectedInput

    return isinstance(exc, UnexpectedInput)


_READABLE = {
    "COMMA": "','", "RSQB": "']'", "LSQB": "'['", "RBRACE": "'}'", "LBRACE": "'{'",
    "RPAR": "')'", "LPAR": "'('", "HASH": "'#'", "EQUAL": "'='", "BANG": "'!'",
    "$END": "end of statement", "BINOP": "an operator", "WORD": "a name",
    "NUMBER": "a number", "VL": "'vl'", "COLON": "':'", "MINUS": "'-'",
}
_SNIPPET = re.compile(r"[^\s,\[\]{}()]+|\S")


def _describe(exc: Exception, text: str) -> tuple[int, str]:
    """(0-based position, message) for a Lark error or :class:`Invalid`."""
    if isinstance(exc, Invalid):
        return exc.pos, str(exc)
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        pos = exc.token.start_pos
    elif isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
    else:
        pos = len(text)
    m = _SNIPPET.match(text, pos)
    message = f"unexpected {m.group()!r}" if m else "unexpected end of statement"
    expected = getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ()
    names = sorted({_READABLE[name] for name in expected if name in _READABLE})
    if names and len(names) <= 4:
        message += "; expected " + " or ".join(names)
    return pos, message


# --- one statement ---------------------------------------------------------


def _parse_body(text: str, line: int, col0: int) -> list:
    """Parse one statement through the grammar (memoised on text and column)."""
    key = (text, col0)
    hit = _MEMO.get(key)
    if hit is None:
        with _LOCK:
            hit = _parse_new(text, col0)
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        _MEMO[key] = hit
    out = []
    for node in hit:
        if type(node) is Instruction:
            out.append(Instruction(node.mnemonic, node.operands, line, node.column, node.text))
        elif type(node) is Unparsed:
            out.append(Unparsed(node.text, line, node.column, node.error))
        else:
            out.append(replace(node, line=line))
    return out


def _parse_new(text: str, col0: int) -> tuple:
    """The statements of ``text`` (line 0): an instruction read operand by
    operand, else the grammar's ``start`` rule, else a macro invocation, else
    :class:`Unparsed`.  The grammar is loaded only when it is needed."""
    if len(text) > MAX_STATEMENT:
        return (Unparsed(text, 0, col0 + 1, TOO_LONG),)
    parser = _parser
    if FAST_OPERANDS:
        hit = _guarded(_parse_by_operands, parser, text, col0)
        if hit is _NEED_GRAMMAR:
            parser = _get_parser()  # outside the guard: a grammar that cannot load raises
            hit = _guarded(_parse_by_operands, parser, text, col0)
        if hit is _NO_INSTRUCTION:
            hit = _guarded(_fast_macro_call, parser, text, col0)
        if hit is not None:
            return hit
    if parser is None:
        parser = _get_parser()
    return _guarded(_parse_whole, parser, text, col0)


def _guarded(function, parser, text: str, col0: int):
    """``function(parser, text, col0)``; an internal error becomes :class:`Unparsed`."""
    try:
        return function(parser, text, col0)
    except RecursionError:  # not a bug but input beyond what is checked: the engine reports it
        return (Unparsed(text, 0, col0 + 1, TOO_DEEP),)
    except Exception as exc:  # noqa: BLE001 - a bug here must not stop a review
        import logging

        logging.getLogger(__name__).debug("internal error parsing %r", text, exc_info=True)
        return (Unparsed(text, 0, col0 + 1, f"internal error: {type(exc).__name__}: {exc}"),)


def _parse_whole(parser, text: str, col0: int) -> tuple:
    """``text`` through the grammar's ``start`` rule, else as a macro invocation."""
    builder = _builder
    builder.text = text
    builder.col0 = col0
    builder.line = 0
    try:
        return tuple(parser.parse(text, start="start"))
    except Exception as exc:  # lark's UnexpectedInput or Invalid
        if not _refused(exc):
            raise
        hit = _macro_call(text, col0)
        if hit is None:
            pos, message = _describe(exc, text)
            hit = (Unparsed(text, 0, col0 + 1, f"column {col0 + pos + 1}: {message}"),)
        return hit


_NEED_GRAMMAR = object()
_NO_INSTRUCTION = object()


def _parse_by_operands(parser, text: str, col0: int):
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
        part = _OPERANDS.get(piece)
        if part is None:
            if FAST_READER:
                part = read_operand(piece)
                if part is None and refused(piece):
                    return _NO_INSTRUCTION
            if part is None:
                if parser is None:
                    return _NEED_GRAMMAR
                part = _lark_operand(parser, piece)
            if len(_OPERANDS) >= _MEMO_LIMIT:
                _OPERANDS.clear()
            _OPERANDS[piece] = part
        if part is False:
            return None
        parts.append((part, piece, col0 + start))
    return _instruction(word, parts, text, col0)


def _lark_operand(parser, piece: str):
    """The grammar's ``macro_argument`` part for ``piece``, or False."""
    builder = _builder
    builder.text = piece
    builder.col0 = 0
    try:
        return parser.parse(piece, start="macro_argument")
    except Exception as exc:
        if not _refused(exc):
            raise
        return False


def _instruction(word: str, parts: list, text: str, col0: int) -> tuple | None:
    mnemonic = word if "\\" in word else word.lower()
    try:
        operands = _builder.classify(mnemonic, parts, (text, col0))
    except Invalid:
        return None
    return (Instruction(mnemonic, operands, 0, col0 + 1, text),)


def _fast_macro_call(parser, text: str, col0: int) -> tuple | None:
    """What :func:`_macro_call` gives for ``text``, read without the grammar;
    None when it needs it.  Only for a statement the grammar's ``start`` rule
    surely refuses (an operand of it is :func:`~reviewbot.asm.operands.refused`)."""
    from reviewbot.asm.mnemonics import is_instruction

    m = _MNEMONIC.match(text)
    if m is None or is_instruction(m.group().lower()):
        return None  # Unparsed, with the grammar's message
    if _ASSIGN_LHS.match(text):
        return None  # ``x = ...`` (the scanner reads it first): the grammar's
    tokens = macro_tokens(text)
    if tokens is None:
        return None
    name, name_start = tokens[0]

    def read(tok: str):
        part = read_operand(tok)
        if part is None and not refused(tok):
            raise _NeedGrammar(tok)
        return part

    try:
        return _macro_instruction(name, name_start, tokens[1:], text, col0, read)
    except _NeedGrammar:
        return None


def fast_read(text: str, col0: int = 0) -> tuple | None:
    """One statement (no label, comment or ``;``; stripped; at 0-based column
    ``col0``) read without the grammar -- an instruction whose operands the
    hand-written reader all reads, or a gas macro invocation the grammar's
    ``start`` rule surely refuses -- as :func:`parse` would give it at line 0;
    None when that needs the grammar.  No memo: for tests and benchmarks that
    compare it with the grammar."""
    m = _MNEMONIC_HEAD.match(text)
    if m is None or text[0] in ".$":
        return None
    spans = operand_spans(text, m.end()) if m.end() < len(text) else []
    if spans is None:
        return None
    parts = []
    with _LOCK:
        for start, piece in spans:
            part = read_operand(piece)
            if part is None:
                return _fast_macro_call(None, text, col0) if refused(piece) else None
            parts.append((part, piece, col0 + start))
        return _instruction(m.group(1), parts, text, col0)


def _macro_call(text: str, col0: int) -> tuple | None:
    """``text`` read as a gas macro invocation (see ``macro_call`` in the
    grammar), or None when its mnemonic is an instruction or it does not read."""
    from reviewbot.asm.mnemonics import is_instruction

    m = _MNEMONIC.match(text)
    if m is None or is_instruction(m.group().lower()):
        return None
    parser = _get_parser()
    builder = _builder
    builder.text = text
    builder.col0 = col0
    try:
        tokens = parser.parse(text, start="macro_call")
    except Exception as exc:
        if not _refused(exc):
            raise
        return None
    def read(tok: str):
        try:
            return parser.parse(tok, start="macro_argument")
        except Exception as exc:
            if not _refused(exc):
                raise
            return None

    name = tokens[0]
    rest = [(str(tok), tok.start_pos) for tok in tokens[1:]]
    return _macro_instruction(str(name), name.start_pos, rest, text, col0, read)


class _NeedGrammar(Exception):
    """The hand-written reader cannot tell what this macro argument is."""


def _macro_instruction(name: str, name_start: int, tokens: list, text: str, col0: int, read) -> tuple:
    """The Instruction of a gas macro invocation from its argument tokens
    (``(text, 0-based start)``; ``,`` separates, an empty argument is an
    empty Expression); ``read(token)`` gives the grammar part of one
    argument, or None to keep it as text.  Shared by the grammar and the
    hand-written reader, so both build the same node."""
    builder = _builder
    mnemonic = name if "\\" in name else name.lower()
    operands: list = []
    previous_comma = True
    for tok, start in tokens:
        col = col0 + start + 1
        if tok == ",":
            if previous_comma and operands:
                operands.append(Expression("", col))
            previous_comma = True
            continue
        previous_comma = False
        if _KEYWORD_ARG.match(tok):
            operands.append(Expression(tok, col))
            continue
        builder.text = tok
        builder.col0 = col - 1
        part = read(tok)
        if part is None:
            operands.append(Expression(tok, col))
            continue
        try:
            operands.append(builder.operand(part, mnemonic, len(operands)))
        except Invalid:
            operands.append(Expression(tok, col))
    return (Instruction(mnemonic, tuple(operands), 0, col0 + name_start + 1, text),)


_SCANNER = Scanner(_parse_body)
