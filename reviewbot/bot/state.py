"""What the watcher remembers, in SQLite: polls, messages, series, patches.

* ``polls``: per (list, query), when it last succeeded (its ``rt:`` bound
  for the next poll), how many messages it found, and the last error;
* ``messages``: every Message-ID seen; ``hit`` marks the ones a query
  matched, ``done`` the hits whose thread has been read and recorded;
  a hit whose thread could not be read keeps the ``error``, its ``tries``
  and when to try again (``next_try``); one given up is ``done`` with an
  ``error``;
* ``series``: each series revision (keyed by the Message-ID it hangs from),
  its state and when it was first seen, so a restart neither reviews it
  twice nor forgets it: ``waiting`` (incomplete, nothing reviewed yet),
  ``partial`` (reviewed incomplete after the timeout; late patches are
  still looked for), ``reviewed`` (done) or ``failed`` (the review crashed
  too often);
* ``patches``: every patch reviewed, so a patch is reviewed at most once;
* ``maildir``: the files of a ``lei up`` Maildir already read.

Each change is a transaction (:meth:`StateStore.transaction`): a watcher
killed between two of them loses nothing and repeats nothing.  The
``schema_version`` table says which layout a file has; a file from a newer
reviewbot is refused rather than misread.

Why this module is long: the watcher's memory is one schema (polls,
messages with their retry times, series, patches) with its upgrade steps,
and every method is one transaction over it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from reviewbot.errors import ConfigError, UsageError
import logging
from reviewbot.records import record

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS polls (
    list TEXT NOT NULL, query TEXT NOT NULL,
    last_poll REAL, last_attempt REAL, hits INTEGER NOT NULL DEFAULT 0,
    polls INTEGER NOT NULL DEFAULT 0, last_error TEXT,
    PRIMARY KEY (list, query));
CREATE TABLE IF NOT EXISTS messages (
    msgid TEXT PRIMARY KEY, list TEXT, first_seen REAL NOT NULL,
    hit INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0,
    tries INTEGER NOT NULL DEFAULT 0, next_try REAL, error TEXT);
CREATE INDEX IF NOT EXISTS messages_todo ON messages (hit, done);
CREATE TABLE IF NOT EXISTS series (
    key TEXT PRIMARY KEY, list TEXT, thread TEXT NOT NULL, title TEXT NOT NULL,
    version INTEGER NOT NULL, total INTEGER, present INTEGER NOT NULL,
    first_seen REAL NOT NULL, status TEXT NOT NULL DEFAULT 'waiting',
    reviewed_at REAL, attempts INTEGER NOT NULL DEFAULT 0,
    replies INTEGER NOT NULL DEFAULT 0, error TEXT);
CREATE INDEX IF NOT EXISTS series_status ON series (status);
CREATE TABLE IF NOT EXISTS patches (
    msgid TEXT PRIMARY KEY, series_key TEXT NOT NULL, reviewed_at REAL NOT NULL,
    findings INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS maildir (
    name TEXT PRIMARY KEY, msgid TEXT, root TEXT);
CREATE INDEX IF NOT EXISTS maildir_root ON maildir (root);
"""

#: What turns a file of an older layout into the current one, by version.
_UPGRADES = {
    1: "ALTER TABLE messages ADD COLUMN next_try REAL; ALTER TABLE messages ADD COLUMN error TEXT;",
}


@record
class PollRecord:
    """The state of one (list, query)."""

    list: str
    query: str
    last_poll: float | None
    last_attempt: float | None
    hits: int
    polls: int
    last_error: str | None


@record
class SeriesRecord:
    """One series revision as the watcher knows it."""

    key: str
    list: str
    thread: str
    title: str
    version: int
    total: int | None
    present: int
    first_seen: float
    status: str
    reviewed_at: float | None
    attempts: int
    replies: int
    error: str | None


@record
class ThreadTrouble:
    """A hit whose thread could not be read: tried again at ``next_try``,
    or ``given_up``."""

    msgid: str
    list: str
    tries: int
    next_try: float | None
    error: str
    given_up: bool


