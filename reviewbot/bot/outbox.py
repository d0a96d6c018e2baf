"""The transactional outbox: every reply is recorded before anything else
happens to it, and sent at most once.

One SQLite table holds each reply with its key (patch Message-ID and the
fingerprints of its findings), the patch lineage and findings digest (so a
revision whose findings did not change gets no second reply), the message
bytes, the envelope, the lists it goes to, its state and timestamps:

``pending``   recorded (and copied to the outbox mbox or maildir), not sent;
``sending``   the whole message is with the server but for the final ``.``,
              which is on its way;
``sent``      the server accepted it;
``failed``    ambiguous: the final ``.`` left but the server's answer never
              came (a broken connection, a crash, SIGKILL), so the server
              may or may not have the reply.  Never resent by itself (never
              twice), and never forgotten: it stays in :meth:`Outbox.ambiguous`,
              and makes ``review --send`` exit 1, until a person re-queues it
              (:meth:`Outbox.requeue`, after checking the list archive for
              its Message-ID) or dismisses it (:meth:`Outbox.dismiss`).

A server that refuses a reply (4xx or 5xx) or cannot be reached leaves it
``pending``, with the server's answer in ``error``.

A crash before the final ``.`` leaves a reply ``pending`` (a server drops
a message whose end never came): the next :func:`send_pending` sends it
once.  A crash after it leaves ``sending``, which the next run turns into
``failed``.  Each reply keeps one Message-ID, derived from its key, across
every attempt, so the archive can tell whether it arrived.  A database that
lost its history is refused (:mod:`reviewbot.bot.outbox_history`).
Sends are serialised across processes by a lock file beside the database.
Replies go only to lists the configuration opts in, at most
``max_per_hour`` per list per hour.

Why this module is long: the transaction is the concept: recording, the
send loop and the state each reply moves through share one SQLite schema
and one set of invariants (never twice, never silently lost); the
history check and the admin commands already live beside it.
"""

from __future__ import annotations

import email.utils
import fcntl
import json
import mailbox
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

