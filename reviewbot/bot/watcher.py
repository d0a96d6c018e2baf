"""The thread watcher: poll, read threads, assemble series, review, reply.

:func:`run_once` is one poll, the tested unit:

1. each query of ``watch.queries`` is searched on its list for what was
   received since its last successful poll (an ``rt:`` range, with an hour
   of overlap for mail indexed late); the matches (*hits*) and the new
   ``rt:`` bound are recorded together;
2. the thread of every hit not yet handled, and of every series still
   waiting, is read (``t.mbox.gz``); its patches are grouped into series;
3. a series with a hit in it is reviewed once all its ``m/n`` patches are
   there -- or when ``watch.series-timeout`` seconds have passed since the
   watcher first saw it (or it was already that old when first seen) --;
   the replies go to the outbox, and the series and its patches are
   recorded as reviewed.  A patch is reviewed once; a v2 is a new series.

A poll is bounded: it ends at ``watch.poll-deadline`` (what is left waits
for the next poll), a server out of reach ends its reading of threads, and
a thread that cannot be read is tried again on later polls, each time
waiting longer (:data:`THREAD_BACKOFF`), and given up after
:data:`MAX_THREAD_TRIES` -- remembered in the state and shown by
``watch --status``.

Every step is a transaction of :class:`~reviewbot.bot.state.StateStore`: a
watcher stopped anywhere starts again where it was.  Replies are handed to
the outbox before the state records them, so a crash in between can only
hand the same reply twice -- which the outbox, keyed by the reply, refuses.

:func:`run_forever` adds the sleep between polls (never under
:data:`MIN_INTERVAL`), backoff after failures, and SIGINT/SIGTERM handling.
A Maildir filled by ``lei up`` can stand in for lore (:class:`MaildirSource`).

Why this module is long: one poll is one concept: the sources (lore, a
maildir), the thread and series bookkeeping and the poll's own bounds
(deadline, retries, giving up) are the steps of :func:`run_once` and are
read top to bottom together.
"""

from __future__ import annotations

import email.utils
import os
import random
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from reviewbot.config import Config, WatchQuery
from reviewbot.errors import RemoteError
import logging
from reviewbot.mail.series import is_reply, parse_subject
from reviewbot.model import Message, PatchReview, Series, SeriesReview
from reviewbot.pipeline import Malformed, assemble, read_messages, split_read
from reviewbot.records import record
from reviewbot.bot.reply import is_own_mail
from reviewbot.bot.state import SeriesRecord, StateStore

log = logging.getLogger(__name__)

#: Seconds between polls that no configuration can go under.
MIN_INTERVAL = 60
#: Seconds before the last poll that the next ``rt:`` range starts, for
#: mail the server indexed after it was received.
RT_OVERLAP = 3600
#: Longest wait after repeated failures.
MAX_BACKOFF = 3600
#: Attempts at reviewing a series before it is given up as failed.
MAX_REVIEW_ATTEMPTS = 3
#: Attempts at reading a hit's thread before the hit is given up.
MAX_THREAD_TRIES = 5
#: Seconds before a thread that could not be read is tried again, doubled
#: at each failure: 5, 10, 20, 40 min, then given up.
THREAD_BACKOFF = 300
#: Seconds one ``watch --once`` may sleep between retries in all (a cron
#: run does not wait out a long ``Retry-After``; the next run comes).
ONCE_MAX_SLEEP = 30
#: Seconds after it was first seen that the thread of a series reviewed
#: incomplete is still read for its late patches.
LATE_WINDOW = 86400

ReviewFn = Callable[[Series, Any, Config], SeriesReview]


@record
class Outcome:
    """What one step of a poll did.  ``action`` is ``polled`` (a query was
    searched), ``waiting`` (a series is incomplete), ``reviewed``,
    ``failed`` (the review crashed) or ``error`` (the server failed)."""

    action: str
    list: str
    key: str = ""
    title: str = ""
    version: int | None = None
    present: int = 0
    total: int | None = None
    replies: int = 0
    findings: int = 0
    detail: str = ""
    retry_after: float | None = None  # the server asked not to come back sooner


