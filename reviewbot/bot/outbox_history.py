"""An outbox database that lost its history must not be used.

The database is the only memory of which replies were sent: recreated
empty (truncated to 0 bytes, deleted, a run from another directory with a
relative path), it would let every reply be recorded and sent again.  So
each database gets an id, kept in the database and in a marker file beside
it (``<database>.id``).  Opening refuses, naming both files:

* a database that is missing or empty while its marker exists;
* a database whose id is not the marker's;
* a new database while the outbox mbox or maildir already holds replies.
"""

from __future__ import annotations

import mailbox
import os
import sqlite3
import uuid
from pathlib import Path

from reviewbot.errors import ReviewbotError

_PREFIX = "reviewbot outbox "


class LostHistory(ReviewbotError):
    """The outbox database does not hold the history it should."""


def marker_path(database: Path) -> Path:
    """Where the id of ``database`` is kept beside it."""
    return database.with_name(database.name + ".id")


def check_before_open(database: Path, outbox: Path | None) -> bool:
    """Before connecting: refuse a database that lost its history.
    Returns True when the database is new (to be created)."""
    marker = marker_path(database)
    new = not database.exists() or database.stat().st_size == 0
    if new and marker.exists():
        state = "missing" if not database.exists() else "empty (0 bytes)"
        also = (f" and move {outbox} away (a new database beside its replies would send them again)"
                if outbox is not None and _holds_replies(outbox) else "")
        raise LostHistory(
            f"{database}: the outbox database is {state}, but {marker} says it held the record "
            f"of the replies of this outbox: recreated, it would send every reply again. "
            f"Restore it from a backup; or, to start afresh knowing that, remove {marker}{also}")
    if new and outbox is not None and _holds_replies(outbox):
        raise LostHistory(
            f"{database}: the outbox database is new, but the outbox {outbox} already holds "
            f"replies: recreated, the database would send them again. Restore the database, "
            f"or move {outbox} away to start afresh")
    return new


def adopt(db: sqlite3.Connection, database: Path) -> None:
    """After connecting: give the database an id and its marker (a new one,
    or one from before ids), or check that they agree."""
    marker = marker_path(database)
    row = db.execute("SELECT value FROM meta WHERE key = 'id'").fetchone()
    if row is None:
        ident = uuid.uuid4().hex
        db.execute("INSERT INTO meta VALUES ('id', ?)", (ident,))
        _write_marker(marker, ident)
        return
    written = _read_marker(marker)
    if written is None:
        _write_marker(marker, row[0])
    elif written != row[0]:
        raise LostHistory(f"{database}: this database (outbox {row[0]}) is not the one {marker} "
                          f"names (outbox {written}): it was replaced. Restore the right one, "
                          f"or remove {marker} to adopt this one")


def _read_marker(marker: Path) -> str | None:
    try:
        text = marker.read_text(encoding="utf-8", errors="replace").strip()
    except FileNotFoundError:
        return None
    return text[len(_PREFIX):] if text.startswith(_PREFIX) else text


def _write_marker(marker: Path, ident: str) -> None:
    temporary = marker.with_name(f".{marker.name}.{os.getpid()}")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(f"{_PREFIX}{ident}\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, marker)


def _holds_replies(outbox: Path) -> bool:
    if outbox.is_file():
        return outbox.stat().st_size > 0
    if outbox.is_dir() and ((outbox / "cur").is_dir() or (outbox / "new").is_dir()):
        try:
            return len(mailbox.Maildir(str(outbox), create=False)) > 0
        except OSError:
            return False
    return False
