"""``reviewbot watch``: follow lore.kernel.org and review every new series once.

Polls the public-inbox searches of ``watch.queries`` (or reads a Maildir that
``lei up`` fills), waits until a series is complete (or
``watch.series-timeout`` passed), reviews it, and records the replies in the
outbox; nothing is sent unless ``--send`` is given and the list opted in.
State lives in SQLite (``watch.state``): a restart continues where it stopped.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reviewbot.commands import help_line
from reviewbot.commands.common import add_config_options, build_config, plural
from reviewbot.printable import PrintableFormatter, printable_lines
import logging

log = logging.getLogger(__name__)

EXIT_OK, EXIT_PARTIAL = 0, 1


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``watch`` to the command line."""
    parser = sub.add_parser(
        "watch",
        help=help_line("watch"),
        description="Poll the public-inbox searches in watch.queries (by default, patches that "
                    "touch arm64 KVM hyp code on the kvmarm and linux-arm-kernel lists), read the "
                    "thread of each match, and review each series once, when all its m/n patches "
                    "are there or watch.series-timeout seconds have passed. Replies go to the "
                    "outbox (outbox.path and outbox.database); nothing is sent without --send, "
                    "and then only to lists in smtp.opt-in-lists. What was seen and reviewed is "
                    "kept in SQLite (watch.state), so a restart neither repeats nor misses "
                    "anything. SIGINT or SIGTERM finishes the current step, then exits.",
        epilog="Polls at most every watch.interval seconds, never more often than every 60 s. "
               "Exit status (--once): 0 the poll was done; 1 part of it failed (the server, a "
               "review) and the next run retries it; 2 a bad option or configuration. "
               "Examples: 'reviewbot watch --once' from cron; 'reviewbot watch --status'; "
               "'reviewbot watch --maildir ~/Mail/kvmarm' for a Maildir kept by 'lei up'.",
    )
    parser.add_argument("--once", action="store_true",
                        help="poll once, print what was done, and exit (for cron)")
    parser.add_argument("--status", action="store_true",
                        help="show what the watcher knows (queries, last polls, waiting and "
                             "reviewed series, the outbox) and exit; contacts no server")
    parser.add_argument("--maildir", metavar="DIR",
                        help="review the series in this Maildir (kept up to date by 'lei up') "
                             "instead of polling lore (watch.maildir)")
    parser.add_argument("--state", metavar="PATH",
                        help="the watcher's SQLite state (watch.state, default "
                             "$XDG_STATE_HOME/reviewbot/watch.sqlite)")
    parser.add_argument("--base-url", metavar="URL",
                        help="the public-inbox server (lore.base-url, default "
                             "https://lore.kernel.org)")
    parser.add_argument("--send", action="store_true",
                        help="after each poll, send the pending replies over SMTP, only to the "
                             "lists in smtp.opt-in-lists (credentials from the environment)")
    add_config_options(parser)
    parser.set_defaults(func=run)


def _config(args: argparse.Namespace) -> Any:
    import json
    extra = []
    if args.base_url:
        extra.append(f"lore.base-url={json.dumps(args.base_url)}")
    if args.state:
        extra.append(f"watch.state={json.dumps(args.state)}")
    if args.maildir:
        extra.append(f"watch.maildir={json.dumps(args.maildir)}")
    args = argparse.Namespace(**{**vars(args), "overrides": list(args.overrides) + extra})
    return build_config(args)


