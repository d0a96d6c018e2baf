"""Where the mail comes from: public-inbox git repositories (v1, or a v2
inbox's epochs ``git/N.git``), mbox files and maildirs.

Each message has a *location* that a worker can read it back by: a blob
id in git, ``start-end-line`` byte offsets in an mbox, a file name in a
maildir.  Git is read with one ``git cat-file --batch`` stream per
repository and pass; nothing is checked out or copied.
"""

from __future__ import annotations

import re
import subprocess
import threading
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path

from reviewbot.errors import InputError
from reviewbot.records import record

#: v1 stores each message under the SHA-1 of its Message-ID, fanned out.
_V1_PATH = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{38}$")
_MBOX_BLOCK = 8 << 20


@record
class Source:
    """One readable archive: ``kind`` is ``git``, ``mbox`` or ``maildir``;
    ``path`` is absolute (workers elsewhere reach it on a shared file
    system); ``name`` is how the user named it (with the epoch)."""

    kind: str
    path: str
    name: str


@record
class Raw:
    """One message as the index pass reads it."""

    location: str
    data: bytes
    first_line: int = 1
    time: int | None = None  # the commit's author time, for git


def open_sources(names: Iterable[str]) -> list[Source]:
    """The sources the command line names; InputError for one that is none."""
    found: list[Source] = []
    for name in names:
        path = Path(name)
        if not path.exists():
            raise InputError(name, "no such file or directory")
        absolute = str(path.resolve())
        if path.is_dir() and (path / "git").is_dir():
            epochs = sorted((p for p in (path / "git").glob("*.git") if p.name[:-4].isdigit()),
                            key=lambda p: int(p.name[:-4]))
            if not epochs:
                raise InputError(name, "a public-inbox v2 inbox without epochs (no git/N.git)")
            found.extend(Source("git", str(p.resolve()), f"{name}/git/{p.name}") for p in epochs)
        elif path.is_dir() and ((path / "objects").is_dir() and (path / "HEAD").is_file() or (path / ".git").exists()):
            found.append(Source("git", absolute, name))
        elif path.is_dir() and ((path / "cur").is_dir() or (path / "new").is_dir()):
            found.append(Source("maildir", absolute, name))
        elif path.is_dir():
            raise InputError(name, "neither a public-inbox archive (git repository or v2 inbox), "
                                   "nor a maildir (no cur/ or new/)")
        else:
            found.append(Source("mbox", absolute, name))
    return found


def identity(source: Source) -> str:
    """What changes when a file source's content may have (size and
    modification time); git sources are addressed by content already."""
    if source.kind == "git":
        return source.path
    stamps = [source.path]
    for path in ([Path(source.path)] if source.kind == "mbox" else _maildir_files(Path(source.path))):
        st = path.stat()
        stamps.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
    return "\n".join(stamps)


# --- the index pass: every message ----------------------------------------------------


def read_all(source: Source) -> Iterator[Raw]:
    """Every message of ``source``, in archive order."""
    if source.kind == "git":
        yield from _git_all(source)
    elif source.kind == "mbox":
        yield from _mbox_all(source)
    else:
        root = Path(source.path)
        for path in _maildir_files(root):
            yield Raw(str(path.relative_to(root)), path.read_bytes())


# git maps whole pack windows (1 GiB each, up to 8 GiB) and keeps a 96 MiB
# delta-base cache by default: on a large archive that is the run's biggest
# resident set.  Small windows keep the reader's memory bounded by these
# figures, not by the pack's size, for about 5% more time.
_BOUNDED_PACK_READS = ("-c", "core.packedGitWindowSize=4m", "-c", "core.packedGitLimit=64m",
                       "-c", "core.deltaBaseCacheLimit=16m")


class Listing:
    """``(blob id, author time)`` of each message of a git source, in
    order: some 28 bytes a message (an epoch lists up to millions), where
    a list of tuples took 180."""

    def __init__(self) -> None:
        self._ids = bytearray()
        self._times = array("q")
        self._width = 0  # bytes of an object id: 20 (SHA-1) or 32 (SHA-256)

    def append(self, blob: str, when: int) -> None:
        raw = bytes.fromhex(blob)
        self._width = self._width or len(raw)
        if len(raw) != self._width:
            raise ValueError(f"object id {blob!r} is not {2 * self._width} hex digits")
        self._ids += raw
        self._times.append(when)

    def __len__(self) -> int:
        return len(self._times)

    def __getitem__(self, where: slice) -> list[tuple[str, int]]:
        return [self._at(i) for i in range(*where.indices(len(self)))]

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return (self._at(i) for i in range(len(self)))

    def _at(self, i: int) -> tuple[str, int]:
        return self._ids[i * self._width:(i + 1) * self._width].hex(), self._times[i]

    def without(self, blobs: set[str]) -> Listing:
        kept = Listing()
        for blob, when in self:
            if blob not in blobs:
                kept.append(blob, when)
        return kept


