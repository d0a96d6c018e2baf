"""The first pass: a small record of every patch and cover letter, and the
series they make, without parsing message bodies.

Only the header block is read (Message-ID, In-Reply-To, References,
Subject, Date), and of the body a byte search says whether it carries a
diff and which paths the diff touches.  Messages whose headers or body
need decoding (encoded words, base64, quoted-printable, MIME parts) go
through :func:`reviewbot.mail.parse.parse_message`, so the index and a
full parse agree on every message (``bench/bench_backtest.py --verify``
checks this over whole archives).  The records go to an
:class:`~reviewbot.backtest.store.IndexStore` on disk, which groups the
series as the mail package's own
:func:`~reviewbot.mail.series.group_series` does.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from email.utils import mktime_tz, parsedate_tz
from functools import partial
from typing import Any

from reviewbot.backtest.sources import Raw, Source, TooLarge, cat_file, git_messages, read_all
from reviewbot.backtest.store import Entry, IndexStore
from reviewbot.errors import InputError, MailParseError
from reviewbot.mail.email_path import text_body, thread_headers
from reviewbot.mail.git_paths import unquoted_path
from reviewbot.mail.parse import split_head
from reviewbot.mail.plain import first_msgid, msgids
from reviewbot.mail.series import is_reply, is_reply_subject, parse_subject, raw_has_diff
from reviewbot.records import field, record

# A header the index needs, searched for in the lowered head after a
# newline (a literal search, where a case-blind ^ is tried at every byte),
# and its value with the continuation lines, read from the head itself.
_WANTED = re.compile(rb"\n(message-id|in-reply-to|references|subject|date):")
_VALUE = re.compile(rb"[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)")
_NEEDS_DECODING = re.compile(rb"=\?|[^\t\n\x20-\x7e]")
_NOT_PLAIN_BODY = re.compile(rb"^content-(?:transfer-encoding:[ \t]*(?:base64|quoted-printable)"
                             rb"|type:[ \t]*(?!text/plain)[^\s;]+)", re.IGNORECASE | re.MULTILINE)
# A line naming a path, searched for after a newline (in the body with one
# put first): twice as fast as ^...$ with MULTILINE, and the same lines.
_DIFF_PATH = re.compile(rb"\n(?:(?:\+\+\+|---) (?:[ab]/)?([^\t\n]+)|diff --git a/(\S+) b/(\S+)|Index: (\S+))(?=\n|\Z)")


@record(frozen=False)
class Index:
    """What the first pass found."""

    messages: int = 0
    replies: int = 0
    covers: int = 0
    other: int = 0
    patches: int = 0
    outside: int = 0  # messages outside --since/--until
    duplicates: int = 0  # messages an earlier source holds too (by Message-ID): a list's cross-posts
    first: int | None = None  # the earliest and latest date of the messages, when a range is asked for
    last: int | None = None
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (name, problem)
    threaded: bool = False
    series: int = 0  # series with patches
    reviewed: int = 0  # ... of which a patch touches a file some rule may apply to


@record
class Head:
    """The headers the index needs, and the body facts."""

    msgid: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    date: str | None
    diff: bool
    paths: tuple[str, ...]


def message_name(source: Source, location: str) -> str:
    """How findings and errors name a message: the source and its location."""
    return f"{source.name}:{location[:12] if source.kind == 'git' else location}"


def read_head(raw: bytes, name: str) -> Head:
    """The index's view of one message; MailParseError when its headers
    or body cannot be decoded.  The body is looked at only for a message
    that is not a reply."""
    if b"\r\n" in raw:
        raw = raw.replace(b"\r\n", b"\n")
    head, body = split_head(raw, name)
    fields = _light_headers(head)
    if fields is None:
        msgid, in_reply_to, references, subject, date = thread_headers(head)
    else:
        msgid, in_reply_to = first_msgid(fields.get(b"message-id", "")), first_msgid(fields.get(b"in-reply-to", ""))
        references = msgids(fields.get(b"references", ""))
        subject, date = " ".join(fields.get(b"subject", "").split()), fields.get(b"date")
    diff, paths = False, ()
    if not is_reply_subject(subject):
        if _NOT_PLAIN_BODY.search(head):
            body = text_body(raw, source=name).encode("utf-8", "surrogateescape")
        diff = raw_has_diff(body)
        paths = _paths(body) if diff else ()
    return Head(msgid, in_reply_to, references, subject, date, diff, paths)


def _light_headers(head: bytes) -> dict[bytes, str] | None:
    """The first value of each header the index needs, unfolded; None when
    one of them needs decoding (then the email package reads it)."""
    found: dict[bytes, bytes] = {}
    for match in _WANTED.finditer(b"\n" + head.lower()):  # bytes.lower() keeps every offset
        name = match.group(1)
        if name not in found:
            value = _VALUE.match(head, match.end() - 1)
            found[name] = value.group(1).replace(b"\n", b"") if value else b""  # it always matches
    if any(_NEEDS_DECODING.search(value) for value in found.values()):
        return None
    return {key: value.decode("ascii").strip() for key, value in found.items()}


def _paths(body: bytes) -> tuple[str, ...]:
    """Every path the diff names (a superset of what the diff parser finds)."""
    paths = set()
    for match in _DIFF_PATH.finditer(b"\n" + body):
        for group in match.groups():
            if group:
                path = group.decode("utf-8", "replace").strip()
                if path.startswith('"'):  # quoted with its a/ or b/: "a/f\303\266.S"
                    path = unquoted_path(path).removeprefix("a/").removeprefix("b/")
                paths.add(path.strip('"'))
    return tuple(sorted(paths))


def mail_time(date: str | None) -> int | None:
    """Seconds since the epoch of a ``Date:`` header, None when unreadable."""
    if not date:
        return None
    try:
        parsed = parsedate_tz(date)
        return mktime_tz(parsed) if parsed else None
    except (TypeError, ValueError, OverflowError):
        return None


@record
class Seen:
    """What the index pass learnt of one message: its head, or why not."""

    location: str
    name: str
    head: Head | None
    problem: str = ""
    time: int | None = None
    size: int = 0


#: A message larger than this is not read (it is counted malformed): the
#: lists take a few hundred KiB at most (vger refuses 100 KB), and reading
#: and reviewing mail costs a worker several times its size (linux-kselftest
#: holds one series of 61 MB, a 1.7 MB patch archived 36 times, whose review
#: grew a worker by 130 MiB).
MAX_MESSAGE = 8 << 20


def _too_large(size: int) -> str:
    return f"{size / 2**20:.0f} MiB: not read (a message is read up to {MAX_MESSAGE >> 20} MiB)"


def see(source: Source, raw: Raw) -> Seen:
    """Read one message's head; a message that cannot be read says why."""
    name = message_name(source, raw.location)
    if len(raw.data) > MAX_MESSAGE:
        return Seen(raw.location, name, None, _too_large(len(raw.data)), raw.time, len(raw.data))
    try:
        return Seen(raw.location, name, read_head(raw.data, name), "", raw.time, len(raw.data))
    except MailParseError as exc:
        return Seen(raw.location, name, None, exc.problem)
    except Exception as exc:  # noqa: BLE001 - one bad message must not stop an archive
        return Seen(raw.location, name, None, f"cannot parse: {type(exc).__name__}: {exc}")


