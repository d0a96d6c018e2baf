"""The second pass: series reviewed in shards, in parallel.

A task is one shard of series, given as the locations of their messages;
the task reads those messages itself (one ``git cat-file --batch`` per
repository), parses them, and reviews each series exactly as ``review``
does, with the rule pack and, for ``--against``, the second pack on the
same parsed series.  Tasks run in this process (``--jobs 1``), in local
worker processes (:class:`concurrent.futures.ProcessPoolExecutor`), or on a
Dask distributed cluster (``--scheduler``): the same function everywhere,
so every mode gives the same findings.
"""

from __future__ import annotations

import logging
import os
import signal
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from hashlib import sha256
from itertools import islice
from typing import Any

from reviewbot.backtest.store import SeriesSpec
from reviewbot.backtest.sources import Source, first_line, read_some
from reviewbot.records import record

log = logging.getLogger(__name__)

#: A shard closes at this much mail or this many series, whichever first:
#: small enough to balance the workers and bound their memory, large
#: enough that a task's start-up (a git process) is noise.  Fixed, so the
#: shards (and their checkpoints) do not depend on --jobs.
SHARD_BYTES = 1 << 20
SHARD_SERIES = 100


@record
class Shard:
    """Some series to review; ``key`` names its content."""

    number: int
    key: str
    series: tuple[SeriesSpec, ...]


@record
class Task:
    """What a worker gets: the sources (to read by location) and a shard."""

    sources: tuple[Source, ...]
    shard: Shard


@record
class Packs:
    """The configuration and rule packs every task uses (``against`` is
    the second pack of ``--against``, or None)."""

    config: Any
    rules: Any
    against: Any = None


@record
class Found:
    """One finding, as the report and the checkpoints keep it."""

    rule: str
    severity: str
    message: str
    msgid: str | None
    subject: str
    path: str | None
    line: int | None
    fingerprint: str
    source: str

    def as_json(self) -> dict[str, Any]:
        """A JSON object (the checkpoint and ``--format json`` record)."""
        return {"rule": self.rule, "severity": self.severity, "message": self.message, "msgid": self.msgid,
                "subject": self.subject, "path": self.path, "line": self.line,
                "fingerprint": self.fingerprint, "source": self.source}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Found":
        """The inverse of :meth:`as_json`."""
        return cls(**{name: data.get(name) for name in ("rule", "severity", "message", "msgid", "subject",
                                                         "path", "line", "fingerprint", "source")})