from reviewbot.config import BotConfig, SmtpConfig
from reviewbot.errors import ConfigError, ReviewbotError
import logging
from reviewbot.model import PatchReview, SeriesReview
from reviewbot.records import field, record
from reviewbot.bot.outbox_history import adopt, check_before_open
from reviewbot.bot.reply import REPLY_POLICY, ReplyPlan, compose, list_addresses, mailable, plan
from reviewbot.bot.smtp import (PermanentFailure, SmtpSession, TemporaryFailure,
                                 UncertainDelivery)

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
STATES = ("pending", "sending", "sent", "failed")
HOUR = 3600.0
#: Why a patch with findings gets no reply: nothing to put in In-Reply-To.
NO_MSGID = "no Message-ID to reply to"
#: The identity a configuration has when it never set one.
DEFAULT_EMAIL = BotConfig().email
AMBIGUOUS = ("interrupted after the whole message was handed to the server, before it answered: "
             "delivery unknown; not resent by itself (never twice). Check the list archive for "
             "its Message-ID, then 'reviewbot review --requeue MSGID' or '--dismiss MSGID'")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS replies (
    key         TEXT PRIMARY KEY,         -- patch Message-ID + finding fingerprints
    patch_msgid TEXT NOT NULL,
    lineage     TEXT NOT NULL,            -- the patch across revisions
    digest      TEXT NOT NULL,            -- its findings
    reply_msgid TEXT NOT NULL,
    subject     TEXT NOT NULL,
    sender      TEXT NOT NULL,            -- envelope sender
    recipients  TEXT NOT NULL,            -- JSON list, To + Cc
    lists       TEXT NOT NULL,            -- JSON list, the mailing lists among them
    message     BLOB NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    written     INTEGER NOT NULL DEFAULT 0, -- copied to the outbox mbox/maildir
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    created     REAL NOT NULL,
    updated     REAL NOT NULL,
    sent_at     REAL,
    dismissed   REAL                      -- a person closed an ambiguous ('failed') reply
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS replies_lineage ON replies (lineage, digest);
CREATE INDEX IF NOT EXISTS replies_state ON replies (state, created);
CREATE TABLE IF NOT EXISTS deliveries (  -- one row per list per sent reply: the rate limit
    list TEXT NOT NULL,
    at   REAL NOT NULL,
    key  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_list ON deliveries (list, at);
"""


class OutboxError(ReviewbotError):
    """The outbox database or file cannot be used."""


@record
class Stored:
    """One reply as the outbox holds it."""

    key: str
    reply_msgid: str
    subject: str
    sender: str
    recipients: tuple[str, ...]
    lists: tuple[str, ...]
    message: bytes
    state: str
    attempts: int = 0
    error: str | None = None


@record(frozen=False)
class SendReport:
    """What one :func:`send_pending` run did, reply keys in each bucket."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # outcome unknown: never retried
    retry: list[str] = field(default_factory=list)  # refused or unreachable: still pending
    deferred: list[str] = field(default_factory=list)  # rate limit reached: next hour
    held: list[str] = field(default_factory=list)  # no opted-in list among the recipients
    swept: list[str] = field(default_factory=list)  # found 'sending' from a crashed run
    errors: list[str] = field(default_factory=list)  # what the server said
    ambiguous: list[str] = field(default_factory=list)  # every 'failed' reply no person decided on yet

    @property
    def ok(self) -> bool:
        """True when nothing that was tried failed and nothing waits for a person."""
        return not (self.failed or self.retry or self.swept or self.ambiguous)


class Outbox:
    """The reply database and the outbox file (mbox when ``path`` ends in
    ``.mbox`` or is a file, else a maildir)."""

    def __init__(self, database: str | os.PathLike[str], path: str | os.PathLike[str] | None) -> None:
        self.database = Path(database)
        self.path = Path(path) if path is not None else None
        try:
            check_before_open(self.database, self.path)
            if self.database.parent != Path(""):
                self.database.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.database), timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(_SCHEMA)
            columns = {row[1] for row in self.db.execute("PRAGMA table_info(replies)")}
            if "dismissed" not in columns:  # a database from before --dismiss
                self.db.execute("ALTER TABLE replies ADD COLUMN dismissed REAL")
            row = self.db.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                self.db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            elif row[0] != SCHEMA_VERSION:
                raise OutboxError(f"{self.database}: outbox schema {row[0]}, this reviewbot "
                                  f"knows {SCHEMA_VERSION}")
            adopt(self.db, self.database)
        except sqlite3.Error as exc:
            raise OutboxError(f"{self.database}: cannot open the outbox database: {exc}") from exc

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def __enter__(self) -> "Outbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- recording ------------------------------------------------------------

    def known(self, plan: ReplyPlan) -> str | None:
        """Why this reply must not be composed again, or None: the same key
        was recorded, or an earlier revision of the patch got a reply about
        the same findings."""
        row = self.db.execute("SELECT state FROM replies WHERE key = ?", (plan.key,)).fetchone()
        if row is not None:
            return f"already recorded ({row[0]})"
        row = self.db.execute("SELECT patch_msgid, state FROM replies WHERE lineage = ? AND digest = ?",
                              (plan.lineage, plan.digest)).fetchone()
        if row is not None:
            return f"same findings as the reply to <{row[0]}> ({row[1]})"
        return None

    def record(self, plan: ReplyPlan, message: EmailMessage, lists: tuple[str, ...], *,
               now: float) -> bool:
        """Record a composed reply as pending and copy it to the outbox
        file.  False (and nothing done) when :meth:`known` objects."""
        data = message.as_bytes()
        recipients = tuple(dict.fromkeys(
            address.lower() for _, address in email.utils.getaddresses(
                [str(v) for v in (*message.get_all("To", []), *message.get_all("Cc", []))])
            if address))
        sender = email.utils.parseaddr(str(message["From"]))[1]
        with self._transaction() as db:
            if self.known(plan) is not None:
                return False
            db.execute(
                "INSERT INTO replies (key, patch_msgid, lineage, digest, reply_msgid, subject, sender,"
                " recipients, lists, message, state, created, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (plan.key, plan.patch_msgid, plan.lineage, plan.digest, str(message["Message-ID"]),
                 str(message["Subject"]), sender, json.dumps(recipients), json.dumps(list(lists)),
                 data, now, now))
        self.flush_files()
        return True

    def flush_files(self) -> int:
        """Copy every recorded reply not yet in the outbox file there (a
        crash between recording and copying is mended on the next run)."""
        if self.path is None:
            return 0
        rows = self.db.execute("SELECT key, message, created FROM replies WHERE written = 0"
                               " ORDER BY created, key").fetchall()
        for key, data, created in rows:
            self._write_file(bytes(data), created)
            self.db.execute("UPDATE replies SET written = 1 WHERE key = ?", (key,))
        return len(rows)

    def _write_file(self, data: bytes, created: float) -> None:
        assert self.path is not None
        try:
            if self.path.suffix == ".mbox" or self.path.is_file():
                append_mboxrd(self.path, data, created)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                box = mailbox.Maildir(str(self.path), create=True)
                box.add(data)
        except OSError as exc:
            raise OutboxError(f"{self.path}: cannot write the outbox: {exc.strerror or exc}") from exc

    # --- reading ----------------------------------------------------------------

    def replies(self, *states: str) -> list[Stored]:
        """Stored replies in the given states (all when none), oldest first."""
        query = ("SELECT key, reply_msgid, subject, sender, recipients, lists, message, state,"
                 " attempts, error FROM replies")
        params: tuple[str, ...] = ()
        if states:
            query += f" WHERE state IN ({', '.join('?' * len(states))})"
            params = states
        rows = self.db.execute(query + " ORDER BY created, key", params).fetchall()
        return [Stored(key=r[0], reply_msgid=r[1], subject=r[2], sender=r[3],
                       recipients=tuple(json.loads(r[4])), lists=tuple(json.loads(r[5])),
                       message=bytes(r[6]), state=r[7], attempts=r[8], error=r[9]) for r in rows]

    def counts(self) -> dict[str, int]:
        """How many replies are in each state; ``failed`` counts the
        ambiguous ones still waiting for a person, ``dismissed`` the others."""
        counts = dict.fromkeys((*STATES, "dismissed"), 0)
        for state, number in self.db.execute(
                "SELECT CASE WHEN dismissed IS NULL THEN state ELSE 'dismissed' END AS s, count(*)"
                " FROM replies GROUP BY s"):
            counts[state] = number
        return counts

    # --- ambiguous replies: a person decides ------------------------------------------

    def ambiguous(self) -> list[Stored]:
        """Replies whose delivery is unknown and that nobody decided on."""
        keys = {row[0] for row in self.db.execute(
            "SELECT key FROM replies WHERE state = 'failed' AND dismissed IS NULL")}
        return [r for r in self.replies("failed") if r.key in keys]

    def find(self, ident: str) -> Stored:
        """The reply with Message-ID ``ident`` (angle brackets optional) or a
        key starting with it (at least 8 characters); OutboxError otherwise."""
        msgid = "<" + ident.strip().strip("<>") + ">"
        matches = [r for r in self.replies() if r.reply_msgid == msgid
                   or (len(ident) >= 8 and r.key.startswith(ident))]
        if len(matches) != 1:
            problem = "no reply" if not matches else f"{len(matches)} replies"
            raise OutboxError(f"{self.database}: {problem} with Message-ID or key {ident!r} "
                              f"(reviewbot review --status lists them)")
        return matches[0]

    def requeue(self, key: str, now: float) -> None:
        """Make an ambiguous reply pending again: the next send delivers it
        (a second copy if the first did arrive: check the archive first)."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE replies SET state = 'pending', updated = ?, dismissed = NULL,"
                " error = 'put back in the queue by hand after an ambiguous delivery'"
                " WHERE key = ? AND state = 'failed'", (now, key))
            if cursor.rowcount != 1:
                raise OutboxError(f"reply {key[:12]}: only an ambiguous ('failed') reply can be re-queued")

    def dismiss(self, key: str, now: float) -> None:
        """Close an ambiguous reply for good (it arrived, or should not)."""
        with self._transaction() as db:
            cursor = db.execute("UPDATE replies SET dismissed = ?, updated = ? WHERE key = ?"
                                " AND state = 'failed' AND dismissed IS NULL", (now, now, key))
            if cursor.rowcount != 1:
                raise OutboxError(f"reply {key[:12]}: only an open ambiguous ('failed') reply can "
                                  "be dismissed")

    def revise(self, key: str, message: bytes, sender: str) -> None:
        """Replace a pending reply's message and envelope sender (see
        :func:`as_sent`), so the record holds what is sent."""
        with self._transaction() as db:
            db.execute("UPDATE replies SET message = ?, sender = ? WHERE key = ? AND state = 'pending'",
                       (message, sender, key))

    def sent_in_last_hour(self, address: str, now: float) -> int:
        """Replies delivered to list ``address`` in the hour before ``now``."""
        row = self.db.execute("SELECT count(*) FROM deliveries WHERE list = ? AND at > ?",
                              (address, now - HOUR)).fetchone()
        return int(row[0])

    # --- state changes -------------------------------------------------------------

    def _set(self, key: str, state: str, now: float, *, expect: str, error: str | None = None,
             sent_lists: tuple[str, ...] = ()) -> None:
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE replies SET state = ?, updated = ?, error = ?,"
                " attempts = attempts + (? = 'sending'),"
                " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END"
                " WHERE key = ? AND state = ?",
                (state, now, error, state, state, now, key, expect))
            if cursor.rowcount != 1:
                raise OutboxError(f"reply {key[:12]}: expected state {expect!r}, found another")
            for address in sent_lists:
                db.execute("INSERT INTO deliveries VALUES (?, ?, ?)", (address, now, key))

    def sweep(self, now: float) -> list[str]:
        """Replies left ``sending`` by a run that died during the hand-off:
        the server may have them, so they become ``failed``, never resent."""
        keys = [r.key for r in self.replies("sending")]
        for key in keys:
            self._set(key, "failed", now, expect="sending", error=AMBIGUOUS)
            log.warning("reply %s was being sent when a run stopped: delivery unknown (see "
                        "reviewbot review --status)", key[:12])
        return keys

    @contextmanager
    def send_lock(self) -> Iterator[None]:
        """Only one process sends from this outbox at a time."""
        lock_path = self.database.with_name(self.database.name + ".lock")
        with open(lock_path, "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                raise OutboxError(f"{self.database}: another reviewbot is sending from this "
                                  f"outbox") from exc
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def append_mboxrd(path: Path, data: bytes, created: float) -> None:
    """Append one message to an mboxrd file (``>From`` quoting, locked)."""
    data = data.replace(b"\r\n", b"\n")
    lines = data.split(b"\n")
    quoted = [b">" + line if line.lstrip(b">").startswith(b"From ") else line for line in lines]
    body = b"\n".join(quoted).rstrip(b"\n") + b"\n\n"
    stamp = time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(created)).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.write(b"From reviewbot " + stamp + b"\n" + body)
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- composing and recording ---------------------------------------------------------


@record
class Queued:
    """What became of one patch review: ``written`` (a new reply, pending),
    ``duplicate`` (the same reply, or the same findings on an earlier
    revision, is already recorded) or ``none`` (no reply is due)."""

    patch_msgid: str | None
    status: str
    key: str | None = None
    reason: str = ""


class ReplyQueue:
    """Compose the replies a series review calls for and record them:
    the edge where the clock is read for the pure composer.  The review
    command and the watcher both hand their reviews to :meth:`queue`."""

    def __init__(self, outbox: Outbox, bot: BotConfig, *, rules_version: str,
                 clock: Callable[[], float] = time.time, msgid_domain: str | None = None) -> None:
        self.outbox = outbox
        self.bot = bot
        self.rules_version = rules_version
        self.clock = clock
        self.msgid_domain = msgid_domain
        self.results: list[Queued] = []

    def queue(self, review: SeriesReview, patches: Sequence[PatchReview] | None = None) -> int:
        """Record a reply for each of ``patches`` (default: all of the
        review's) that needs one; returns how many were new."""
        written = 0
        for patch_review in review.patches if patches is None else patches:
            result = self._one(review, patch_review)
            self.results.append(result)
            written += result.status == "written"
        return written

    def _one(self, review: SeriesReview, patch_review: PatchReview) -> Queued:
        msgid = patch_review.patch.message.msgid
        the_plan = plan(patch_review, self.bot)
        if the_plan is None:
            if not msgid and mailable(patch_review.findings, self.bot):
                return Queued(msgid, "none", reason=NO_MSGID)
            return Queued(msgid, "none")
        why = self.outbox.known(the_plan)
        if why is not None:
            return Queued(msgid, "duplicate", the_plan.key, why)
        now = self.clock()
        message = compose(patch_review, review.series, self.bot, rules_version=self.rules_version,
                          date=email.utils.formatdate(now, localtime=True),
                          msgid_domain=self.msgid_domain)
        if message is None:  # plan() said yes, so compose() does too
            return Queued(msgid, "none")
        lists = list_addresses(patch_review.patch.message)
        if not self.outbox.record(the_plan, message, lists, now=now):
            return Queued(msgid, "duplicate", the_plan.key, "recorded by another run meanwhile")
        return Queued(msgid, "written", the_plan.key)


# --- sending ---------------------------------------------------------------------------


def envelope(stored: Stored, opt_in: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(recipients, opted-in lists) for a reply: the people, plus only the
    lists that opted in; nobody at all when no list did."""
    allowed = {address.lower() for address in opt_in}
    lists = [a for a in dict.fromkeys((*stored.lists, *stored.recipients)) if a in allowed]
    if not lists:
        return [], []
    others = set(stored.lists) - set(lists)
    return [r for r in stored.recipients if r not in others], lists


def as_sent(stored: Stored, recipients: Sequence[str], bot: BotConfig | None) -> tuple[bytes, str]:
    """(message, envelope sender) of a reply as it goes out now: From the
    configured bot (a reply written before ``bot.email`` was set goes out
    as the bot it is now), To and Cc only the envelope's recipients (a list
    that did not opt in is not named in a header it is not sent to).
    Unchanged bytes when nothing differs."""
    import email.parser

    message = email.parser.BytesParser(policy=REPLY_POLICY).parsebytes(stored.message)
    changed = False
    sender = stored.sender
    if bot is not None and (stored.sender.lower() != bot.email.lower()
                            or email.utils.parseaddr(str(message["From"]))[0] != bot.name):
        sender = bot.email
        message.replace_header("From", email.utils.formataddr((bot.name, bot.email)))
        changed = True
    keep = {address.lower() for address in recipients}
    for header in ("To", "Cc"):
        values = [str(v) for v in message.get_all(header, [])]
        pairs = email.utils.getaddresses(values)
        kept = [email.utils.formataddr(p) for p in pairs if p[1].lower() in keep]
        if len(kept) != len(pairs):
            del message[header]
            if kept:
                message[header] = ", ".join(kept)
            changed = True
    return (message.as_bytes() if changed else stored.message), sender


def send_pending(outbox: Outbox, config: SmtpConfig, *, env: Mapping[str, str],
                 clock: Callable[[], float] = time.time,
                 session: SmtpSession | None = None, bot: BotConfig | None = None) -> SendReport:
    """Send every pending reply that may go out now, each exactly once;
    as ``bot`` when given (see :func:`as_sent`)."""
    report = SendReport()
    with outbox.send_lock():
        report.swept = outbox.sweep(clock())
        pending = outbox.replies("pending")
        if pending:
            own = session or SmtpSession(config, env)
            try:
                _send_all(outbox, config, own, pending, report, clock, bot)
            finally:
                if session is None:
                    own.close()
        report.ambiguous = [r.key for r in outbox.ambiguous()]
    return report


def _send_all(outbox: Outbox, config: SmtpConfig, session: SmtpSession, pending: list[Stored],
              report: SendReport, clock: Callable[[], float], bot: BotConfig | None = None) -> None:
    down: str | None = None  # the server is unreachable: keep the rest pending
    for stored in pending:
        recipients, lists = envelope(stored, config.opt_in_lists)
        if not recipients:
            report.held.append(stored.key)
            log.info("not sending %s: none of its lists (%s) opted in", stored.reply_msgid,
                     ", ".join(stored.lists) or "none")
            continue
        now = clock()
        full = [a for a in lists if outbox.sent_in_last_hour(a, now) >= config.max_per_hour]
        if full:
            report.deferred.append(stored.key)
            log.info("not sending %s this hour: %s reached %d replies", stored.reply_msgid,
                     ", ".join(full), config.max_per_hour)
            continue
        if down is None and not _connected(session):
            try:
                session.connect()
            except (TemporaryFailure, PermanentFailure) as exc:
                down = str(exc)
                report.errors.append(down)
                log.warning("cannot reach the SMTP server: %s", exc)
        if down is not None:
            report.retry.append(stored.key)
            continue
        data, sender = as_sent(stored, recipients, bot)
        if data != stored.message:  # the record holds what is sent
            outbox.revise(stored.key, data, sender)
        try:
            session.deliver(sender, recipients, data,
                            on_handoff=lambda key=stored.key: outbox._set(key, "sending", clock(),
                                                                          expect="pending"))
        except (TemporaryFailure, PermanentFailure) as exc:
            # Refused (for now or for good) or unreachable: surely not taken, so
            # it stays pending and the next --send tries again.
            _back_to_pending(outbox, stored.key, str(exc), clock())
            report.retry.append(stored.key)
            report.errors.append(str(exc))
            log.warning("%s stays pending: %s", stored.reply_msgid, exc)
            if not _connected(session):
                down = str(exc)
            continue
        except UncertainDelivery as exc:
            outbox._set(stored.key, "failed", clock(), expect="sending", error=f"{exc}; {AMBIGUOUS}")
            report.failed.append(stored.key)
            report.errors.append(str(exc))
            log.warning("%s: %s; not retried", stored.reply_msgid, exc)
            down = str(exc)
            continue
        outbox._set(stored.key, "sent", clock(), expect="sending", sent_lists=tuple(lists))
        report.sent.append(stored.key)
        log.info("sent %s to %s", stored.reply_msgid, ", ".join(recipients))


def _state(outbox: Outbox, key: str) -> str | None:
    row = outbox.db.execute("SELECT state FROM replies WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _back_to_pending(outbox: Outbox, key: str, error: str, now: float) -> None:
    """A temporary failure: the reply was surely not taken, it stays pending."""
    state = _state(outbox, key)
    if state == "sending":
        outbox._set(key, "pending", now, expect="sending", error=error)
    elif state == "pending":
        outbox.db.execute("UPDATE replies SET error = ?, updated = ? WHERE key = ?", (error, now, key))


def _connected(session: SmtpSession) -> bool:
    return getattr(session, "_smtp", None) is not None


def check_smtp_config(config: SmtpConfig, env: Mapping[str, str] | None = None,
                      bot: BotConfig | None = None) -> None:
    """Refuse a configuration that cannot send, or would log in without
    TLS (before any work is done); warn when the bot would write to lists
    as the default identity nobody can answer."""
    from reviewbot.bot.smtp import refuse_plaintext_login

    if config.max_per_hour < 1:
        raise ConfigError("smtp.max-per-hour must be at least 1")
    if env is not None and config.user_env and env.get(config.user_env):
        refuse_plaintext_login(config)
    if not config.opt_in_lists:
        log.warning("smtp.opt-in-lists is empty: no reply will be sent")
    elif bot is not None and bot.email.lower() == DEFAULT_EMAIL:
        log.warning("bot.email is the default %s: replies to %s would come from an address "
                    "nobody can answer; set bot.email (and bot.name) in your own configuration",
                    DEFAULT_EMAIL, ", ".join(config.opt_in_lists))