def run(args: argparse.Namespace) -> int:
    """Run the watcher (or show its status); returns the exit status."""
    config = _config(args)
    if args.status:
        sys.stdout.write(status_text(config, now=time.time()))
        return EXIT_OK

    from reviewbot.bot.lore import LoreClient
    from reviewbot.bot.outbox import Outbox, ReplyQueue, check_smtp_config
    from reviewbot.rules.loader import load_rules
    from reviewbot.bot.state import StateStore
    from reviewbot.bot.watcher import ONCE_MAX_SLEEP, MaildirSource, run_forever, run_once

    if args.send:
        check_smtp_config(config.smtp, os.environ, config.bot)
    if not args.once and getattr(args, "verbose", 0) == 0:
        logging.getLogger("reviewbot").setLevel(logging.INFO)  # a daemon says what it does
    if not args.once:  # a long-running log says when
        for handler in logging.getLogger().handlers:
            handler.setFormatter(PrintableFormatter("%(asctime)s reviewbot: %(message)s"))
    rules = load_rules(config)
    source: Any = MaildirSource(config.watch.maildir) if config.watch.maildir else LoreClient(config.lore)
    with StateStore(config.watch.state) as store, store.exclusive(), \
            Outbox(config.outbox.database, config.outbox.path) as outbox:
        outbox.flush_files()
        queue = ReplyQueue(outbox, config.bot, rules_version=rules.version)

        def after_poll(outcomes: Sequence[Any]) -> None:
            if args.send:
                _send(outbox, config)

        if args.once:
            outcomes = run_once(source, store, rules, config, queue, max_sleep=ONCE_MAX_SLEEP)
            after_poll(outcomes)
            sys.stdout.write(outcomes_text(outcomes))
            failed = any(o.action in ("error", "failed") for o in outcomes)
            return EXIT_PARTIAL if failed else EXIT_OK
        log.info("watching %s; state in %s; replies to %s", _what(config), config.watch.state,
                 config.outbox.path)
        run_forever(source, store, rules, config, queue, after_poll=after_poll)
    return EXIT_OK


def _send(outbox: Any, config: Any) -> None:
    """Send what is pending; a failure is logged, the watcher goes on."""
    from reviewbot.errors import ReviewbotError
    from reviewbot.bot.outbox import send_pending
    try:
        report = send_pending(outbox, config.smtp, env=os.environ, bot=config.bot)
    except ReviewbotError as exc:
        log.error("sending replies failed: %s", exc)
        return
    log.info("sent %s; %d held (no opted-in list), %d deferred, %d to retry, %d failed",
             plural(len(report.sent), "reply", "replies"), len(report.held), len(report.deferred),
             len(report.retry), len(report.failed))


def _what(config: Any) -> str:
    if config.watch.maildir:
        return f"the Maildir {config.watch.maildir}"
    return ", ".join(f"{q.list}: {q.query!r}" for q in config.watch.queries) + f" on {config.lore.base_url}"


# --- what is printed ---------------------------------------------------------------------


def outcomes_text(outcomes: Sequence[Any]) -> str:
    """One line per thing a poll did, then a total."""
    lines = []
    for o in outcomes:
        if o.action == "polled":
            lines.append(f"polled {o.list} for {o.detail!r}: {o.present} new")
        elif o.action == "reviewed":
            lines.append(f"reviewed {o.title!r} v{o.version} ({_parts(o)}, {o.detail}): "
                         f"{plural(o.findings, 'finding')}, {plural(o.replies, 'reply', 'replies')} queued")
        elif o.action == "waiting":
            lines.append(f"waiting for {o.title!r} v{o.version}: {_parts(o)}")
        elif o.action == "failed":
            lines.append(f"review of {o.title!r} v{o.version} failed: {o.detail}")
        else:
            lines.append(f"error on {o.list or 'the server'}: {o.detail}")
    reviewed = sum(o.action == "reviewed" for o in outcomes)
    replies = sum(o.replies for o in outcomes)
    waiting = sum(o.action == "waiting" for o in outcomes)
    errors = sum(o.action in ("error", "failed") for o in outcomes)
    lines.append(f"{reviewed} series reviewed, {plural(replies, 'reply', 'replies')} queued, "
                 f"{waiting} waiting, {plural(errors, 'error')}")
    return printable_lines(lines)  # subjects and errors come from mail and servers