@record
class Status:
    """Everything ``reviewbot watch --status`` shows."""

    path: str
    polls: tuple[PollRecord, ...]
    messages: int
    hits: int
    hits_todo: int
    patches_reviewed: int
    waiting: tuple[SeriesRecord, ...]
    recent: tuple[SeriesRecord, ...]
    counts: tuple[tuple[str, int], ...]
    troubled: tuple[ThreadTrouble, ...] = ()


class StateStore:
    """The watcher's SQLite database (``:memory:`` for tests)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL" if self.path != ":memory:" else "PRAGMA journal_mode=MEMORY")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"{self.path}: not a usable watcher state database: {exc}") from exc
        self._depth = 0

    def _migrate(self) -> None:
        self.db.executescript("BEGIN;" + _SCHEMA + "COMMIT;")
        row = self.db.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            self.db.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        elif row[0] > SCHEMA_VERSION:
            raise ConfigError(f"{self.path}: state schema version {row[0]} is newer than this "
                              f"reviewbot understands ({SCHEMA_VERSION}); upgrade reviewbot")
        elif row[0] < SCHEMA_VERSION:
            steps = "".join(_UPGRADES[v] for v in range(row[0], SCHEMA_VERSION))
            self.db.executescript(f"BEGIN; {steps} UPDATE schema_version SET version={SCHEMA_VERSION}; "
                                  "COMMIT;")

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def __enter__(self) -> "StateStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All changes inside commit together or not at all (nestable)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")
        finally:
            self._depth = 0

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the watcher's lock on this state (a ``.lock`` file beside
        it): two watchers on one state would review the same series twice.
        UsageError when another process holds it."""
        if self.path == ":memory:":
            yield
            return
        fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UsageError(f"{self.path}: another 'reviewbot watch' is using this state") from None
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            yield
        finally:
            os.close(fd)  # releases the lock

    @property
    def schema_version(self) -> int:
        """The layout version of this file."""
        return int(self.db.execute("SELECT version FROM schema_version").fetchone()[0])

    # --- polls ---------------------------------------------------------------------

    def last_poll(self, list_name: str, query: str) -> float | None:
        """When the last successful poll of this query started, or None."""
        row = self.db.execute("SELECT last_poll FROM polls WHERE list=? AND query=?",
                              (list_name, query)).fetchone()
        return row[0] if row else None

    def record_poll(self, list_name: str, query: str, started: float, hits: int) -> None:
        """A poll that started at ``started`` succeeded with ``hits`` results."""
        self.db.execute(
            "INSERT INTO polls (list, query, last_poll, last_attempt, hits, polls) VALUES (?,?,?,?,?,1) "
            "ON CONFLICT (list, query) DO UPDATE SET last_poll=excluded.last_poll, "
            "last_attempt=excluded.last_attempt, hits=polls.hits+excluded.hits, "
            "polls=polls.polls+1, last_error=NULL",
            (list_name, query, started, started, hits))

    def record_poll_error(self, list_name: str, query: str, when: float, error: str) -> None:
        """A poll failed; its ``rt:`` bound stays where it was."""
        self.db.execute(
            "INSERT INTO polls (list, query, last_attempt, last_error) VALUES (?,?,?,?) "
            "ON CONFLICT (list, query) DO UPDATE SET last_attempt=excluded.last_attempt, "
            "last_error=excluded.last_error", (list_name, query, when, error))

    # --- messages ------------------------------------------------------------------

    def add_hits(self, list_name: str, msgids: Iterable[str], now: float) -> list[str]:
        """Record messages a query matched; returns the ones not known as
        hits before (a message first seen in a thread becomes a hit too)."""
        new = []
        for msgid in msgids:
            row = self.db.execute("SELECT hit FROM messages WHERE msgid=?", (msgid,)).fetchone()
            if row is None:
                self.db.execute("INSERT INTO messages (msgid, list, first_seen, hit) VALUES (?,?,?,1)",
                                (msgid, list_name, now))
            elif not row[0]:
                self.db.execute("UPDATE messages SET hit=1, done=0 WHERE msgid=?", (msgid,))
            else:
                continue
            new.append(msgid)
        return new

    def add_seen(self, list_name: str, msgids: Iterable[str], now: float) -> None:
        """Record messages seen in a thread (not necessarily matched)."""
        self.db.executemany("INSERT OR IGNORE INTO messages (msgid, list, first_seen) VALUES (?,?,?)",
                            [(m, list_name, now) for m in msgids])

    def is_hit(self, msgid: str) -> bool:
        """True when a query (or the Maildir) gave us this message."""
        row = self.db.execute("SELECT hit FROM messages WHERE msgid=?", (msgid,)).fetchone()
        return bool(row and row[0])

    def hits_among(self, msgids: Iterable[str]) -> set[str]:
        """The hits among ``msgids``."""
        return self._msgids_in("SELECT msgid FROM messages WHERE hit=1 AND msgid IN ({})", msgids)

    def _msgids_in(self, query: str, msgids: Iterable[str]) -> set[str]:
        """Run ``query`` (one ``IN ({})``) over ``msgids`` in chunks SQLite accepts."""
        ids = list(msgids)
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            found.update(r[0] for r in self.db.execute(query.format(",".join("?" * len(part))), part))
        return found

    def todo_hits(self) -> list[tuple[str, str]]:
        """``(list, msgid)`` of hits whose thread is still to be read, oldest first."""
        return [(r[0] or "", r[1]) for r in self.db.execute(
            "SELECT list, msgid FROM messages WHERE hit=1 AND done=0 ORDER BY first_seen, rowid")]

    def mark_done(self, msgids: Iterable[str]) -> None:
        """These hits' threads have been read and their series recorded
        (any earlier failure to read them is forgotten)."""
        self.db.executemany("UPDATE messages SET done=1, tries=0, next_try=NULL, error=NULL "
                            "WHERE msgid=?", [(m,) for m in msgids])

    def retry_later(self, msgid: str, when: float, error: str) -> None:
        """Reading this hit's thread failed with ``error``: not before ``when``."""
        self.db.execute("UPDATE messages SET next_try=?, error=? WHERE msgid=?", (when, error, msgid))

    def next_try(self, msgid: str) -> float | None:
        """When this hit's thread may be read again after a failure, or None."""
        row = self.db.execute("SELECT next_try FROM messages WHERE msgid=?", (msgid,)).fetchone()
        return row[0] if row else None

    def give_up_thread(self, msgid: str, error: str) -> None:
        """Stop trying to read this hit's thread; the error stays for ``--status``."""
        self.db.execute("UPDATE messages SET done=1, next_try=NULL, error=? WHERE msgid=?", (error, msgid))

    def note_try(self, msgid: str) -> int:
        """Count a failed attempt to read this hit's thread; returns the count."""
        self.db.execute("UPDATE messages SET tries=tries+1 WHERE msgid=?", (msgid,))
        row = self.db.execute("SELECT tries FROM messages WHERE msgid=?", (msgid,)).fetchone()
        return int(row[0]) if row else 0

    # --- series and patches -------------------------------------------------------------

    def series(self, key: str) -> SeriesRecord | None:
        """The record of one series, or None."""
        row = self.db.execute(f"SELECT {_SERIES_COLUMNS} FROM series WHERE key=?", (key,)).fetchone()
        return SeriesRecord(*row) if row else None

    def upsert_series(self, key: str, *, list_name: str, thread: str, title: str, version: int,
                      total: int | None, present: int, now: float) -> SeriesRecord:
        """Create the record of a series first seen ``now``, or update how
        many of its patches are present."""
        old = self.series(key)
        if old is None:
            self.db.execute(
                "INSERT INTO series (key, list, thread, title, version, total, present, first_seen) "
                "VALUES (?,?,?,?,?,?,?,?)", (key, list_name, thread, title, version, total, present, now))
        elif present != old.present or title != old.title:
            self.db.execute("UPDATE series SET present=?, title=? WHERE key=?", (present, title, key))
        record = self.series(key)
        assert record is not None
        return record

    def waiting_series(self) -> list[SeriesRecord]:
        """Series whose thread is still read each poll (``waiting`` and
        ``partial``), oldest first."""
        return [SeriesRecord(*r) for r in self.db.execute(
            f"SELECT {_SERIES_COLUMNS} FROM series WHERE status IN ('waiting', 'partial') "
            "ORDER BY first_seen, rowid")]

    def mark_reviewed(self, key: str, now: float, patches: Iterable[tuple[str, int]], replies: int,
                      *, complete: bool = True) -> None:
        """The series was reviewed (``partial`` unless ``complete``): each
        ``(patch msgid, findings)`` too."""
        self.db.executemany(
            "INSERT OR IGNORE INTO patches (msgid, series_key, reviewed_at, findings) VALUES (?,?,?,?)",
            [(m, key, now, n) for m, n in patches])
        self.db.execute("UPDATE series SET status=?, reviewed_at=?, replies=replies+?, "
                        "attempts=0, error=NULL WHERE key=?",
                        ("reviewed" if complete else "partial", now, replies, key))

    def close_series(self, key: str) -> None:
        """Stop looking for late patches of a partly reviewed series."""
        self.db.execute("UPDATE series SET status='reviewed' WHERE key=? AND status='partial'", (key,))

    def mark_failed(self, key: str, now: float, error: str, *, give_up: bool) -> int:
        """Reviewing failed; the series waits for another try unless
        ``give_up``.  Returns the number of attempts so far."""
        self.db.execute("UPDATE series SET attempts=attempts+1, error=?, status=? WHERE key=?",
                        (error, "failed" if give_up else "waiting", key))
        record = self.series(key)
        return record.attempts if record else 0

    def reviewed_patches(self, msgids: Iterable[str]) -> set[str]:
        """The patches among ``msgids`` already reviewed."""
        return self._msgids_in("SELECT msgid FROM patches WHERE msgid IN ({})", msgids)

    # --- maildir ----------------------------------------------------------------------

    def maildir_known(self) -> set[str]:
        """Names (without flags) of the Maildir files already read."""
        return {r[0] for r in self.db.execute("SELECT name FROM maildir")}

    def add_maildir(self, name: str, msgid: str | None, root: str | None) -> None:
        """Record a Maildir file as read, with its message and thread root."""
        self.db.execute("INSERT OR REPLACE INTO maildir (name, msgid, root) VALUES (?,?,?)",
                        (name, msgid, root))

    def maildir_thread(self, msgid: str) -> list[str]:
        """Names of the Maildir files in the thread of ``msgid``."""
        row = self.db.execute("SELECT root FROM maildir WHERE msgid=?", (msgid,)).fetchone()
        if row is None:
            return []
        return [r[0] for r in self.db.execute("SELECT name FROM maildir WHERE root=?", (row[0],))]

    # --- status ---------------------------------------------------------------------------

    def status(self, recent: int = 10) -> Status:
        """A summary of everything known, for ``--status``."""
        polls = tuple(PollRecord(*r) for r in self.db.execute(
            "SELECT list, query, last_poll, last_attempt, hits, polls, last_error FROM polls "
            "ORDER BY list, query"))
        def one(sql: str) -> int:
            return int(self.db.execute(sql).fetchone()[0])

        return Status(
            path=self.path,
            polls=polls,
            messages=one("SELECT count(*) FROM messages"),
            hits=one("SELECT count(*) FROM messages WHERE hit=1"),
            hits_todo=one("SELECT count(*) FROM messages WHERE hit=1 AND done=0"),
            patches_reviewed=one("SELECT count(*) FROM patches"),
            waiting=tuple(self.waiting_series()),
            recent=tuple(SeriesRecord(*r) for r in self.db.execute(
                f"SELECT {_SERIES_COLUMNS} FROM series WHERE status NOT IN ('waiting') "
                "ORDER BY reviewed_at DESC, rowid DESC LIMIT ?", (recent,))),
            counts=tuple((r[0], int(r[1])) for r in self.db.execute(
                "SELECT status, count(*) FROM series GROUP BY status ORDER BY status")),
            troubled=tuple(ThreadTrouble(r[0], r[1] or "", int(r[2]), r[3], r[4], bool(r[5]))
                           for r in self.db.execute(
                "SELECT msgid, list, tries, next_try, error, done FROM messages "
                "WHERE error IS NOT NULL ORDER BY first_seen DESC, rowid DESC LIMIT ?", (recent,))),
        )


_SERIES_COLUMNS = ("key, list, thread, title, version, total, present, first_seen, status, "
                   "reviewed_at, attempts, replies, error")