class Source(Protocol):
    """Where hits and threads come from: lore, or a Maildir."""

    def poll(self, store: StateStore, now: float) -> list[Outcome]:
        """Record new hits in ``store``; one outcome per query."""

    def thread(self, list_name: str, msgid: str) -> list[Message] | None:
        """The messages of the thread of ``msgid``, or None if unknown."""


class Outbox(Protocol):
    """Where replies go: ``queue`` takes the review of a series and the
    patch reviews to reply to, and returns how many replies it queued."""

    def queue(self, review: SeriesReview, patches: Sequence[PatchReview]) -> int:
        """Queue the replies for ``patches``."""


# --- sources ----------------------------------------------------------------------------


class LoreSource:
    """Hits from searching a public-inbox server, threads as ``t.mbox.gz``."""

    def __init__(self, client: Any, queries: Iterable[WatchQuery], *, lookback: float) -> None:
        self.client = client
        self.queries = tuple(queries)
        self.lookback = lookback

    def poll(self, store: StateStore, now: float) -> list[Outcome]:
        """Search each query from its last poll on; record hits and the poll."""
        outcomes = []
        for q in self.queries:
            last = store.last_poll(q.list, q.query)
            since = (now - self.lookback) if last is None else last - RT_OVERLAP
            try:
                entries = self.client.search(q.list, q.query, since=since)
            except RemoteError as exc:
                log.warning("poll of %s for %r failed: %s", q.list, _brief(q.query), exc)
                with store.transaction():
                    store.record_poll_error(q.list, q.query, now, str(exc))
                outcomes.append(Outcome("error", q.list, detail=str(exc),
                                        retry_after=getattr(exc, "retry_after", None)))
                continue
            with store.transaction():
                new = store.add_hits(q.list, (e.msgid for e in entries), now)
                store.record_poll(q.list, q.query, now, len(new))
            log.info("polled %s for %r: %s, %d new", q.list, q.query, _n(len(entries), "match", "matches"), len(new))
            outcomes.append(Outcome("polled", q.list, present=len(new), detail=q.query))
        return outcomes

    def begin_poll(self, seconds: float, max_sleep: float | None) -> None:
        """Bound the poll about to start (see :meth:`LoreClient.start_poll`)."""
        start = getattr(self.client, "start_poll", None)
        if start is not None:
            start(seconds, max_sleep)

    def thread(self, list_name: str, msgid: str) -> list[Message] | None:
        """The thread of ``msgid`` from the server."""
        data = self.client.thread_mbox(list_name, msgid)
        if data is None:
            return None
        if not data.strip():
            return []
        messages, malformed = split_read(read_messages(data, f"{list_name}/{msgid}/t.mbox.gz"))
        for bad in malformed:
            log.warning("skipped %s", bad)
        return messages


class MaildirSource:
    """Hits from a Maildir that ``lei up`` (or anything) fills: every
    message in it that is not a reply is a hit; a thread is the files that
    share a thread root.  The Maildir is only read, never changed."""

    list_name = "maildir"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._files: dict[str, Path] = {}
        self._store: StateStore | None = None

    def _scan(self) -> dict[str, Path]:
        files = {}
        for sub in ("cur", "new"):
            folder = self.path / sub
            if not folder.is_dir():
                continue
            for entry in os.scandir(folder):
                if entry.is_file() and not entry.name.startswith("."):
                    files[entry.name.split(":", 1)[0]] = Path(entry.path)
        return files

    def poll(self, store: StateStore, now: float) -> list[Outcome]:
        """Read the files not read before; record them and their hits."""
        if not (self.path / "cur").is_dir() and not (self.path / "new").is_dir():
            error = f"{self.path}: not a Maildir (no cur/ or new/)"
            log.warning("%s", error)
            return [Outcome("error", self.list_name, detail=error)]
        self._files = self._scan()
        self._store = store
        new_files = sorted(set(self._files) - store.maildir_known())
        new_hits = 0
        for name in new_files:
            message = self._read(name)
            with store.transaction():
                if message is None or not message.msgid:
                    store.add_maildir(name, None, None)
                    continue
                root = (message.references[0] if message.references
                        else message.in_reply_to or message.msgid)
                store.add_maildir(name, message.msgid, root)
                if not is_reply(message):
                    new_hits += len(store.add_hits(self.list_name, [message.msgid], now))
        log.info("read %s: %s, %s", self.path, _n(len(new_files), "new file"), _n(new_hits, "new hit"))
        return [Outcome("polled", self.list_name, present=new_hits, detail=str(self.path))]

    def thread(self, list_name: str, msgid: str) -> list[Message] | None:
        """The messages of the Maildir in the thread of ``msgid`` (after
        :meth:`poll`, which names the files and the store)."""
        names = self._store.maildir_thread(msgid) if self._store is not None else []
        if not names:
            return None
        return [m for m in (self._read(n) for n in names) if m is not None]

    def _read(self, name: str) -> Message | None:
        path = self._files.get(name)
        if path is None:
            return None
        try:
            data = path.read_bytes()
        except OSError as exc:  # moved by a mail reader meanwhile
            log.warning("%s: cannot read: %s", path, exc.strerror or exc)
            return None
        for item in read_messages(data, str(path)):
            if isinstance(item, Malformed):
                log.warning("skipped %s", item)
                return None
            return item
        return None


