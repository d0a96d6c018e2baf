"""The tree's files as tree-aware review reads them, kept across runs.

Tree-aware review outlines the pre-image of every changed file and reads
the functions near each change.  The tree's files change rarely, and a
series is checked again and again (the ``sendemail-validate`` hook on every
send, b4's checks, a rerun after a fix): each time the same texts were
outlined and the same statements parsed.  This keeps, for each text the
tree gave, its outline, where its structure is (asm/marks.py) and what
reading its statements gave, pickled, one file per text named by a hash
of it, under
``$XDG_CACHE_HOME/reviewbot/files/<code>/``, where ``<code>`` stamps the
reviewbot code that made them (a new version never reads an old version's
nodes; older directories are removed).

Only texts the tree gave are kept, never a series' post-images.  A cache
that cannot be read or written is ignored: it only ever saves time.
``REVIEWBOT_NO_CACHE`` turns it off.
"""

from __future__ import annotations

import logging
import os
import pickle
from hashlib import blake2b
from pathlib import Path

from reviewbot.asm.marks import keep as keep_marks, marks
from reviewbot.asm.parser import remember_reads, statement_reads
from reviewbot.resources import cache_root, caching, code_stamp

log = logging.getLogger(__name__)

#: Texts kept per code version (some 12 KB each); beyond it the older half goes.
LIMIT = 4096


class FileCache:
    """Outlines and reads of the tree's texts in ``directory`` (None: keep nothing)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._tree_texts: set[str] = set()
        # text -> (outline, reads as loaded); reads None: not in the cache yet
        self._used: dict[str, tuple[tuple, dict | None]] = {}

    @classmethod
    def default(cls) -> FileCache:
        """The cache under the user's cache directory (off with ``REVIEWBOT_NO_CACHE``)."""
        if not caching():
            return cls(None)
        return cls(cache_root() / "files" / code_stamp())

    def from_tree(self, text: str) -> None:
        """``text`` is a file of the tree."""
        if self.directory is not None:
            self._tree_texts.add(text)

    def covers(self, text: str) -> bool:
        """Whether ``text`` is a file of the tree (what this cache keeps)."""
        return text in self._tree_texts

    def outline(self, text: str) -> tuple | None:
        """The outline kept for ``text``, or None; what reading its
        statements gave goes back into the parser's memo."""
        if (used := self._used.get(text)) is not None:
            return used[0]
        path = self._path(text)
        try:
            with path.open("rb") as handle:
                shape, reads, found = pickle.load(handle)  # noqa: S301 - written by this code, in the user's cache
        except FileNotFoundError:
            return None
        except Exception as exc:  # noqa: BLE001 - a broken entry only costs time
            log.debug("ignoring cached outline %s: %s", path, exc)
            return None
        remember_reads(reads)
        keep_marks(shape, found)
        self._used[text] = (shape, reads)
        return shape

    def keep(self, text: str, shape: tuple) -> None:
        """Keep the outline just made of ``text`` (written by :meth:`flush`)."""
        if self.directory is not None and text not in self._used:
            self._used[text] = (shape, None)

    def flush(self) -> None:
        """Write the texts of this run whose outline, or what reading it
        gave, is not in the cache yet."""
        if self.directory is None or not self._used:
            return
        fresh = not self.directory.is_dir()
        if fresh and not self._make_directory():
            return
        wrote = False
        for text, (shape, kept) in self._used.items():
            reads = statement_reads(shape)
            if kept is not None and reads.keys() <= kept.keys():
                continue
            if kept is not None:
                reads = {**kept, **reads}
            wrote = self._write(self._path(text), (shape, reads, marks(shape))) or wrote
            self._used[text] = (shape, reads)
        if fresh or (wrote and _count(self.directory) > LIMIT):
            self._prune()

    def _path(self, text: str) -> Path:
        assert self.directory is not None
        name = blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        return self.directory / f"{name}.pickle"

    def _make_directory(self) -> bool:
        assert self.directory is not None
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            return True
        except OSError as exc:
            log.debug("cannot keep outlines in %s: %s", self.directory, exc)
            return False

    def _write(self, path: Path, entry: tuple) -> bool:
        try:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as handle:
                pickle.dump(entry, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
            return True
        except Exception as exc:  # noqa: BLE001 - an unwritable cache only costs time
            log.debug("cannot keep outline %s: %s", path, exc)
            return False

    def _prune(self) -> None:
        """Remove other code versions' directories, and the older half of
        this one's texts beyond :data:`LIMIT`."""
        import shutil

        assert self.directory is not None
        try:
            for other in self.directory.parent.iterdir():
                if other != self.directory and other.is_dir():
                    shutil.rmtree(other, ignore_errors=True)
            entries = list(self.directory.iterdir())
            if len(entries) > LIMIT:
                entries.sort(key=lambda p: p.stat().st_mtime)
                for old in entries[: len(entries) - LIMIT // 2]:
                    old.unlink(missing_ok=True)
        except OSError as exc:
            log.debug("cannot prune %s: %s", self.directory, exc)


def _count(directory: Path) -> int:
    try:
        return sum(1 for _ in os.scandir(directory))
    except OSError:
        return 0
