"""``reviewbot review``: the maintainer's and CI's entry point.

Reads the mail of one or more series (mbox or mboxrd files, maildirs, single
``.eml``/``.patch`` messages, stdin), assembles the series, reviews each as
a whole, and records one reply per patch with findings in the transactional
outbox (an mbox or maildir, plus its SQLite database).  Nothing is sent
unless ``--send`` is given.  A malformed message is reported by Message-ID
and skipped; the rest goes on.

Exit status: 0 done (and, with ``--send``, nothing failed); 1 with
``--send``, a reply could not be delivered (refused or unreachable: it
stays pending; delivery unknown after a broken hand-off: failed, never
resent by itself, and exit 1 on every ``--send`` until a person re-queues
or dismisses it, see ``--status``), or with ``--fail-on``, findings at or above that severity; 2 no readable input (text that is neither mail nor a patch, or one that changed while it was read), a bad option or configuration; an empty maildir is nothing to do (0); 3 an
internal failure (a series or rule that crashed; the rest is still done,
and nothing is mailed because of it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from reviewbot.commands import help_line
from reviewbot.commands.common import add_config_options, add_rule_options, build_config, read_input
from reviewbot.errors import InputError, UsageError
from reviewbot.printable import printable
from reviewbot.commands.review_summary import Progress, Summary, format_summary
from reviewbot.pipeline import Malformed, review_all, review_replies
import logging

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``review`` to the command line."""
    parser = sub.add_parser(
        "review",
        help=help_line("review"),
        description="Review the series in mailboxes and write one reply per patch with findings, "
                    "as a careful human reviewer would, to the outbox (an mbox file or a maildir) "
                    "and its database. Series are assembled from subject tags and threading and "
                    "reviewed as a whole; cover letters and replies are not reviewed; v2, v3 of a "
                    "series are told apart. Nothing is sent without --send. It reads the mail "
                    "alone, not a kernel tree (as a bot on the list does): to check your own "
                    "series with the whole files as context, run 'reviewbot check' inside the tree.",
        epilog="Exit status: 0 done; 1 with --send, a reply could not be delivered (the server "
               "refused it or was unreachable: it stays pending for the next --send; or the "
               "connection broke after the hand-off: it is marked failed, never resent by itself, and "
               "every --send exits 1 until --requeue or --dismiss decides; --status lists it), or "
               "findings at or above --fail-on; 2 no readable "
               "input (text that is neither mail nor a patch, or one that changed while it was read), "
               "bad option or configuration (an empty maildir is nothing to do: 0); 3 an internal failure (the rest is still "
               "reviewed; nothing is mailed because of it). A reply with the same key (patch "
               "Message-ID and findings) is never written or sent twice, across runs and across "
               "revisions whose findings did not change.",
    )
    parser.add_argument("inputs", nargs="*", metavar="MBOX|MAILDIR|FILE|-",
                        help="mbox/mboxrd files, maildirs, .eml or .patch messages, directories of "
                             "format-patch output, or - for stdin (the default, unless --send is "
                             "given alone, which only sends what the outbox holds)")
    parser.add_argument("--outbox", metavar="PATH",
                        help="where replies are written: an mbox file (*.mbox) or a maildir "
                             "(default: outbox.path of the configuration, else the maildir "
                             "$XDG_STATE_HOME/reviewbot/outbox)")
    parser.add_argument("--db", metavar="PATH",
                        help="the outbox database (default: outbox.database, else "
                             "$XDG_STATE_HOME/reviewbot/outbox.sqlite)")
    parser.add_argument("--send", action="store_true",
                        help="also send every pending reply of the outbox (this run's and earlier "
                             "ones) over SMTP, only to the lists in smtp.opt-in-lists, at most "
                             "smtp.max-per-hour per list; credentials from the environment "
                             "variables named by smtp.user-env and smtp.password-env")
    parser.add_argument("--format", dest="summary_format", choices=("summary", "json"),
                        default="summary", help="what is printed on stdout (default: summary)")
    parser.add_argument("--fail-on", dest="review_fail_on", choices=("info", "warning", "error"),
                        default=None, help="exit 1 when a finding is at least this severe "
                                           "(default: the exit status does not depend on findings)")
    parser.add_argument("--progress", choices=("auto", "always", "never"), default="auto",
                        help="progress on stderr: auto shows it only on a terminal")
    from reviewbot.commands import outbox_admin
    outbox_admin.add_options(parser)
    add_rule_options(parser)
    add_config_options(parser)
    parser.set_defaults(func=run)