def see_blobs(source: Source, listed: list[tuple[str, int]]) -> list[Seen]:
    """:func:`see` for some messages of a git source (a task of the
    parallel index pass: one ``git cat-file`` for the chunk)."""
    found = []
    for (blob, when), (_, data) in zip(listed, cat_file(source.path, (b for b, _ in listed), limit=MAX_MESSAGE)):
        if isinstance(data, TooLarge):
            found.append(Seen(blob, message_name(source, blob), None, _too_large(data.size), when, data.size))
        elif data is not None:
            found.append(see(source, Raw(blob, data, 1, when)))
    return found


#: Messages per task of the parallel index pass.
CHUNK = 4000


def build_index(sources: list[Source], relevant: Callable[[str], bool], store: IndexStore, *,
                since: int | None = None, until: int | None = None,
                progress: Callable[[int], None] | None = None, pool: Executor | None = None,
                workers: int = 1) -> Index:
    """Read every message of ``sources`` into ``store`` and assemble the
    series; a message whose Message-ID an earlier source holds is counted
    once (a patch sent to two lists is in both archives).
    ``relevant(path)`` says whether a file at ``path`` can have findings;
    ``since``/``until`` (seconds, until exclusive) keep messages by their
    date (the mail's ``Date:``, else the commit's).  With a ``pool``, git
    sources are read in chunks by its ``workers`` processes, a few chunks
    ahead of what is stored."""
    index = Index()
    readable = [0] * len(sources)
    for origin, source in enumerate(sources):
        before = index.messages
        if pool is not None and source.kind == "git":
            listed = git_messages(source.path)
            chunks = (listed[i:i + CHUNK] for i in range(0, len(listed), CHUNK))
            seen_lists: Iterable[list[Seen]] = in_order(pool, partial(see_blobs, source), chunks, ahead=2 * workers)
        else:
            seen_lists = ([see(source, raw)] for raw in read_all(source))
        for seen_list in seen_lists:
            for seen in seen_list:
                index.messages += 1
                if progress is not None and index.messages % 500 == 0:
                    progress(index.messages)
                readable[origin] += seen.head is not None
                if seen.head is not None and seen.head.msgid and len(sources) > 1:
                    if store.held_earlier(seen.head.msgid, origin):
                        index.duplicates += 1
                        continue
                    if origin < len(sources) - 1:  # what the last source holds, no later one asks
                        store.hold(seen.head.msgid, origin)
                _add(index, store, origin, seen, relevant, since, until)
        _check_mail(source, index.messages - before, readable[origin])
    if progress is not None:
        progress(index.messages)
    store.group(index.threaded)
    index.series, index.reviewed = store.count(), store.count(reviewed=True)
    return index


