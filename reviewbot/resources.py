"""Where the packaged data lives: the grammar, the rule pack, the default config.

In a wheel they are under ``reviewbot/_data/``; in a checkout (or an editable
install) they are at the top of the repository.  This is the only place that
knows both.
"""

from __future__ import annotations

import os
from functools import lru_cache
from hashlib import sha256
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


def caching() -> bool:
    """Whether results may be kept across runs (``REVIEWBOT_NO_CACHE`` unset):
    compiled rules and grammar, the tree's files."""
    return not os.environ.get("REVIEWBOT_NO_CACHE")


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/reviewbot`` (``~/.cache/reviewbot`` without it)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "reviewbot"


@lru_cache(maxsize=1)
def code_stamp() -> str:
    """A name for this reviewbot code: its version, and the size and time of
    every source and data file of the package and of the grammar (what a
    cache of its results must not outlive)."""
    from reviewbot import __version__

    digest = sha256(__version__.encode())
    for path in [*sorted(_PACKAGE.rglob("*.py")), *sorted(_PACKAGE.rglob("*.json")), grammar_path()]:
        try:
            st = path.stat()
        except OSError:
            continue
        name = path.relative_to(_PACKAGE) if path.is_relative_to(_PACKAGE) else path.name
        digest.update(f"{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]