# --- reading -------------------------------------------------------------------------------


def input_files(name: str) -> list[tuple[str, Path | None]]:
    """(name, path) of each message source an input stands for: a maildir's
    messages, a directory's patch files, the file itself, or stdin."""
    if name == "-":
        return [("<stdin>", None)]
    path = Path(name)
    if path.is_dir():
        if (path / "cur").is_dir() or (path / "new").is_dir():
            found = sorted(p for sub in ("new", "cur") if (path / sub).is_dir()
                           for p in (path / sub).iterdir() if p.is_file() and not p.name.startswith("."))
        else:
            found = sorted(p for p in path.iterdir()
                           if p.is_file() and p.suffix in (".patch", ".eml", ".mbox", ".diff", ".mbx"))
            if not found:
                raise InputError(name, "neither a maildir (no cur/ or new/) nor a directory of "
                                       ".patch, .eml or .mbox files")
        return [(str(p), p) for p in found]
    if not path.exists():
        raise InputError(name, "no such file")
    return [(name, path)]


# --- the run ---------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    """Run the review; returns the exit status."""
    from reviewbot.bot.outbox import Outbox, ReplyQueue, check_smtp_config, send_pending
    from reviewbot.rules.loader import load_rules

    started = time.monotonic()
    config = build_config(args)
    from reviewbot.commands import outbox_admin
    if outbox_admin.wanted(args):
        return outbox_admin.run(args, config)
    names = list(args.inputs) or ([] if args.send else ["-"])
    if args.send:
        check_smtp_config(config.smtp, os.environ, config.bot)
    rules = load_rules(config, select=args.select, ignore=args.ignore) if names else None
    progress = Progress(sys.stderr, args.progress == "always" or (
        args.progress == "auto" and sys.stderr is not None and sys.stderr.isatty()))
    summary = Summary(inputs=names)
    summary.outbox = args.outbox or config.outbox.path
    summary.database = args.db or config.outbox.database
    with Outbox(summary.database, summary.outbox) as outbox:
        outbox.flush_files()
        if names:
            assert rules is not None
            queue = ReplyQueue(outbox, config.bot, rules_version=rules.version)
            try:
                readable, files = _review_inputs(names, rules, config, queue, summary, progress)
            except InputError:  # an input that changed while it was read
                progress.done()
                raise
            if not readable and files == 0:
                # an empty maildir, as a bot's delivery often leaves it: nothing to do
                print(f"reviewbot: note: {', '.join(names)}: no message in it; nothing to review", file=sys.stderr)
            elif not readable:
                progress.done()
                _report_malformed(summary)
                raise InputError(", ".join(names), "no readable message in the input")
        if args.send:
            report = send_pending(outbox, config.smtp, env=os.environ, bot=config.bot)
            summary.send = {"sent": len(report.sent), "failed": len(report.failed),
                            "still_pending": len(report.retry), "deferred": len(report.deferred),
                            "held": len(report.held), "swept": len(report.swept),
                            "ambiguous": len(report.ambiguous), "errors": report.errors}
        summary.outbox_states = outbox.counts()
    progress.done()
    summary.seconds = time.monotonic() - started
    _report_malformed(summary)
    from reviewbot.commands.check_output import notes_of_eras

    for note in notes_of_eras(summary.eras_off):
        print(f"reviewbot: note: {printable(note)}", file=sys.stderr)
    if args.summary_format == "json":
        sys.stdout.write(json.dumps(summary.as_json(), indent=2) + "\n")
    else:
        sys.stdout.write(format_summary(summary))
    return _exit_status(summary, args.review_fail_on)


