"""The index on disk: what the first pass keeps of every patch and cover
letter, and the series they make, in one SQLite database per run.

A run over several lists holds hundreds of thousands of patches; kept in
memory, their records grew the main process by about a kilobyte each
(378 MiB over nine lists).  On disk, the main process holds one shard's
series at a time, whatever the size of the archive.

- ``seen``: the Message-IDs of every source but the last, with the first
  source that holds each (a patch sent to two lists is reviewed once);
- ``entry``: each patch and cover letter, in mail order (``seq``), with
  the key of its series;
- ``thread``: what :func:`reviewbot.mail.series.series_key` keeps of the
  messages so far (the key of the series of each Message-ID).

Series are grouped as :func:`~reviewbot.mail.series.group_series` groups
them: the keys come from the same function, and the grouping (series in
the order of their first message, the last cover letter, patches by
their index and then in mail order) is one query
(``tests/test_backtest_store.py`` compares the two).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from reviewbot.mail.series import parse_subject, series_key
from reviewbot.model import SubjectTags
from reviewbot.records import record

_SCHEMA = """
CREATE TABLE seen (msgid TEXT PRIMARY KEY, origin INTEGER) WITHOUT ROWID;
CREATE TABLE thread (msgid TEXT PRIMARY KEY, key TEXT) WITHOUT ROWID;
CREATE TABLE entry (seq INTEGER PRIMARY KEY, origin INTEGER, location TEXT, name TEXT, msgid TEXT,
                    in_reply_to TEXT, refs TEXT, subject TEXT, idx INTEGER, cover INTEGER, relevant INTEGER,
                    needed INTEGER, size INTEGER, series TEXT);
"""
# what makes a series one to review: a patch that touches a file some rule may apply to
_REVIEWED = "AND SUM(relevant AND NOT cover) > 0"
_COLUMNS = "origin, location, name, msgid, in_reply_to, refs, subject, cover, relevant, needed, size"
# every series with patches, in the order of its first message; the last
# cover letter and the patches by index, then in mail order
_SERIES = """
WITH grouped AS (SELECT series, MIN(seq) AS first, MAX(CASE WHEN cover THEN seq END) AS cover_seq
                 FROM entry GROUP BY series HAVING SUM(NOT cover) > 0 {having})
SELECT grouped.first, {columns} FROM grouped JOIN entry ON entry.series = grouped.series
WHERE NOT entry.cover OR entry.seq = grouped.cover_seq
ORDER BY grouped.first, entry.cover DESC, COALESCE(entry.idx, 0), entry.seq
"""


@record
class Entry:
    """A patch or cover letter as the index knows it.  ``source`` is the
    name a full parse gives the message (what ``group_series`` reads);
    ``origin`` the index of its :class:`Source`."""

    origin: int
    location: str
    source: str
    msgid: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    tags: SubjectTags
    cover: bool
    relevant: bool  # its diff touches a file some rule may apply to
    needed: bool  # ... or a file that is context for such files
    size: int


@record
class SeriesSpec:
    """A series to review: its cover letter and patches in order."""

    cover: Entry | None
    patches: tuple[Entry, ...]

    @property
    def entries(self) -> tuple[Entry, ...]:
        """The cover letter (if any), then the patches."""
        return ((self.cover,) if self.cover is not None else ()) + self.patches

    @property
    def size(self) -> int:
        """Bytes of mail a worker reads for this series."""
        return sum(e.size for e in self.entries)


#: Rows written at once.
_BATCH = 2000


class _Keys:
    """``thread`` as the mapping :func:`series_key` reads and writes
    (``parent in keys and keys[parent]``: one query, the last answer kept)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._last: tuple[object, tuple | None] = (None, None)

    def __contains__(self, msgid: object) -> bool:
        return self._get(msgid) is not None

    def __getitem__(self, msgid: str) -> tuple:
        key = self._get(msgid)
        if key is None:
            raise KeyError(msgid)
        return key

    def _get(self, msgid: object) -> tuple | None:
        if self._last[0] != msgid:
            row = self._db.execute("SELECT key FROM thread WHERE msgid = ?", (msgid,)).fetchone()
            self._last = (msgid, tuple(json.loads(row[0])) if row is not None else None)
        return self._last[1]

    def __setitem__(self, msgid: str, key: tuple) -> None:
        self._db.execute("INSERT OR REPLACE INTO thread VALUES (?, ?)", (msgid, json.dumps(key)))
        self._last = (msgid, key)


