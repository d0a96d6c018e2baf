"""A cache of compiled rules, so a check does not parse YAML, compile
regexes and assemble patterns on every start.

The key covers everything a compiled rule depends on: the reviewbot
version, the grammar, the modules that define compiled matchers, and each
rule file's path, size and modification time.  A cache that cannot be read
or written is ignored: it only ever saves time.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hashlib import sha256
import logging
from reviewbot.resources import cache_root, caching, code_stamp

log = logging.getLogger(__name__)


def _stamp(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return f"{path}:missing"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def cache_path(files: list[Path]) -> Path | None:
    """Where the compiled form of these rule files is cached."""
    if not caching():
        return None
    # Every source file of the package (code_stamp): a compiled rule holds
    # classes from many of them, and a hand-kept list goes stale.
    parts = [code_stamp(), *(_stamp(f) for f in files)]
    digest = sha256("\n".join(parts).encode()).hexdigest()[:20]
    return cache_root() / f"rules-{digest}.pickle"


def cached(files: list[Path], build: Callable[[], list[Any]]) -> list[Any]:
    """The compiled rules of ``files``: from the cache when it is current,
    else built (errors propagate, nothing is cached) and stored."""
    path = cache_path(files)
    if path is not None and path.is_file():
        try:
            with path.open("rb") as handle:
                return pickle.load(handle)  # noqa: S301 - our own cache file
        except Exception as exc:  # noqa: BLE001 - a broken cache only costs time
            log.debug("ignoring rule cache %s: %s", path, exc)
    rules = build()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as handle:
                pickle.dump(rules, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except Exception as exc:  # noqa: BLE001
            log.debug("cannot write rule cache %s: %s", path, exc)
    return rules