def as_source(client: Any, config: Config) -> Any:
    """``client`` itself if it is a source, else lore searches through it."""
    if hasattr(client, "poll") and hasattr(client, "thread"):
        return client
    return LoreSource(client, config.watch.queries, lookback=config.watch.initial_lookback)


# --- one poll ------------------------------------------------------------------------------


def run_once(client: Any, store: StateStore, ruleset: Any, config: Config, outbox: Outbox | None, *,
             now: float | None = None, review: ReviewFn | None = None,
             stop: Callable[[], bool] | None = None, max_sleep: float | None = None) -> list[Outcome]:
    """One poll: new hits, their threads, series reviewed when complete or
    timed out, replies to ``outbox``, everything recorded in ``store``.

    ``client`` is a :class:`~reviewbot.bot.lore.LoreClient` (searched with
    ``config.watch.queries``) or a source such as :class:`MaildirSource`.
    ``review`` defaults to :func:`reviewbot.engine.review`.  ``stop`` is
    asked between steps; when it says so, the poll ends after the current
    step, with everything done so far recorded.  The poll ends, the same
    way, at ``watch.poll-deadline``; ``max_sleep`` bounds the seconds it
    sleeps between retries of the server in all."""
    now = time.time() if now is None else now
    stop = stop or (lambda: False)
    review = review or _engine_review
    source = as_source(client, config)
    ends = time.monotonic() + config.watch.poll_deadline
    if hasattr(source, "begin_poll"):
        source.begin_poll(config.watch.poll_deadline, max_sleep)
    outcomes: list[Outcome] = source.poll(store, now)
    covered: set[str] = set()
    work: list[tuple[str, str, SeriesRecord | None]] = [(l, m, None) for l, m in store.todo_hits()]
    for record in store.waiting_series():
        if record.status == "partial" and now - record.first_seen > LATE_WINDOW:
            with store.transaction():
                store.close_series(record.key)
            log.info("no more waiting for the rest of %r v%d", record.title, record.version)
            continue
        work.append((record.list, record.thread, record))
    for done, (list_name, msgid, waiting) in enumerate(work):
        if stop():
            log.info("stopping: %s left for the next poll", _n(len(work) - done, "thread"))
            break
        if time.monotonic() >= ends:
            left = f"the poll's deadline of {config.watch.poll_deadline} s passed; " \
                   f"{len(work) - done} thread(s) left for the next poll"
            log.warning("%s", left)
            outcomes.append(Outcome("error", list_name, key=msgid, detail=left))
            break
        if msgid in covered or (store.next_try(msgid) or 0) > now:
            continue
        try:
            messages = source.thread(list_name, msgid)
        except RemoteError as exc:
            log.warning("cannot read the thread of %s: %s", msgid, exc)
            outcomes.append(Outcome("error", list_name, key=msgid, detail=str(exc),
                                    retry_after=getattr(exc, "retry_after", None)))
            if getattr(exc, "server_down", False):
                log.warning("%d thread(s) left for the next poll", len(work) - done)
                break
            _thread_failed(store, msgid, waiting, now, str(exc))
            continue
        if messages is None:
            _thread_missing(store, list_name, msgid, waiting, now)
            continue
        covered.update(m.msgid for m in messages if m.msgid)
        covered.add(msgid)
        outcomes += _handle_thread(store, list_name, msgid, messages, ruleset, config, outbox,
                                   review, now)
    _log_summary(outcomes)
    return outcomes


