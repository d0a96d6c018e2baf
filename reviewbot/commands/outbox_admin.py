"""``reviewbot review --status | --requeue MSGID | --dismiss MSGID``: what
the outbox holds, and a person's decision on a reply whose delivery is
unknown (the connection broke after the whole message was handed over).

Such a reply is never resent by itself, so it is never sent twice; it is
never forgotten either: ``--status`` lists it and exits 1, and so does every
``review --send``, until a person decides.  Before re-queuing, the list
archive is asked for the reply's Message-ID (public-inbox serves a message
at ``<base-url>/all/<Message-ID>/raw``): found there, it was delivered, and
``--requeue`` refuses (``--dismiss`` closes it).  ``--no-archive-check``
skips the question, e.g. for a list that lore does not archive.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from typing import Any

from reviewbot.errors import ReviewbotError, UsageError
from reviewbot.printable import printable_lines

EXIT_OK, EXIT_WAITING = 0, 1


def add_options(parser: argparse.ArgumentParser) -> None:
    """The outbox options of ``review``."""
    group = parser.add_argument_group("the outbox")
    exclusive = group.add_mutually_exclusive_group()
    exclusive.add_argument("--status", action="store_true",
                           help="list what the outbox holds, above all the replies whose delivery "
                                "is unknown; exit 1 while there are any")
    exclusive.add_argument("--requeue", metavar="MSGID",
                           help="put a reply whose delivery is unknown back in the queue (the next "
                                "--send sends it), after checking that the list archive does not "
                                "have its Message-ID")
    exclusive.add_argument("--dismiss", metavar="MSGID",
                           help="close a reply whose delivery is unknown for good (it arrived, or "
                                "should not be sent)")
    group.add_argument("--no-archive-check", action="store_true",
                       help="with --requeue: do not ask lore.base-url whether the reply arrived")


def wanted(args: argparse.Namespace) -> bool:
    """Did the command line ask for one of these instead of a review?"""
    return bool(args.status or args.requeue or args.dismiss)


def run(args: argparse.Namespace, config: Any) -> int:
    """Show the outbox, or re-queue or dismiss one reply."""
    from reviewbot.bot.outbox import Outbox

    if args.inputs or args.send:
        raise UsageError("--status, --requeue and --dismiss take no inputs and no --send")
    with Outbox(args.db or config.outbox.database, args.outbox or config.outbox.path) as outbox:
        if args.status:
            sys.stdout.write(status_text(outbox, config))
            return EXIT_WAITING if outbox.ambiguous() else EXIT_OK
        stored = outbox.find(args.requeue or args.dismiss)
        if args.dismiss:
            outbox.dismiss(stored.key, time.time())
            print(f"reviewbot: dismissed {stored.reply_msgid}: it will not be sent")
            return EXIT_OK
        if stored.state != "failed":  # before asking the archive anything
            raise UsageError(f"{stored.reply_msgid} is {stored.state}: only an ambiguous ('failed') reply "
                             "can be re-queued")
        if not args.no_archive_check:
            _refuse_if_archived(stored, config)
        outbox.requeue(stored.key, time.time())
        print(f"reviewbot: {stored.reply_msgid} is pending again: the next 'reviewbot review "
              f"--send' sends it")
        return EXIT_OK


def archive_url(msgid: str, config: Any) -> str:
    """Where the list archive shows a message."""
    from reviewbot.bot.lore import quote_msgid
    return f"{config.lore.base_url.rstrip('/')}/all/{quote_msgid(msgid)}/"


def _refuse_if_archived(stored: Any, config: Any) -> None:
    """UsageError unless the archive says the reply did not arrive: it has
    not the reply, but has the patch the reply answers (an archive without
    that patch, such as an inbox with no ``/all/`` index, cannot say)."""
    from reviewbot.bot.lore import LoreClient

    msgid = stored.reply_msgid
    url = archive_url(msgid, config)
    answered = _in_reply_to(stored.message)
    client = LoreClient(config.lore, retries=1)
    try:
        found = client.raw_message("all", msgid)
        patch_known = found is not None or answered is None or client.raw_message("all", answered) is not None
    except ReviewbotError as exc:
        raise UsageError(f"cannot ask the archive whether {msgid} arrived ({exc}); look at {url} "
                         f"yourself, then use --requeue with --no-archive-check, or --dismiss") from None
    if found is not None:
        raise UsageError(f"{msgid} is in the list archive ({url}): it was delivered; "
                         f"close it with --dismiss")
    if not patch_known:
        raise UsageError(f"the archive does not have the patch {answered} either, so it cannot tell whether "
                         f"{msgid} arrived ({config.lore.base_url.rstrip('/')}/all/ is no index of the list?); "
                         "look in the list's archive yourself, then use --requeue with --no-archive-check, "
                         "or --dismiss")


def _in_reply_to(message: bytes) -> str | None:
    """The Message-ID a stored reply answers (its ``In-Reply-To:``)."""
    head = message.split(b"\n\n", 1)[0].replace(b"\r\n", b"\n")
    found = re.search(rb"^in-reply-to:[ \t]*<([^>\s]+)>", head, re.IGNORECASE | re.MULTILINE)
    return found.group(1).decode("ascii", "replace") if found else None


def status_text(outbox: Any, config: Any) -> str:
    """The outbox: counts, then each reply that waits for a person or a send."""
    counts = outbox.counts()
    out = [f"outbox: {outbox.database} ({outbox.path})",
           "replies: " + ", ".join(f"{n} {state}" for state, n in counts.items())]
    ambiguous = outbox.ambiguous()
    if ambiguous:
        out.append(f"delivery unknown: {len(ambiguous)} (sent to the server, whose answer never "
                   f"came; look in the archive, then --requeue MSGID or --dismiss MSGID):")
        for stored in ambiguous:
            out.append(f"  {stored.reply_msgid} {stored.subject!r} to {', '.join(stored.recipients)}")
            out.append(f"    archive: {archive_url(stored.reply_msgid, config)}")
    pending = outbox.replies("pending")
    if pending:
        out.append(f"pending: {len(pending)} (the next --send sends them):")
        for stored in pending:
            why = f" (last try: {stored.error})" if stored.error else ""
            out.append(f"  {stored.reply_msgid} {stored.subject!r}{why}")
    return printable_lines(out)  # a server's answer is quoted
