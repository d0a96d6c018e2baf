"""The one flow every command runs: bytes of mail -> messages -> series -> reviews.

``check``, ``review``, ``watch`` and ``backtest`` differ only at their edges:
where the bytes come from (files, a git range, lore, an archive) and what is
done with the reviews (printed, mailed, counted).  Everything between is
here, once, and pure: no files, no network, no clock, no logging.  What
cannot be used is returned as a :class:`Malformed` (the message) or a
failed :class:`Reviewed` (the series), never raised, so one bad message or
one crash never stops the rest.

    for item in read_messages(data, "x.mbox"): ...        # Message | Malformed
    series, broken = assemble(messages)
    for done in review_all(series, rules, config, tree): ...
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from reviewbot import engine
from reviewbot.errors import MailParseError
from reviewbot.mail.parse import parse_input, parse_message, split_mbox
from reviewbot.mail.series import assemble_series
from reviewbot.model import Message, Series, SeriesReview
from reviewbot.records import record

MBOX_FROM = re.compile(rb"^From \S+")
_MSGID_HEADER = re.compile(rb"^message-id:[ \t]*(?:\r?\n[ \t]+)?<?([^>\s]+)>?", re.IGNORECASE | re.MULTILINE)

#: ``progress(what, done, total)``: how far reading or reviewing is.
Progress = Callable[[str, int, "int | None"], None]


@record
class Malformed:
    """A message (or an input) that could not be used, and why."""

    source: str
    msgid: str | None
    problem: str

    def __str__(self) -> str:
        return f"{self.source}: {self.problem}"


@record
class Reviewed:
    """One series and its review, or why it could not be reviewed (a crash
    inside reviewbot: nothing is mailed for it)."""

    series: Series
    result: SeriesReview | None = None
    failure: str | None = None


# --- reading ---------------------------------------------------------------------------


def read_messages(data: bytes, source: str, *, names: Sequence[str] | None = None,
                  progress: Progress | None = None) -> Iterator[Message | Malformed]:
    """Each message of ``data`` (an mbox, one message, or a bare diff), in
    order, or a :class:`Malformed` for one that cannot be read.  An mbox is
    split lazily, so a large archive is never parsed all at once.  ``names``
    name the messages of an mbox (commits of a range); by default they are
    ``source#N``, or ``source`` alone for a one-message mbox."""
    if not MBOX_FROM.match(data.lstrip(b"\r\n")[:200]):
        try:
            messages, errors = parse_input(data, source=source)
        except MailParseError as exc:
            yield Malformed(source, _raw_msgid(data), exc.problem)
            return
        yield from messages
        for error in errors:
            yield Malformed(error.source, _raw_msgid(data), error.problem)
        return
    total = data.count(b"\n\nFrom ") + 1
    chunks = split_mbox(data)
    first, second = next(chunks, None), next(chunks, None)
    single = second is None
    number = 0
    for chunk in _chain((first, second), chunks):
        number += 1
        if names is not None and number <= len(names):
            name = names[number - 1]
        else:
            name = source if single else f"{source}#{number}"
        if progress is not None and number > 2:
            progress(f"reading {source}:", number, total)
        yield parse_chunk(chunk, name)


def split_read(items: Iterable[Message | Malformed]) -> tuple[list[Message], list[Malformed]]:
    """The messages and the malformed ones of :func:`read_messages`."""
    messages: list[Message] = []
    malformed: list[Malformed] = []
    for item in items:
        (malformed if isinstance(item, Malformed) else messages).append(item)  # type: ignore[arg-type]
    return messages, malformed


def _chain(head: Iterable[Any], rest: Iterator[Any]) -> Iterator[Any]:
    yield from (c for c in head if c is not None)
    yield from rest


def parse_chunk(chunk: tuple[int, bytes], name: str) -> Message | Malformed:
    """One message of an mbox, ``(first line, raw bytes)``, read as
    :func:`read_messages` reads it: a Message, or why it is Malformed."""
    first_line, raw = chunk
    try:
        return parse_message(raw, source=name, first_line=first_line)
    except MailParseError as exc:
        return Malformed(name, _raw_msgid(raw), exc.problem)
    except Exception as exc:  # noqa: BLE001 - one bad message must not stop the rest
        return Malformed(name, _raw_msgid(raw), f"cannot parse: {type(exc).__name__}: {exc}")


def _raw_msgid(raw: bytes) -> str | None:
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    match = _MSGID_HEADER.search(head)
    return match.group(1).decode("utf-8", "replace") if match else None


# --- series ------------------------------------------------------------------------------


def assemble(messages: Iterable[Message]) -> tuple[list[Series], list[Malformed]]:
    """The series of ``messages`` (replies skipped, cover letters attached),
    and the patches whose diff cannot be read, as :class:`Malformed` (they
    stay in their series, marked, so the others are still reviewed)."""
    series, broken = assemble_series(messages)
    return series, [Malformed(p.message.source, p.message.msgid, p.error or "the diff cannot be read")
                    for p in broken]


# --- reviewing ---------------------------------------------------------------------------


def review_all(series_list: Sequence[Series], rules: Any, config: Any, tree: Any = None, *,
               progress: Progress | None = None) -> Iterator[Reviewed]:
    """Review each series as a whole (every patch with the series as
    context); a series whose review crashes is a failed :class:`Reviewed`
    and the others go on."""
    if tree is not None:
        tree.prefetch(c for s in series_list for p in s.patches for c in p.files)
    for number, series in enumerate(series_list, start=1):
        if progress is not None:
            progress("reviewing series", number, len(series_list))
        yield review_one(series, rules, config, tree)
    if (flush := getattr(tree, "flush", None)) is not None:
        flush()  # what the run learnt of the tree's files, for the next


def review_one(series: Series, rules: Any, config: Any, tree: Any = None) -> Reviewed:
    """:func:`review_all` for one series."""
    try:
        return Reviewed(series, engine.review(series, rules, config, tree))
    except Exception as exc:  # noqa: BLE001 - a crash inside reviewbot is reported, never mailed
        return Reviewed(series, failure=f"reviewing {series.title!r} v{series.version} failed: "
                                        f"{type(exc).__name__}: {exc}")


# --- replies -------------------------------------------------------------------------------


def review_replies(messages: Iterable[Message], rules: Any, config: Any, *,
                   quoted: bool = False, thread: Mapping[str, Message] | None = None) -> Iterator[Any]:
    """The :class:`~reviewbot.suggestion_review.ReplyReview` of each reply
    in ``messages`` (each message that is not a patch or a cover letter):
    the code its author suggests, reviewed in the context of the thread
    (``messages`` themselves, unless a ``thread`` is given).  ``quoted``:
    also the code of the earlier mails it quotes (a pasted thread)."""
    from reviewbot.mail.series import has_diff, is_reply, parse_subject

    if thread is None:
        messages = list(messages)
        thread = {m.msgid: m for m in messages if m.msgid}
    for message in messages:
        tags = parse_subject(message.subject)
        if is_reply(message) or not (has_diff(message) or tags.index == 0):
            from reviewbot.suggestion_review import review_reply  # a patch check does not need it

            yield review_reply(message, thread, rules, config, quoted=quoted)