def _thread_missing(store: StateStore, list_name: str, msgid: str, waiting: SeriesRecord | None,
                    now: float) -> None:
    """The server does not (yet) know a message it found: try again later,
    a few times (a waiting series: for a day)."""
    with store.transaction():
        tries = store.note_try(msgid)
        if waiting is None and tries >= MAX_THREAD_TRIES:
            log.warning("%s: no thread after %d tries; given up", msgid, tries)
            store.mark_done([msgid])
        elif waiting is not None and now - waiting.first_seen > LATE_WINDOW:
            log.warning("%r v%d: its thread is gone from the server; given up", waiting.title,
                        waiting.version)
            store.mark_failed(waiting.key, now, "the thread is gone from the server", give_up=True)
        else:
            log.info("%s: thread not found on %s; will try again", msgid, list_name)


def _thread_failed(store: StateStore, msgid: str, waiting: SeriesRecord | None, now: float,
                   error: str) -> None:
    """Reading a thread failed: try it again on a later poll, waiting
    longer each time; after :data:`MAX_THREAD_TRIES`, give it up."""
    with store.transaction():
        tries = store.note_try(msgid)
        if tries < MAX_THREAD_TRIES:
            store.retry_later(msgid, now + THREAD_BACKOFF * 2 ** (tries - 1), error)
            return
        log.warning("%s: the thread could not be read in %d tries; given up", msgid, tries)
        store.give_up_thread(msgid, error)
        if waiting is not None:
            store.mark_failed(waiting.key, now, f"its thread could not be read: {error}", give_up=True)


def _handle_thread(store: StateStore, list_name: str, msgid: str, messages: list[Message],
                   ruleset: Any, config: Config, outbox: Outbox | None, review: ReviewFn,
                   now: float) -> list[Outcome]:
    """Record a thread's messages and act on each series with a hit."""
    outcomes = []
    messages = [m for m in messages if not is_own_mail(m, config.bot)]
    ids = [m.msgid for m in messages if m.msgid]
    with store.transaction():
        store.add_seen(list_name, ids, now)
        hits = store.hits_among(ids) | ({msgid} if store.is_hit(msgid) else set())
        for series in _series_in(messages):
            members = {p.message.msgid for p in series.patches if p.message.msgid}
            if series.cover is not None and series.cover.msgid:
                members.add(series.cover.msgid)
            if not members & hits:
                continue
            outcome = _handle_series(store, list_name, series, sorted(members & hits)[0], ruleset,
                                     config, outbox, review, now)
            if outcome is not None:
                outcomes.append(outcome)
        store.mark_done(hits)
    if outbox is not None:  # the code reviewers suggest in the thread's replies (issue 17)
        from reviewbot.pipeline import review_replies
        from reviewbot.suggestion_review import queue_replies
        queued = queue_replies(outbox, review_replies(messages, ruleset, config))
        if queued:
            log.info("%s: %d reply(ies) queued to suggested code", msgid, queued)
    return outcomes