class IndexStore:
    """The records of one run's index pass, in ``directory`` (which the
    caller removes)."""

    def __init__(self, directory: Path) -> None:
        self._db = sqlite3.connect(directory / "index.sqlite", isolation_level=None)
        # a scratch database: nothing to recover after a crash, so no journal and no fsync
        self._db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                               "PRAGMA cache_size = -16384; PRAGMA temp_store = FILE;" + _SCHEMA)
        self._db.execute("BEGIN")
        self._keys = _Keys(self._db)
        self._pending: list[tuple] = []
        self._seq = 0
        self._grouped = False

    def close(self) -> None:
        self._db.close()

    # --- messages two sources hold ---------------------------------------------------------

    def held_earlier(self, msgid: str, origin: int) -> bool:
        """Whether a source before ``origin`` holds this Message-ID."""
        row = self._db.execute("SELECT origin FROM seen WHERE msgid = ?", (msgid,)).fetchone()
        return row is not None and row[0] < origin

    def hold(self, msgid: str, origin: int) -> None:
        """Source ``origin`` holds this Message-ID (the first source to
        hold one keeps it)."""
        self._db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (msgid, origin))

    # --- the entries -----------------------------------------------------------------------

    def add(self, entry: Entry) -> None:
        """One patch or cover letter (an index ``Entry``), the next in mail
        order; its series key assumes the archive is threaded
        (:meth:`group` takes them again when it is not)."""
        key = series_key(entry, entry.tags, entry.cover, self._keys, True)
        self._seq += 1
        self._pending.append((self._seq, entry.origin, entry.location, entry.source, entry.msgid,
                              entry.in_reply_to, json.dumps(entry.references), entry.subject, entry.tags.index,
                              entry.cover, entry.relevant, entry.needed, entry.size, json.dumps(key)))
        if len(self._pending) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        self._db.executemany("INSERT INTO entry VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self._pending)
        self._pending = []

    def group(self, threaded: bool) -> None:
        """Close the index: every entry is in, and whether any message of
        the archive is threaded is known."""
        self._flush()
        if not threaded:
            self._key_again()
        self._db.execute("CREATE INDEX entry_series ON entry (series, seq)")
        self._grouped = True

    def _key_again(self) -> None:
        """The series keys of an archive without threading headers (the
        subject tags alone group), each entry taken again in mail order."""
        self._db.execute("DELETE FROM thread")
        self._keys = _Keys(self._db)  # nothing of the first keys, remembered or not
        self._db.execute("CREATE TEMPORARY TABLE rekeyed (seq INTEGER PRIMARY KEY, series TEXT)")
        rows = self._db.execute(f"SELECT seq, {_COLUMNS} FROM entry ORDER BY seq")
        other = self._db.cursor()
        while batch := rows.fetchmany(_BATCH):
            other.executemany("INSERT INTO rekeyed VALUES (?, ?)", [
                (row[0], json.dumps(series_key(entry, entry.tags, entry.cover, self._keys, False)))
                for row in batch for entry in (_entry(row[1:]),)])
        self._db.execute("UPDATE entry SET series = (SELECT series FROM rekeyed WHERE rekeyed.seq = entry.seq)")
        self._db.execute("DROP TABLE rekeyed")

    # --- the series ------------------------------------------------------------------------

    def count(self, *, reviewed: bool = False) -> int:
        """Series with patches; ``reviewed``: those with a patch that
        touches a file some rule may apply to."""
        having = _REVIEWED if reviewed else ""
        return self._db.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM entry GROUP BY series "
                                f"HAVING SUM(NOT cover) > 0 {having})").fetchone()[0]

    def series(self, *, reviewed: bool = False) -> Iterator[SeriesSpec]:
        """Each series, in order; ``reviewed``: only the series
        :meth:`count` counts so."""
        assert self._grouped, "group() first"
        having = _REVIEWED if reviewed else ""
        rows = self._db.execute(_SERIES.format(having=having, columns=_COLUMNS))
        first, cover, patches = None, None, []
        while batch := rows.fetchmany(_BATCH):
            for row in batch:
                if row[0] != first and first is not None:
                    yield SeriesSpec(cover, tuple(patches))
                    cover, patches = None, []
                first = row[0]
                entry = _entry(row[1:])
                if entry.cover:
                    cover = entry
                else:
                    patches.append(entry)
        if first is not None:
            yield SeriesSpec(cover, tuple(patches))


def _entry(row: tuple) -> Entry:
    origin, location, name, msgid, in_reply_to, refs, subject, cover, relevant, needed, size = row
    return Entry(origin, location, name, msgid, in_reply_to, tuple(json.loads(refs)), subject, parse_subject(subject),
                 bool(cover), bool(relevant), bool(needed), size)
