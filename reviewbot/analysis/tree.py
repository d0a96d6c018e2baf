"""A kernel checkout as the engine's :class:`~reviewbot.engine.SourceTree`.

Tree-aware mode needs three things from the tree a patch is checked in:

- the full pre-image of each changed file: the blob named on the diff's
  ``index`` line, else the post-image an earlier patch of the same run
  produced, else the file in the work tree when the hunks apply to it.
  The blob is the work tree's file when that file's git id is the one
  named (most of a series is based on the checkout it is checked in), or
  the post-image of an earlier patch of the run whose id it is; the rest
  are read with one ``git cat-file --batch`` for the whole run;
- the kernel version, from the top-level ``Makefile``;
- which macros (defined by the patches) hyp code in the tree invokes, with
  one ``git grep`` over the configured hyp paths.

A tree without git (an unpacked tarball given with ``--tree``) still gives
work-tree files, the version and a slower macro search.  Nothing here ever
writes to the tree.  Git is run only when there is something to ask it.
"""

from __future__ import annotations

import os
import re
import stat
from hashlib import sha1
from collections.abc import Iterable
from pathlib import Path

from reviewbot.config import ContextConfig
from reviewbot.analysis.context import LANG_OTHER, language_of, path_matches
from reviewbot.analysis.file_cache import FileCache
from reviewbot.analysis.kernels import KernelVersion, version_from_makefile
from reviewbot.errors import DiffParseError
import logging
from reviewbot.model import FileChange

log = logging.getLogger(__name__)

_MACRO_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_USE = re.compile(r"^\s*(?:[A-Za-z0-9_.$]+:\s*)?([A-Za-z_][A-Za-z0-9_]*)")
_ZERO_BLOB = re.compile(r"^0+$")
_UNSET = object()
#: Environment variables that point git at a repository; dropped when the
#: tree was named explicitly, so a hook's ``GIT_DIR`` cannot redirect us.
GIT_LOCATION_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR",
                     "GIT_OBJECT_DIRECTORY", "GIT_PREFIX")


def is_kernel_tree(top: Path) -> bool:
    """Does ``top`` look like the top of a kernel source tree (a top-level
    ``Makefile`` and an ``arch/`` directory)?  No process is started."""
    return (top / "Makefile").is_file() and (top / "arch").is_dir()