def _handle_series(store: StateStore, list_name: str, series: Series, thread: str, ruleset: Any,
                   config: Config, outbox: Outbox | None, review: ReviewFn, now: float) -> Outcome | None:
    key = series_key(series)
    present = len(series.patches)
    record = store.upsert_series(key, list_name=list_name, thread=thread, title=series.title,
                                 version=series.version, total=series.total, present=present, now=now)
    base = dict(list=list_name, key=key, title=series.title, version=series.version,
                present=present, total=series.total)
    if record.status == "failed":
        return None
    done = store.reviewed_patches(p.message.msgid for p in series.patches if p.message.msgid)
    todo = [p for p in series.patches if p.message.msgid not in done]
    complete = is_complete(series)
    if not todo:
        if record.status == "waiting" or (record.status == "partial" and complete):
            store.mark_reviewed(key, now, (), 0, complete=complete)
        return None
    ready, why = is_ready(series, record, now, config.watch.series_timeout)
    if not ready:
        log.info("waiting for %s: %d of %s patches", _name(series), present, series.total)
        return Outcome("waiting", **base)  # type: ignore[arg-type]
    try:
        result = review(series, ruleset, config)
    except Exception as exc:  # noqa: BLE001 - a crash in reviewbot never mails, never stops the watcher
        give_up = record.attempts + 1 >= MAX_REVIEW_ATTEMPTS
        log.error("reviewing %s failed (attempt %d): %s: %s", _name(series), record.attempts + 1,
                  type(exc).__name__, exc, exc_info=log.isEnabledFor(logging.DEBUG))
        store.mark_failed(key, now, f"{type(exc).__name__}: {exc}", give_up=give_up)
        return Outcome("failed", detail=f"{type(exc).__name__}: {exc}", **base)  # type: ignore[arg-type]
    todo_ids = {p.message.msgid for p in todo}
    to_reply = [pr for pr in result.patches if pr.patch.message.msgid in todo_ids]
    replies = int(outbox.queue(result, to_reply) or 0) if outbox is not None and to_reply else 0
    findings = sum(len(pr.findings) for pr in to_reply)
    store.mark_reviewed(key, now, ((pr.patch.message.msgid, len(pr.findings)) for pr in to_reply
                                   if pr.patch.message.msgid), replies, complete=complete)
    log.info("reviewed %s (%s; %s): %s, %s queued", _name(series), why, _n(len(to_reply), "patch", "patches"),
             _n(findings, "finding"), _n(replies, "reply", "replies"))
    return Outcome("reviewed", replies=replies, findings=findings, detail=why, **base)  # type: ignore[arg-type]


def _series_in(messages: list[Message]) -> list[Series]:
    """The series of a thread, one revision at a time: a v2 posted in reply
    to v1 shares v1's thread but is a series of its own."""
    by_version: dict[int, list[Message]] = {}
    for message in messages:
        by_version.setdefault(parse_subject(message.subject).version, []).append(message)
    found: list[Series] = []
    for _, group in sorted(by_version.items()):
        found.extend(assemble(group)[0])
    return found


def is_complete(series: Series) -> bool:
    """True when every patch ``1..n`` of ``[PATCH m/n]`` is there (a lone
    patch without a count is complete)."""
    if series.total is None:
        return True
    return {p.tags.index for p in series.patches} >= set(range(1, series.total + 1))


def is_ready(series: Series, record: SeriesRecord, now: float, timeout: float) -> tuple[bool, str]:
    """Whether to review ``series`` now, and why: all its patches are
    there; or part of it was reviewed already (these are late parts); or
    ``timeout`` seconds passed since it was first seen; or it was already
    that old (by its mail dates) when first seen, as in a catch-up."""
    if is_complete(series):
        return True, "complete"
    if record.status == "partial":
        return True, "late patches"
    if now - record.first_seen >= timeout:
        return True, f"incomplete after {timeout:.0f} s"
    dates = [d for d in (_mail_time(p.message) for p in series.patches) if d is not None]
    if dates and record.first_seen - max(dates) >= timeout:
        return True, "incomplete, and older than the timeout when first seen"
    return False, "incomplete"


def series_key(series: Series) -> str:
    """A stable name for a series revision, the same whichever of its
    messages have arrived: the message its later patches answer (the cover
    letter, or patch 1 when there is no cover, as git send-email threads
    them), else the cover letter, else the first patch."""
    later = [p for p in series.patches if (p.tags.index or 0) > 1 and p.message.in_reply_to]
    if later:
        parent = min(later, key=lambda p: p.tags.index or 0).message.in_reply_to
        assert parent is not None
        return parent
    if series.cover is not None and series.cover.msgid:
        return series.cover.msgid
    first = series.patches[0].message
    return first.msgid or first.source