def git_messages(repo: str) -> Listing:
    """``(blob id, author time)`` of each message in the history of HEAD,
    oldest first, less deleted ones: v2 records a deletion as a ``d`` file
    holding the removed message, v1 by deleting its file."""
    # read line by line: the whole output of a large epoch costs tens of MiB as one string
    proc = subprocess.Popen(["git", *_BOUNDED_PACK_READS, "-C", repo, "log", "--reverse", "--raw", "--no-abbrev", "--no-renames",
                             "--format=C %at", "HEAD"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    messages = Listing()
    deleted: set[str] = set()
    when = 0
    for raw_line in proc.stdout:
        line = raw_line.decode("utf-8", "replace").rstrip("\n")
        if line.startswith("C "):
            when = int(line[2:] or 0)
        elif line.startswith(":"):
            meta, _, path = line.partition("\t")
            _, _, old, new, status = meta.split()
            if path == "m" and status in ("A", "M"):
                messages.append(new, when)
            elif path == "d" and status in ("A", "M"):
                deleted.add(new)
            elif _V1_PATH.match(path):
                if status in ("A", "M"):
                    messages.append(new, when)
                elif status == "D":
                    deleted.add(old)
    problem = proc.stderr.read().decode(errors="replace").strip()
    if proc.wait() != 0:
        if "ambiguous argument 'HEAD'" in problem or "does not have any commits" in problem:
            raise InputError(repo, "a git repository without a commit: not a public-inbox archive")
        said = problem.splitlines()
        raise InputError(repo, f"cannot read the git history: {said[0] if said else 'git log failed'}")
    return messages.without(deleted) if deleted else messages


def _git_all(source: Source) -> Iterator[Raw]:
    listed = git_messages(source.path)
    for (blob, when), (_, data) in zip(listed, cat_file(source.path, (b for b, _ in listed))):
        if isinstance(data, bytes):
            yield Raw(blob, data, 1, when)


def _mbox_all(source: Source) -> Iterator[Raw]:
    """The messages of an mbox in blocks, so memory does not grow with the
    file; a file without ``From `` separators is one message."""
    from reviewbot.mail.parse import mbox_spans

    with open(source.path, "rb") as handle:
        base = 0  # file offset of buf[0]
        lines = 0  # lines before buf[0]
        buf = b""
        seen = False
        while True:
            chunk = handle.read(_MBOX_BLOCK)
            buf += chunk
            spans = list(mbox_spans(buf))
            if chunk and len(spans) < 2:
                continue  # one message so far: it may go on in the next block
            keep = spans if not chunk else spans[:-1]
            for first_line, start, end in keep:
                seen = True
                yield Raw(f"{base + start}-{base + end}-{lines + first_line}", buf[start:end])
            if not chunk:
                break
            cut = spans[-2][2]  # the separator of the last, maybe unfinished, message
            lines += buf.count(b"\n", 0, cut)
            base += cut
            buf = buf[cut:]
        if not seen and buf.strip():
            yield Raw(f"0-{len(buf)}-1", buf)


def _maildir_files(root: Path) -> list[Path]:
    return sorted(p for sub in ("new", "cur") if (root / sub).is_dir()
                  for p in (root / sub).iterdir() if p.is_file() and not p.name.startswith("."))


# --- the review pass: some messages by location -------------------------------------------


def read_some(source: Source, locations: list[str]) -> dict[str, bytes]:
    """The messages at ``locations`` (those that can be read)."""
    if source.kind == "git":
        return {loc: data for loc, (_, data) in zip(locations, cat_file(source.path, locations))
                if isinstance(data, bytes)}
    found: dict[str, bytes] = {}
    if source.kind == "mbox":
        with open(source.path, "rb") as handle:
            for loc in locations:
                start, end, _ = (int(n) for n in loc.split("-"))
                handle.seek(start)
                found[loc] = handle.read(end - start)
        return found
    for loc in locations:
        try:
            found[loc] = (Path(source.path) / loc).read_bytes()
        except OSError:
            continue
    return found


def first_line(location: str) -> int:
    """The line of the input a message starts on (mbox), else 1."""
    parts = location.split("-")
    return int(parts[2]) if len(parts) == 3 and parts[2].isdigit() else 1


@record
class TooLarge:
    """What :func:`cat_file` gives for a blob larger than its ``limit``,
    which it skips unread."""

    size: int


def cat_file(repo: str, names: Iterable[str], limit: int | None = None
             ) -> Iterator[tuple[str, bytes | TooLarge | None]]:
    """``(name, blob)`` for each object name, in order, from one ``git
    cat-file --batch``; None for a missing object or one that is not a
    blob, :class:`TooLarge` for a blob of more than ``limit`` bytes.
    Names are fed from a thread so the pipes never fill both ways."""
    names = list(names)
    proc = subprocess.Popen(["git", *_BOUNDED_PACK_READS, "-C", repo, "cat-file", "--batch", "--buffer"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None

    def feed() -> None:
        assert proc.stdin is not None
        try:
            for name in names:
                proc.stdin.write(f"{name}\n".encode())
            proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass  # the reader stopped early

    threading.Thread(target=feed, daemon=True).start()
    try:
        for name in names:
            header = proc.stdout.readline().split()
            if len(header) < 3 or header[1] == b"missing":
                yield name, None
                continue
            size = int(header[2])
            if limit is not None and size > limit:
                left = size + 1  # the object and its newline, dropped a MiB at a time
                while left > 0 and (dropped := proc.stdout.read(min(left, 1 << 20))):
                    left -= len(dropped)
                yield name, TooLarge(size) if header[1] == b"blob" else None
                continue
            data = proc.stdout.read(size)
            proc.stdout.read(1)  # the newline after each object
            yield name, data if header[1] == b"blob" else None
    finally:
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
