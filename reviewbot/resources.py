"""Where the packaged data lives: the grammar, the rule pack, the default config.

In a wheel they are under ``reviewbot/_data/``; in a checkout (or an editable
install) they are at the top of the repository.  This is the only place that
knows both.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    """Path of ``rules``, ``grammars`` or ``config.yaml`` (or anything below them)."""
    packaged = _PACKAGE / "_data" / name
    if packaged.exists():
        return packaged
    return _PACKAGE.parent / name


def grammar_path(name: str = "arm64.lark") -> Path:
    """Path of a grammar file under ``grammars/``."""
    return data_path("grammars") / name
