"""One backtest, top to bottom: sources, rule packs, the index, the shards
(from checkpoints or reviewed), and the outcome the report is made of."""

from __future__ import annotations

import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from reviewbot.backtest.checkpoint import Checkpoints, run_key
from reviewbot.backtest.cluster import check_scheduler
from reviewbot.backtest.index import build_index, relevance
from reviewbot.backtest.progress import Progress
from reviewbot.backtest.report import Outcome
from reviewbot.backtest.runner import Packs, Task, local_pool, make_shards, run_tasks
from reviewbot.backtest.sources import Source, identity, open_sources
from reviewbot.backtest.store import IndexStore
from reviewbot.errors import InputError, UsageError
from reviewbot.records import record


@record
class Plan:
    """What the command line asks for."""

    sources: tuple[str, ...]
    config: Any
    rules: Any
    against: Any = None  # the second rule pack
    against_name: str | None = None
    since: int | None = None
    until: int | None = None
    jobs: int = 1  # worker processes; 0 reviews in this process (for debugging)
    scheduler: str | None = None
    checkpoints: Path | None = None


def backtest(plan: Plan, progress: Progress,
             on_shard: Callable[[int], None] | None = None) -> Outcome:
    """Run the plan; ``on_shard(number)`` is told of each shard reviewed
    (not taken from a checkpoint)."""
    started = time.monotonic()
    sources = open_sources(plan.sources)
    packs = Packs(plan.config, plan.rules, plan.against)
    relevant = relevance([r for r in (plan.rules, plan.against) if r is not None])
    if plan.scheduler is not None:  # a wrong address fails now, not after the index pass
        check_scheduler(plan.scheduler)
    # with --scheduler too: the index pass reads git sources in these workers
    pool = local_pool(plan.jobs) if plan.jobs > 0 else None
    try:
        return _backtest(plan, progress, on_shard, sources, packs, relevant, pool, started)
    finally:  # on an interrupt too: the workers ignore it, finish their shard and end
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _backtest(plan: Plan, progress: Progress, on_shard: Callable[[int], None] | None, sources: list[Source],
              packs: Packs, relevant: Callable[[str], bool], pool: Executor | None, started: float) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="reviewbot-backtest-index-") as scratch:
        try:
            store = IndexStore(Path(scratch))
            try:
                return _run(plan, progress, on_shard, sources, packs, relevant, pool, started, store)
            finally:
                store.close()
        except sqlite3.Error as exc:  # the index's file: a full disk, most likely
            raise InputError(scratch, f"cannot keep the index there: {exc} (TMPDIR names another directory)") from None


def _run(plan: Plan, progress: Progress, on_shard: Callable[[int], None] | None, sources: list[Source],
         packs: Packs, relevant: Callable[[str], bool], pool: Executor | None, started: float,
         store: IndexStore) -> Outcome:
    workers = plan.jobs if pool is not None else 1
    index = build_index(sources, relevant, store, since=plan.since, until=plan.until, progress=progress.messages,
                        pool=pool, workers=workers)
    outcome = Outcome(sources=[s.name for s in sources], index=index, skipped_series=index.series - index.reviewed,
                      against=plan.against_name)
    checkpoints = Checkpoints(plan.checkpoints, run_key(_run_parts(plan, sources)))
    done = from_checkpoints = 0

    def todo() -> Iterator[Task]:
        """The shards to review, as they are cut; those a checkpoint holds are taken from it."""
        nonlocal done, from_checkpoints
        for shard in make_shards(store.series(reviewed=True), sources):
            outcome.shards += 1
            kept = checkpoints.load(shard.key)
            if kept is not None and len(kept) == len(shard.series):
                outcome.take(shard.number, kept)
                outcome.resumed += 1
                done += len(kept)
                from_checkpoints += len(kept)
                progress.series(done, index.reviewed, from_checkpoints)
            else:
                yield Task(tuple(sources), shard)

    progress.restart()
    progress.series(done, index.reviewed, from_checkpoints)
    for task, shard_results in run_tasks(todo(), packs, pool=pool, scheduler=plan.scheduler, workers=workers):
        checkpoints.save(task.shard.key, shard_results)
        outcome.take(task.shard.number, shard_results)
        if on_shard is not None:
            on_shard(task.shard.number)
        done += len(shard_results)
        progress.series(done, index.reviewed, from_checkpoints)
    progress.done()
    outcome.seconds = time.monotonic() - started
    return outcome


def _run_parts(plan: Plan, sources: list[Source]) -> list[str]:
    """What a run's results depend on besides the code and the shard's
    messages: the rule packs and the configuration they read (not the
    bot's, the outbox's, the mail server's or the watcher's)."""
    return [plan.rules.version, plan.against.version if plan.against is not None else "-",
            repr(plan.config.rules), repr(plan.config.context), *(identity(s) for s in sources if s.kind != "git")]


# --- --against -----------------------------------------------------------------------------


def against_directory(spec: str, scratch: Path) -> Path:
    """The rule directory of ``--against``: ``spec`` itself when it is a
    directory, else the ``rules/`` of git ref ``spec`` of the reviewbot
    repository this reviewbot runs from, or (an installed reviewbot) of the
    current directory's (``git archive``, extracted under ``scratch``)."""
    path = Path(spec)
    if path.is_dir():
        return against_rules(path)
    from reviewbot.resources import data_path

    problems = []
    for repo in dict.fromkeys([data_path("rules").parent, Path.cwd()]):
        proc = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", spec, "rules/"],
                              capture_output=True)
        if proc.returncode == 0:
            break
        said = proc.stderr.decode(errors="replace").strip().splitlines()
        problems.append(f"{repo}" + (f": {said[-1]}" if said else ""))
    else:
        raise UsageError(f"--against {spec}: neither a directory nor a git ref with rules/ in the repository "
                         f"reviewbot runs from or the current directory ({'; '.join(problems)})")
    tar_path = scratch / "rules.tar"
    tar_path.write_bytes(proc.stdout)
    with tarfile.open(tar_path) as archive:
        archive.extractall(scratch, filter="data")
    return scratch / "rules"


def against_rules(path: Path) -> Path:
    """``path`` as a rule directory for ``--against``: its ``rules/`` when
    it has one (a checkout of reviewbot), else itself; one without a rule
    file is refused (an empty pack would show every finding as added)."""
    if (path / "rules").is_dir():
        path = path / "rules"
    if not any(path.rglob("*.yaml")):
        raise UsageError(f"--against {path}: no rule file (*.yaml) in this directory")
    return path


def scratch_directory() -> tempfile.TemporaryDirectory:
    """A temporary directory for the ``--against`` ref's rules."""
    return tempfile.TemporaryDirectory(prefix="reviewbot-backtest-")