def _mail_time(message: Message) -> float | None:
    """The epoch of a message's Date header, or None."""
    try:
        return email.utils.parsedate_to_datetime(message.date or "").timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _engine_review(series: Series, ruleset: Any, config: Config) -> SeriesReview:
    from reviewbot import engine
    return engine.review(series, ruleset, config)


def _brief(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def _name(series: Series) -> str:
    return f"{series.title!r} v{series.version}"


def _log_summary(outcomes: Sequence[Outcome]) -> None:
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.action] = counts.get(o.action, 0) + 1
    replies = sum(o.replies for o in outcomes)
    log.info("poll done: %s; %s queued",
             ", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "nothing to do",
             _n(replies, "reply", "replies"))


# --- the loop ------------------------------------------------------------------------------


def poll_interval(config: Config) -> int:
    """The configured interval, never under :data:`MIN_INTERVAL`."""
    if config.watch.interval < MIN_INTERVAL:
        log.warning("watch.interval %d s is under the floor; polling every %d s",
                    config.watch.interval, MIN_INTERVAL)
    return max(MIN_INTERVAL, config.watch.interval)


class Stopper:
    """Set by SIGINT or SIGTERM: the current step finishes, then the loop
    ends.  A second signal interrupts at once."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._old: dict[int, Any] = {}

    def __call__(self) -> bool:
        return self.event.is_set()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        log.warning("%s: finishing the current step, then stopping", signal.Signals(signum).name)
        self.event.set()

    def install(self) -> None:
        """Handle SIGINT and SIGTERM (only possible in the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old[sig] = signal.signal(sig, self._handle)

    def restore(self) -> None:
        """Put the previous handlers back."""
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
        self._old.clear()


def run_forever(client: Any, store: StateStore, ruleset: Any, config: Config, outbox: Outbox | None, *,
                review: ReviewFn | None = None, stopper: Stopper | None = None,
                after_poll: Callable[[list[Outcome]], None] | None = None,
                clock: Callable[[], float] = time.time) -> int:
    """Poll until SIGINT/SIGTERM (or ``stopper``): sleep the interval
    between polls, longer (doubling, with jitter) while polls fail.
    Returns the number of polls done."""
    own = stopper is None
    stopper = stopper or Stopper()
    if own:
        stopper.install()
    interval = poll_interval(config)
    failures = 0
    polls = 0
    try:
        while not stopper():
            try:
                outcomes = run_once(client, store, ruleset, config, outbox, now=clock(),
                                    review=review, stop=stopper)
                if after_poll is not None and not stopper():
                    after_poll(outcomes)
            except Exception as exc:  # noqa: BLE001 - the watcher goes on; the next poll retries
                log.error("poll failed: %s: %s", type(exc).__name__, exc, exc_info=True)
                outcomes = [Outcome("error", "", detail=str(exc))]
            polls += 1
            polled = [o for o in outcomes if o.action in ("polled", "error") and not o.key]
            failures = failures + 1 if polled and all(o.action == "error" for o in polled) else 0
            delay = float(interval)
            asked = max((o.retry_after or 0.0 for o in outcomes), default=0.0)
            if failures:
                delay = min(MAX_BACKOFF, interval * 2 ** min(failures, 10)) * (0.75 + random.random() / 4)
                log.warning("%s in a row; next poll in %.0f s", _n(failures, "failed poll"), delay)
            if asked > delay:
                delay = min(asked, 24 * 3600.0)
                log.warning("the server asked to wait %.0f s; next poll then", asked)
            if not failures:
                log.info("next poll in %.0f s", delay)
            stopper.event.wait(delay)
    finally:
        if own:
            stopper.restore()
    log.info("stopped after %s", _n(polls, "poll"))
    return polls


def _n(count: int, word: str, words: str | None = None) -> str:
    """``1 reply``, ``2 replies``."""
    return f"{count} {word if count == 1 else (words or word + 's')}"