def in_order(pool: Executor, work: Callable[[Any], Any], items: Iterable[Any], ahead: int) -> Iterator[Any]:
    """``pool.map(work, items)`` with at most ``ahead`` items given out and
    not yet taken back: what the workers read waits in memory only as
    long as the caller is behind by that much."""
    waiting: deque[Future] = deque()
    for item in items:
        waiting.append(pool.submit(work, item))
        if len(waiting) >= ahead:
            yield waiting.popleft().result()
    while waiting:
        yield waiting.popleft().result()


_EPOCH = re.compile(r"/git/\d+\.git$")


def _check_mail(source: Source, read: int, readable: int) -> None:
    """InputError for a source in which no message could be read: it is no
    archive, mbox or maildir (an epoch of a v2 inbox may be empty)."""
    if readable or _EPOCH.search(source.name):
        return
    if read:
        raise InputError(source.name, f"no readable message in it ({read} malformed): not an mbox?")
    raise InputError(source.name, "no message in it: not a public-inbox archive, mbox or maildir")


def _add(index: Index, store: IndexStore, origin: int, seen: Seen, relevant: Callable, since: int | None,
         until: int | None) -> None:
    head = seen.head
    if head is None:
        index.unreadable.append((seen.name, seen.problem))
        return
    if since is not None or until is not None:
        when = mail_time(head.date) or seen.time
        if when is not None:
            index.first = when if index.first is None else min(index.first, when)
            index.last = when if index.last is None else max(index.last, when)
        if when is None or (since is not None and when < since) or (until is not None and when >= until):
            index.outside += 1
            return
    index.threaded = index.threaded or bool(head.in_reply_to or head.references)
    if is_reply(head):
        index.replies += 1
        return
    tags = parse_subject(head.subject)
    cover = not head.diff and tags.is_patch and tags.index == 0
    if not head.diff:
        if cover:
            index.covers += 1
        else:
            index.other += 1
            return
    else:
        index.patches += 1
    hit = any(relevant(path) for path in head.paths)
    store.add(Entry(origin, seen.location, seen.name, head.msgid, head.in_reply_to, head.references,
                    head.subject, tags, cover, hit, hit or any(map(carries_asm, head.paths)), seen.size))


def relevance(rule_sets: Iterable) -> Callable[[str], bool]:
    """``relevant(path)``: whether any rule of the rule sets may find
    something in a file at ``path``, by the rules' languages and path
    scopes (as the engine decides which files a rule runs on).  A
    commit-message rule makes every file relevant."""
    from reviewbot.analysis.context import LANG_ASM, LANG_C, language_of, path_matches

    scopes: list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = []
    for rules in rule_sets:
        for rule in rules:
            if "commit-msg" in rule.languages:
                return lambda path: True
            scopes.append((rule.languages, rule.scope.include, rule.scope.exclude))

    def relevant(path: str) -> bool:
        language = language_of(path)
        for languages, include, exclude in scopes:
            # a C header's assembly blocks are read as assembly
            if not (language in languages or (language == LANG_C and path.endswith(".h")
                                               and LANG_ASM in languages)):
                continue
            if include and not path_matches(path, include):
                continue
            if exclude and path_matches(path, exclude):
                continue
            return True
        return False

    return relevant


def carries_asm(path: str) -> bool:
    """Whether the engine reads assembly in this file (``.S``, or a C
    header's assembly blocks): macros used from hyp code there make other
    files of the series hyp code, so such a file is context for the rest."""
    from reviewbot.analysis.context import LANG_ASM, language_of

    return language_of(path) == LANG_ASM or path.endswith(".h")