@record
class SeriesResult:
    """The review of one series: findings of the pack and of the pack it
    is compared against, suppressed ones counted, what went wrong."""

    title: str
    version: int
    patches: int
    findings: tuple[Found, ...] = ()
    against: tuple[Found, ...] = ()
    suppressed: int = 0
    problems: tuple[str, ...] = ()
    malformed: tuple[tuple[str, str], ...] = ()

    def as_json(self) -> dict[str, Any]:
        """A JSON object for the checkpoint."""
        return {"title": self.title, "version": self.version, "patches": self.patches,
                "findings": [f.as_json() for f in self.findings], "against": [f.as_json() for f in self.against],
                "suppressed": self.suppressed, "problems": list(self.problems),
                "malformed": [list(m) for m in self.malformed]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "SeriesResult":
        """The inverse of :meth:`as_json`."""
        return cls(data["title"], data["version"], data["patches"],
                   tuple(Found.from_json(f) for f in data["findings"]),
                   tuple(Found.from_json(f) for f in data["against"]), data["suppressed"],
                   tuple(data["problems"]), tuple((m[0], m[1]) for m in data["malformed"]))


def make_shards(series: Iterable[SeriesSpec], sources: list[Source]) -> Iterator[Shard]:
    """Cut the series into shards of about :data:`SHARD_BYTES` of mail, as
    they come."""
    number = 0
    current: list[SeriesSpec] = []
    size = 0
    for spec in series:
        current.append(spec)
        size += spec.size
        if size >= SHARD_BYTES or len(current) >= SHARD_SERIES:
            yield _shard(number, current, sources)
            number, current, size = number + 1, [], 0
    if current:
        yield _shard(number, current, sources)


def _shard(number: int, series: list[SeriesSpec], sources: list[Source]) -> Shard:
    digest = sha256()
    for spec in series:
        for entry in spec.entries:
            digest.update(f"{sources[entry.origin].path}\0{entry.location}\0{entry.cover}\n".encode())
        digest.update(b"\n")
    return Shard(number, digest.hexdigest()[:24], tuple(series))


# --- one task ---------------------------------------------------------------------------


def review_shard(task: Task, packs: Packs) -> list[SeriesResult]:
    """Read the shard's messages and review each of its series."""
    wanted: dict[int, list[str]] = defaultdict(list)
    for spec in task.shard.series:
        for entry in spec.entries:
            if entry.cover or entry.needed:
                wanted[entry.origin].append(entry.location)
    blobs: dict[tuple[int, str], bytes] = {}
    for origin, locations in wanted.items():
        for location, data in read_some(task.sources[origin], locations).items():
            blobs[origin, location] = data
    wanted_file = _wanted_file(packs)
    results = []
    for spec in task.shard.series:
        results.append(review_series(spec, blobs, task.sources, packs, wanted_file))
    _bound_memory()
    return results


def _wanted_file(packs: Packs) -> Callable[[str], bool]:
    from reviewbot.backtest.index import carries_asm, relevance

    relevant = relevance([r for r in (packs.rules, packs.against) if r is not None])
    return lambda path: relevant(path) or carries_asm(path)


def review_series(spec: SeriesSpec, blobs: dict[tuple[int, str], bytes], sources: tuple[Source, ...],
                  packs: Packs, wanted_file: Callable[[str], bool]) -> SeriesResult:
    """Parse one series' messages and review it with each pack.  Only the
    files rules apply to, and the files that are context for them
    (assembly: a macro used from hyp code), are read and reviewed; the
    findings are the same as the whole series', as no rule runs on the
    others and nothing of them reaches the rest."""
    from reviewbot.mail.parse import mbox_message, parse_message
    from reviewbot.mail.series import to_patch
    from reviewbot.model import Series
    from reviewbot.records import replace

    malformed: list[tuple[str, str]] = []
    messages = {}
    for entry in spec.entries:
        raw = blobs.pop((entry.origin, entry.location), None)
        if not (entry.cover or entry.needed):
            continue
        if raw is None:
            malformed.append((entry.source, "cannot be read back from the source"))
            continue
        if sources[entry.origin].kind == "mbox":
            raw = mbox_message(raw)
        try:
            messages[entry] = parse_message(raw, source=entry.source, first_line=first_line(entry.location))
        except Exception as exc:  # noqa: BLE001 - one bad message must not stop the series
            malformed.append((entry.source, f"cannot parse: {exc}"))
    patches = []
    for entry in spec.patches:
        if entry in messages and (patch := to_patch(messages[entry])) is not None:
            files = tuple(change for change in patch.files if wanted_file(change.path))
            patches.append(patch if len(files) == len(patch.files) else replace(patch, files=files))
    cover = messages.get(spec.cover) if spec.cover is not None else None
    first = spec.patches[0].tags
    title = cover.subject if cover is not None else spec.patches[0].subject
    if not patches:
        return SeriesResult(title, first.version, len(spec.patches), malformed=tuple(malformed))
    series = Series(patches=tuple(patches), cover=cover, version=first.version, total=first.total)
    found, suppressed, problems = _review(series, packs.rules, packs.config)
    before: tuple[Found, ...] = ()
    if packs.against is not None:
        before, _, against_problems = _review(series, packs.against, packs.config)
        problems += tuple(f"(--against) {p}" for p in against_problems)
    return SeriesResult(title, first.version, len(spec.patches), found, before, suppressed, problems,
                        tuple(malformed))


def _review(series: Any, rules: Any, config: Any) -> tuple[tuple[Found, ...], int, tuple[str, ...]]:
    from reviewbot.engine import review

    try:
        result = review(series, rules, config)
    except Exception as exc:  # noqa: BLE001 - one series must not stop the others
        return (), 0, (f"reviewing {series.title!r} v{series.version} failed: {type(exc).__name__}: {exc}",)
    found: list[Found] = []
    suppressed = 0
    problems: list[str] = []
    for patch_review in result.patches:
        if patch_review.patch.error:
            continue  # a diff that cannot be read: counted with the malformed
        problems.extend(patch_review.problems)
        message = patch_review.patch.message
        for f in patch_review.findings:
            if f.suppressed:
                suppressed += 1
                continue
            found.append(Found(f.rule_id, f.severity.label, f.message, message.msgid, message.subject, f.path,
                               f.line if f.line is not None else f.old_line, f.fingerprint, message.source))
    return tuple(found), suppressed, tuple(problems)


# --- where tasks run ------------------------------------------------------------------------


#: Tasks given out per worker and not yet finished: enough to keep every
#: worker busy, few enough that the shards waiting do not grow with the archive.
AHEAD = 3


def run_tasks(tasks: Iterable[Task], packs: Packs, *, pool: Executor | None = None, scheduler: str | None = None,
              workers: int = 1) -> Iterator[tuple[Task, list[SeriesResult]]]:
    """Each task with its results, in the order they finish: on the Dask
    cluster at ``scheduler``, else in the local process ``pool`` (of
    ``workers`` processes), else here.  Tasks are taken from ``tasks`` as
    workers are free for them."""
    if scheduler is not None:
        yield from _run_dask(tasks, packs, scheduler)
    elif pool is None:
        for task in tasks:
            yield task, review_shard(task, packs)
    else:
        pending = iter(tasks)
        futures: dict[Future, Task] = {}
        try:
            while True:
                for task in islice(pending, max(AHEAD * workers - len(futures), 0)):
                    futures[pool.submit(review_shard, task, packs)] = task
                if not futures:
                    return
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in done:
                    yield futures.pop(future), future.result()
        finally:
            for future in futures:
                future.cancel()


def local_pool(jobs: int) -> LocalPool:
    """The worker processes of the local mode (``--jobs 1`` too: the
    reviewing never grows the main process, which holds the index)."""
    return LocalPool(max_workers=jobs, initializer=_ignore_interrupts)


class LocalPool(ProcessPoolExecutor):
    """Worker processes that leave Ctrl-C to the main process: the terminal
    interrupts the whole process group, and each worker interrupted in the
    middle of a shard or waiting for one would print its own traceback
    (and one killed while it sends a result leaves the pool waiting for
    the rest of it).  The main process shuts the pool down: each worker
    finishes its shard and ends, and the interrupt is reported once."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        # workers are started here: SIGINT stays blocked in them from the
        # fork to _ignore_interrupts, so not even an early one reaches them
        with _interrupts_blocked():
            return super().submit(fn, *args, **kwargs)


@contextmanager
def _interrupts_blocked() -> Iterator[None]:
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX: the initializer alone
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _ignore_interrupts() -> None:
    """The initializer of every worker of :class:`LocalPool`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


#: A worker whose resident memory passes this forgets the parser's memos
#: after its shard.  They are bounded by entries, not bytes, and grow with
#: the archive (50 MiB over linux-arm-kernel's first epoch); kept below
#: this, they still serve the revisions of a series, which repeat most
#: statements.
MEMO_RSS_MIB = 160


def _bound_memory() -> None:
    try:
        with open("/proc/self/statm", "rb") as handle:
            resident_pages = int(handle.read().split()[1])
    except (OSError, ValueError, IndexError):
        return  # not Linux: the memos stay bounded by their entry limit
    if resident_pages * os.sysconf("SC_PAGE_SIZE") > MEMO_RSS_MIB << 20:
        from reviewbot.asm.parser import clear_caches

        clear_caches()


def _run_dask(tasks: Iterable[Task], packs: Packs, address: str) -> Iterator[tuple[Task, list[SeriesResult]]]:
    from reviewbot.backtest.cluster import connect_client

    client = connect_client(address)  # a UsageError naming the address if it cannot be had
    try:
        from distributed import as_completed as finished

        # the packs go to every worker once, not with every task
        [packs_future] = client.scatter([packs], broadcast=True, hash=False)
        threads = sum(w.get("nthreads", 1) for w in client.scheduler_info().get("workers", {}).values())
        ahead = AHEAD * max(threads, 1)
        pending = iter(tasks)
        futures: dict[Any, Task] = {}
        running = finished(loop=client.loop)  # futures may be added while it is read

        def submit(count: int) -> None:
            for task in islice(pending, count):
                future = client.submit(review_shard, task, packs_future, key=f"reviewbot-backtest-{task.shard.key}",
                                       pure=False)
                futures[future] = task
                running.add(future)

        submit(ahead)
        for future in running:
            yield futures.pop(future), future.result()
            future.release()
            submit(1)
    finally:
        client.close()