class GitTree:
    """A kernel tree, read but never changed.  ``git_calls`` counts the git
    processes started (the whole run should need at most two)."""

    def __init__(self, top: Path, context: ContextConfig, *, use_git: bool = True,
                 isolate_env: bool = False) -> None:
        self.top = top
        self.context = context
        self.use_git = use_git
        self.git_calls = 0
        self._env = ({k: v for k, v in os.environ.items() if k not in GIT_LOCATION_VARS}
                     if isolate_env else None)
        self._blobs: dict[str, str | None] = {}
        self._made: set[str] = set()  # blobs an earlier patch of the run makes (old_file chains them)
        self._post: dict[str, tuple[FileChange, str]] = {}
        self._top_real: str | None = None
        self._dirs: dict[str, bool] = {}  # directory -> inside the tree, when really there
        self._version: object = _UNSET
        #: outlines of the tree's files, kept across runs (the engine reads it)
        self.files = FileCache.default()

    def __repr__(self) -> str:
        return f"GitTree({str(self.top)!r}, use_git={self.use_git})"

    # --- blobs --------------------------------------------------------------------------

    def prefetch(self, changes: Iterable[FileChange]) -> None:
        """Read the pre-image blobs of all these changes (call it once with
        every patch of the run, in order): those the work tree holds from
        it, those an earlier change makes from its post-image (in
        :meth:`old_file`), the rest with one ``git cat-file --batch``."""
        wanted = []
        made: list[str] = []  # the new blobs of the changes so far
        for change in changes:
            blob = _wanted_blob(change)
            if blob and blob not in self._blobs and blob not in wanted and blob not in self._made:
                if (text := self._work_tree_blob(change, blob)) is not None:
                    self._blobs[blob] = text
                elif any(_same_blob(blob, new) for new in made):
                    self._made.add(blob)
                else:
                    wanted.append(blob)
            if change.new_blob and not _ZERO_BLOB.match(change.new_blob):
                made.append(change.new_blob)
        if not wanted or not self.use_git:
            self._blobs.update((b, None) for b in wanted)
            return
        from reviewbot.analysis.git import cat_file_batch
        self.git_calls += 1
        found = cat_file_batch(self.top, wanted, env=self._env)
        for blob in wanted:
            data = found.get(blob)
            self._blobs[blob] = _decode(data) if data is not None else None

    def old_file(self, change: FileChange) -> str | None:
        """The full pre-image of a changed file, or None when the tree
        cannot tell (the engine then sees only the hunks)."""
        if change.old_path is None or change.is_binary or language_of(change.old_path) == LANG_OTHER:
            return None
        blob = _wanted_blob(change)
        text = None
        if blob and blob in self._made:
            # an earlier patch makes it: its post-image, when that is the blob
            if (text := self._chained(blob, exact=True)) is None:
                self._made.discard(blob)  # git may have it
        if blob and text is None:
            if blob not in self._blobs:
                self.prefetch([change])
            text = self._blobs.get(blob)
            if text is not None:
                self.files.from_tree(text)
            else:
                text = self._chained(blob)
        if text is None:
            text = self._work_tree_file(change)
            if text is not None:
                self.files.from_tree(text)
        if text is not None and change.new_blob and not _ZERO_BLOB.match(change.new_blob):
            self._post[change.new_blob] = (change, text)
        return text

    def flush(self) -> None:
        """Write what this run adds to the cache of the tree's files."""
        self.files.flush()

    def _chained(self, blob: str, *, exact: bool = False) -> str | None:
        """The post-image of an earlier change of this run whose new blob is
        ``blob`` (patch 2 of a series changing what patch 1 changed); with
        ``exact``, only when its git id is ``blob``."""
        for new_blob, (change, old_text) in self._post.items():
            if _same_blob(blob, new_blob):
                text = post_image(change, old_text)
                if exact and text is not None and not _is_blob(text.encode("utf-8", "surrogatepass"), blob):
                    return None
                return text
        return None

    def _work_tree_blob(self, change: FileChange, blob: str) -> str | None:
        """The work tree's file at the change's old path when it is ``blob``
        (its git id begins with it): what ``git cat-file`` would give."""
        if len(blob) < _TRUSTED_ABBREV or (path := self._inside(change.old_path)) is None:
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        return _decode(data) if _is_blob(data, blob) else None

    def _inside(self, relative: str | None) -> Path | None:
        """The regular file at ``relative`` in the tree, or None: nothing
        outside it (``..``, an absolute path, a link out) is ever read."""
        if not relative or relative.startswith("/") or ".." in relative.split("/"):
            return None
        path = self.top / relative
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return None
        if stat.S_ISLNK(mode):  # where it leads must be a file inside too
            real = os.path.realpath(path)
            return path if self._under_top(real) and os.path.isfile(real) else None
        return path if stat.S_ISREG(mode) and self._under_top(str(path.parent), directory=True) else None

    def _under_top(self, path: str, *, directory: bool = False) -> bool:
        """Is ``path`` (a directory: its real path, remembered) inside the tree?"""
        if directory:
            if (known := self._dirs.get(path)) is None:
                known = self._dirs[path] = self._under_top(os.path.realpath(path))
            return known
        if self._top_real is None:
            self._top_real = os.path.realpath(self.top)
        return path == self._top_real or path.startswith(self._top_real.rstrip(os.sep) + os.sep)

    def _work_tree_file(self, change: FileChange) -> str | None:
        path = self._inside(change.old_path)
        if path is None:
            return None
        try:
            text = _decode(path.read_bytes())
        except OSError:
            return None
        lines = _lines(text)
        if not _side_matches(change, lines, "old"):
            log.info("%s in the tree does not match the patch's pre-image; checking hunks only", change.old_path)
            return None
        if _side_matches(change, lines, "new") and any(
                line.kind != " " for hunk in change.hunks for line in hunk.lines):
            log.info("%s in the tree may already hold the patch; checking hunks only", change.old_path)
            return None
        return text

    # --- version -------------------------------------------------------------------------

    def kernel_version(self) -> KernelVersion | None:
        """VERSION.PATCHLEVEL of the tree's top-level Makefile; None when it
        has none, or one no Linux release had (u-boot's ``VERSION = 2026``)."""
        if self._version is _UNSET:
            try:
                text = (self.top / "Makefile").read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            version = version_from_makefile(text)
            self._version = version if version is not None and 2 <= version.major < 100 else None
        return self._version  # type: ignore[return-value]

    def kernel_version_at(self, commit: str) -> KernelVersion | None:
        """VERSION.PATCHLEVEL of the Makefile at ``commit`` (a series'
        ``base-commit:``); None when the tree does not have that commit."""
        if not self.use_git:
            return None
        from reviewbot.errors import InputError
        from reviewbot.analysis.git import git
        self.git_calls += 1
        try:
            proc = git(self.top, ["show", f"{commit}:Makefile"], what=f"base-commit {commit}", env=self._env)
        except InputError:
            return None
        version = version_from_makefile(proc.stdout.decode("utf-8", errors="replace"))
        return version if version is not None and 2 <= version.major < 100 else None

    # --- hyp macro uses --------------------------------------------------------------------

    def hyp_macro_uses(self, names: frozenset[str]) -> frozenset[str]:
        """Which of these macro names hyp code in the tree invokes (a line
        of a hyp ``.S`` file or header starting with the name, after an
        optional label)."""
        wanted = sorted(n for n in names if _MACRO_NAME.fullmatch(n))
        if not wanted:
            return frozenset()
        hits = self._git_grep(wanted) if self.use_git else self._walk_grep(wanted)
        return frozenset(hits) & frozenset(wanted)

    def _git_grep(self, names: list[str]) -> set[str]:
        from reviewbot.analysis.git import grep_lines
        self.git_calls += 1
        found = set()
        for path, text in grep_lines(self.top, names, _pathspecs(self.context.hyp_paths), env=self._env):
            if _hyp_source(path, self.context) and (m := _USE.match(text)):
                found.add(m.group(1))
        return found

    def _walk_grep(self, names: list[str]) -> set[str]:
        wanted = set(names)
        found: set[str] = set()
        for spec in _pathspecs(self.context.hyp_paths):
            base = self.top / spec
            files = [base] if base.is_file() else (p for p in base.rglob("*") if p.is_file()) if base.is_dir() else []
            for file in files:
                rel = file.relative_to(self.top).as_posix()
                if not _hyp_source(rel, self.context):
                    continue
                try:
                    text = file.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                for line in text.splitlines():
                    m = _USE.match(line)
                    if m and m.group(1) in wanted:
                        found.add(m.group(1))
        return found