def _parts(o: Any) -> str:
    return f"{o.present} of {o.total} patches" if o.total else plural(o.present, "patch", "patches")


def status_text(config: Any, *, now: float) -> str:
    """What ``--status`` prints: read from the state and outbox databases
    (neither is created when missing); no server is contacted."""
    from reviewbot.bot.state import StateStore

    path = Path(config.watch.state)
    if not path.exists():
        return f"state: {path}: nothing yet (the watcher has not run with this state)\n"
    with StateStore(path) as store:
        st = store.status()
        version = store.schema_version
        maildir_files = len(store.maildir_known())
    what = _what(config)
    if maildir_files and not config.watch.maildir:  # the state says what was watched
        what = (f"a Maildir ({maildir_files} file{'s' if maildir_files != 1 else ''} read; "
                f"the runs were given --maildir or watch.maildir)")
    out = [f"state: {st.path} (schema {version})", f"watching: {what}"]
    if st.polls:
        out.append("polls:")
        for p in st.polls:
            when = _ago(p.last_poll, now) if p.last_poll else "never succeeded"
            line = (f"  {p.list}: {p.query!r}: last poll {when}; {plural(p.hits, 'match', 'matches')} "
                    f"in {plural(p.polls, 'poll')}")
            if p.last_error:
                line += f"; last error ({_ago(p.last_attempt, now)}): {p.last_error}"
            out.append(line)
    counts = dict(st.counts)
    out.append(f"messages: {st.messages} seen, {st.hits} matched, "
               f"{plural(st.hits_todo, 'thread')} to read")
    out.append(f"series: {counts.get('reviewed', 0)} reviewed, {counts.get('waiting', 0)} waiting, "
               f"{counts.get('partial', 0)} reviewed incomplete (looking for the rest), "
               f"{counts.get('failed', 0)} failed; {plural(st.patches_reviewed, 'patch', 'patches')} reviewed")
    timeout = config.watch.series_timeout
    for s in st.waiting:
        if s.status == "partial":
            continue
        left = max(0.0, s.first_seen + timeout - now)
        parts = f"{s.present} of {s.total}" if s.total else f"{s.present}"
        out.append(f"  waiting: {s.title!r} v{s.version}: {parts} patches, first seen "
                   f"{_ago(s.first_seen, now)}, reviewed at the latest in {left / 60:.0f} min")
    for th in st.troubled:
        if th.given_up:
            out.append(f"  thread given up after {th.tries} tries: <{th.msgid}> on {th.list}: {th.error}")
        else:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(th.next_try or now))
            out.append(f"  thread failing ({th.tries} tries), next try at {when}: "
                       f"<{th.msgid}> on {th.list}: {th.error}")
    for s in st.recent:
        what = {"reviewed": "reviewed", "partial": "reviewed incomplete"}.get(s.status, f"failed ({s.error})")
        out.append(f"  {what} {_ago(s.reviewed_at, now) if s.reviewed_at else ''}: {s.title!r} "
                   f"v{s.version}, {plural(s.present, 'patch', 'patches')}, "
                   f"{plural(s.replies, 'reply', 'replies')}")
    db = Path(config.outbox.database)
    if db.exists():
        from reviewbot.bot.outbox import Outbox
        with Outbox(db, None) as outbox:
            counts = outbox.counts()
        out.append("outbox: " + ", ".join(f"{n} {state}" for state, n in counts.items())
                   + f" ({config.outbox.path})")
    return printable_lines(out)


def _ago(when: float | None, now: float) -> str:
    if when is None:
        return "never"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))
    delta = now - when
    if delta < 120:
        ago = f"{delta:.0f} s ago"
    elif delta < 7200:
        ago = f"{delta / 60:.0f} min ago"
    elif delta < 172800:
        ago = f"{delta / 3600:.0f} h ago"
    else:
        ago = f"{delta / 86400:.0f} days ago"
    return f"{stamp} ({ago})"
