"""The Lark grammar, ``grammars/arm64.lark``: loaded on first use only, its
compiled parser cached under ``$XDG_CACHE_HOME/reviewbot/`` (or
``~/.cache/reviewbot/``; parsing works without the cache when that directory
cannot be written), and its refusals told apart from bugs and described.
The only module of reviewbot that imports lark."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from reviewbot.asm.parts import Callbacks, Invalid

if TYPE_CHECKING:
    from pathlib import Path

# The Lark parser, once loaded.  Typed Any: with Callbacks as its transformer
# its parse() returns Parts, Pending statements and token lists, not the
# Tree that lark's annotations promise.
_parser: Any = None


def loaded_parser() -> Any:
    """The Lark parser if it is loaded already, else None (nothing is loaded)."""
    return _parser


def get_parser() -> Any:
    """The Lark parser (``lark.Lark``, LALR, with :class:`Callbacks` as its
    transformer), loaded and cached on first use."""
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
        _parser = Lark(grammar, parser="lalr", lexer="contextual", transformer=Callbacks(),
                       start=["start", "macro_call", "macro_argument"],
                       propagate_positions=False, maybe_placeholders=False,
                       cache=str(cache) if cache is not None else False)
        if cache is not None and fresh and cache.exists():
            _remove_stale_caches(cache)
    return _parser


def cache_file(grammar: str | None = None) -> Path | None:
    """Where the compiled grammar is cached, or None when no cache directory
    can be created (or ``REVIEWBOT_NO_CACHE`` says not to)."""
    from hashlib import sha256

    from reviewbot.resources import cache_root, caching

    if not caching():
        return None
    if grammar is None:
        grammar = _grammar_text()
    directory = cache_root()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    digest = sha256(grammar.encode()).hexdigest()[:16]
    return directory / f"arm64-{digest}.lark-cache"



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


def is_refusal(exc: Exception) -> bool:
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


def describe(exc: Exception, text: str) -> tuple[int, str]:
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