# --- helpers -------------------------------------------------------------------------------


def post_image(change: FileChange, old_text: str) -> str | None:
    """The file after ``change``, from its full pre-image (None when the
    hunks do not apply)."""
    from reviewbot.analysis.views import apply_hunks
    try:
        return apply_hunks(change, old_text)
    except DiffParseError:
        return None


def _wanted_blob(change: FileChange) -> str | None:
    """The pre-image blob id worth reading: a source file's, not a new file's."""
    blob = change.old_blob
    if not blob or _ZERO_BLOB.match(blob) or change.old_path is None or change.is_binary:
        return None
    if language_of(change.old_path) == LANG_OTHER:
        return None
    return blob


def _same_blob(a: str, b: str) -> bool:
    """Do two (perhaps abbreviated) blob ids name the same blob?"""
    return a.startswith(b) or b.startswith(a)


#: The shortest abbreviated id a file's own id is compared with (git's
#: default abbreviation): a shorter one could be another blob's.
_TRUSTED_ABBREV = 7


def _is_blob(data: bytes, blob: str) -> bool:
    """Is ``data`` the blob whose (perhaps abbreviated) id is ``blob``?
    The SHA-1 git gives a blob; a SHA-256 repository's ids never match,
    and those blobs are asked of git."""
    digest = sha1(b"blob %d\0" % len(data), usedforsecurity=False)
    digest.update(data)
    return digest.hexdigest().startswith(blob.lower())


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n")


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _side_matches(change: FileChange, lines: list[str], side: str) -> bool:
    """Do the hunks' old (or new) side lines sit at their line numbers in ``lines``?"""
    for hunk in change.hunks:
        for line in hunk.lines:
            if side == "old" and line.kind == "+" or side == "new" and line.kind == "-":
                continue
            number = line.old_line if side == "old" else line.new_line
            if number is None or number > len(lines) or lines[number - 1].rstrip() != line.text.rstrip():
                return False
    return True


def _pathspecs(globs: Iterable[str]) -> list[str]:
    """The literal directory (or file) in front of each glob's first wildcard;
    matches are filtered with the globs themselves afterwards."""
    specs = []
    for glob in globs:
        cut = min((i for i, ch in enumerate(glob) if ch in "*?["), default=len(glob))
        spec = glob[:cut]
        if cut < len(glob):
            spec = spec.rsplit("/", 1)[0] if "/" in spec else ""
        spec = spec.rstrip("/") or "."
        if spec not in specs:
            specs.append(spec)
    return specs


def _hyp_source(path: str, context: ContextConfig) -> bool:
    return path.endswith((".S", ".s", ".h")) and path_matches(path, context.hyp_paths)