def _review_inputs(names: list[str], rules: Any, config: Any, queue: Any, summary: Summary,
                   progress: Progress) -> tuple[bool, int]:
    """Read, assemble, review and queue; whether anything could be read,
    and how many inputs (files, stdin) there were to read.
    Two passes (:mod:`reviewbot.review_stream`): every message is read and
    indexed, then each series is parsed again, reviewed and dropped, so
    memory follows the largest series, not the input."""
    from reviewbot.commands.input_file import open_input
    from reviewbot.review_stream import MailIndex

    index = MailIndex()
    files = 0
    for name in names:
        for source, path in input_files(name):
            files += 1
            try:
                data = read_input("-") if path is None else open_input(str(path))
            except (InputError, UsageError) as exc:
                if isinstance(exc, UsageError):
                    raise
                summary.malformed.append(Malformed(source, None, exc.problem))
                continue
            summary.malformed.extend(index.add(data, source, progress=progress.update))
            del data
    summary.messages = len(index.slots)
    for slot in index.slots:
        if slot.reply:
            summary.replies_in += 1
        elif not slot.diff:
            if slot.cover:
                summary.covers += 1
            else:
                summary.other += 1
    progress.update("assembling series from", len(index.slots), force=True)
    stream = index.series()
    _review_series(stream, rules, config, queue, summary, progress)
    summary.malformed.extend(stream.broken)
    summary.broken_patches = len(stream.broken)
    replies = [r for r in review_replies(index.answers(), rules, config, thread=index.thread())
               if r.findings or r.problems]
    index.check()  # a read a reply's review swallowed: nothing of it is queued
    _queue_replies(replies, queue, summary)
    return bool(index.slots), files


def _queue_replies(replies: list, queue: Any, summary: Summary) -> None:
    """Answer the code reviewers suggested in their replies (issue 17)."""
    from reviewbot.suggestion_review import queue_replies

    for done in replies:
        summary.internal.extend(done.problems)
        summary.findings.update(f.rule_id for f in done.findings)
        summary.worst = max([summary.worst, *(int(f.severity) for f in done.findings)])
    before = len(queue.results)
    queue_replies(queue, replies)
    summary.replies.update(q.status for q in queue.results[before:])


def _review_series(series_list: list, rules: Any, config: Any, queue: Any, summary: Summary,
                   progress: Progress) -> None:
    from reviewbot.bot.outbox import NO_MSGID

    from reviewbot.commands.check_output import eras_off

    for done in review_all(series_list, rules, config, progress=progress.update):
        series = done.series
        if done.result is not None:
            eras_off(done.result.patches, rules, summary.eras_off)
        summary.patches += sum(not p.error for p in series.patches)
        entry = {"title": series.title, "version": series.version, "patches": len(series.patches),
                 "total": series.total,
                 "cover": series.cover.msgid if series.cover is not None else None}
        summary.series.append(entry)
        if done.result is None:
            summary.internal.append(done.failure or "")
            log.error("%s (no reply is written for it)", done.failure)
            continue
        for patch_review in done.result.patches:
            if patch_review.patch.error:
                continue  # reported as malformed
            for problem in patch_review.problems:
                if problem in patch_review.unchecked:  # the input's doing, not reviewbot's
                    message = patch_review.patch.message
                    summary.malformed.append(Malformed(message.source, message.msgid, problem))
                    continue
                summary.internal.append(problem)
                log.error("%s", problem)
            live = [f for f in patch_review.findings if not f.suppressed]
            summary.suppressed += len(patch_review.findings) - len(live)
            summary.findings.update(f.rule_id for f in live)
            summary.worst = max([summary.worst, *(int(f.severity) for f in live)])
            summary.patches_with_findings += bool(live)
        before = len(queue.results)
        queue.queue(done.result)
        summary.replies.update(q.status for q in queue.results[before:])
        summary.replies["no_msgid"] += sum(q.reason == NO_MSGID for q in queue.results[before:])
        entry["replies"] = sum(q.status == "written" for q in queue.results[before:])


def _report_malformed(summary: Summary) -> None:
    for item in summary.malformed:
        log.warning("skipped %s%s: %s", item.source,
                    f" <{item.msgid}>" if item.msgid else " (no Message-ID)", item.problem)


def _exit_status(summary: Summary, fail_on: str | None) -> int:
    from reviewbot.model import Severity

    if summary.internal:
        return EXIT_INTERNAL
    if summary.malformed and not summary.patches:
        return EXIT_INPUT  # patches came in, and none of them could be reviewed
    if summary.send is not None and (summary.send["failed"] or summary.send["still_pending"]
                                     or summary.send["swept"] or summary.send["ambiguous"]):
        return EXIT_FINDINGS
    if fail_on is not None:
        return EXIT_FINDINGS if summary.worst >= Severity.parse(fail_on) else EXIT_OK
    return EXIT_OK
