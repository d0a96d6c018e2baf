"""What keeps the backtest's memory bounded: the index on disk (the series
it assembles are those ``group_series`` assembles from the same messages
in memory; Message-IDs two sources hold), the compact listing of a git
source, messages over the size limit left unread, and work given out only
a few items ahead of what is taken back."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from reviewbot.backtest import index, runner
from reviewbot.backtest.index import Entry, in_order
from reviewbot.backtest.sources import Listing, TooLarge, cat_file, open_sources
from reviewbot.backtest.store import IndexStore
from reviewbot.mail.series import group_series, parse_subject


def _entries(rng: random.Random, count: int) -> list[Entry]:
    """Patches and cover letters of a few series and revisions, threaded
    every way mail is: replies to a cover, to the first patch, a v2 in
    reply to the v1, references to messages the index never holds."""
    entries: list[Entry] = []
    for number in range(count):
        earlier = [e.msgid for e in entries if e.msgid] + ["gone@x", "reply@x"]
        total = rng.choice([None, 2, 3, 5])
        index = rng.randrange(0, total + 1) if total else None
        version = rng.choice([1, 1, 2, 3])
        counter = f" {index}/{total}" if total else ""
        subject = f"[PATCH{f' v{version}' if version > 1 else ''}{counter}] change {rng.randrange(4)}"
        tags = parse_subject(subject)
        threading_kind = rng.random()
        in_reply_to = rng.choice(earlier) if threading_kind < 0.6 else None
        references = tuple(rng.sample(earlier, rng.randrange(0, min(3, len(earlier)) + 1))) if threading_kind < 0.8 else ()
        msgid = None if rng.random() < 0.03 else f"m{number}@x"
        cover = index == 0 and rng.random() < 0.9
        entries.append(Entry(origin=rng.randrange(2), location=f"{number:040x}", source=f"src:{number}", msgid=msgid,
                             in_reply_to=in_reply_to, references=references, subject=subject, tags=tags, cover=cover,
                             relevant=rng.random() < 0.7, needed=rng.random() < 0.8, size=rng.randrange(100, 5000)))
    return entries


def _in_memory(entries: list[Entry], threaded: bool, reviewed: bool) -> list[tuple]:
    items = [(e, e.tags, None if e.cover else e) for e in entries]
    series = [(cover[0] if cover else None, tuple(p for _, _, p in patches))
              for cover, patches in group_series(items, threaded)]
    return [s for s in series if not reviewed or any(p.relevant for p in s[1])]


@pytest.mark.parametrize("threaded", [True, False])
def test_the_series_on_disk_are_those_group_series_makes(tmp_path: Path, threaded: bool) -> None:
    rng = random.Random(f"store-{threaded}")
    for case in range(30):
        entries = _entries(rng, rng.randrange(1, 60))
        directory = tmp_path / f"{case}"
        directory.mkdir()
        store = IndexStore(directory)
        try:
            for entry in entries:
                store.add(entry)
            store.group(threaded)
            for reviewed in (False, True):
                expected = _in_memory(entries, threaded, reviewed)
                assert [(s.cover, s.patches) for s in store.series(reviewed=reviewed)] == expected
                assert store.count(reviewed=reviewed) == len(expected)
        finally:
            store.close()


def test_a_message_id_is_held_by_the_first_source_that_holds_it(tmp_path: Path) -> None:
    store = IndexStore(tmp_path)
    try:
        store.hold("a@x", 0)
        store.hold("a@x", 1)
        assert not store.held_earlier("a@x", 0)  # the same source: not a duplicate
        assert store.held_earlier("a@x", 1) and store.held_earlier("a@x", 2)
        assert not store.held_earlier("b@x", 3)
    finally:
        store.close()


def test_a_listing_gives_back_what_it_was_given() -> None:
    listing = Listing()
    given = [(f"{n:040x}", n * 7) for n in range(10)]
    for blob, when in given:
        listing.append(blob, when)
    assert len(listing) == 10 and list(listing) == given
    assert listing[3:7] == given[3:7] and listing[8:20] == given[8:]
    assert list(listing.without({given[2][0], "f" * 40})) == given[:2] + given[3:]
    sha256 = Listing()
    sha256.append("ab" * 32, 1)
    assert list(sha256) == [("ab" * 32, 1)]
    with pytest.raises(ValueError, match="is not 64 hex digits"):
        sha256.append("ab" * 20, 2)


def test_in_order_keeps_only_a_few_items_given_out() -> None:
    given_out = []
    lock = threading.Lock()
    running = [0]

    def work(item: int) -> int:
        with lock:
            running[0] += 1
            given_out.append(running[0])
        return item * 2

    with ThreadPoolExecutor(2) as pool:
        results = []
        for result in in_order(pool, work, range(50), ahead=4):
            with lock:
                running[0] -= 1
            results.append(result)
    assert results == [n * 2 for n in range(50)]
    assert max(given_out) <= 4


def test_tasks_are_taken_as_workers_are_free(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shards are cut while others are reviewed: never more than
    AHEAD a worker given out and not finished."""
    taken = []
    finished = []

    def tasks():
        for number in range(40):
            taken.append(number)
            assert len(taken) - len(finished) <= runner.AHEAD * 2
            yield number

    monkeypatch.setattr(runner, "review_shard", lambda task, packs: [task])
    with ThreadPoolExecutor(2) as pool:
        for task, results in runner.run_tasks(tasks(), None, pool=pool, workers=2):  # type: ignore[arg-type]
            assert results == [task]
            finished.append(task)
    assert sorted(finished) == list(range(40))


def _git(*args: str, cwd: Path, data: bytes | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, input=data, check=True, capture_output=True).stdout.decode().strip()


def test_cat_file_skips_a_blob_over_its_limit_and_reads_on(tmp_path: Path) -> None:
    _git("init", "-q", cwd=tmp_path)
    small, big, last = (_git("hash-object", "-w", "--stdin", cwd=tmp_path, data=data)
                        for data in (b"small\n", b"x" * 3_000_000, b"last\n"))
    got = list(cat_file(str(tmp_path), [small, big, last, "0" * 40], limit=1_000_000))
    assert got == [(small, b"small\n"), (big, TooLarge(3_000_000)), (last, b"last\n"), ("0" * 40, None)]


def test_a_message_over_the_limit_is_malformed_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index, "MAX_MESSAGE", 400)
    patch = (b"From: a <a@example.org>\nMessage-Id: <p.1@example.org>\nSubject: [PATCH] arm64: x\n\n"
             b"x\n---\ndiff --git a/arch/arm64/kvm/hyp/a.S b/arch/arm64/kvm/hyp/a.S\n--- a/arch/arm64/kvm/hyp/a.S\n"
             b"+++ b/arch/arm64/kvm/hyp/a.S\n@@ -1 +1 @@\n-a\n+b\n")
    big = patch.replace(b"p.1@", b"p.2@") + b"+" + b"y" * 500 + b"\n"
    mbox = tmp_path / "list.mbox"
    mbox.write_bytes(b"From x Mon Sep 17 00:00:00 2001\n" + patch + b"\nFrom x Mon Sep 17 00:00:00 2001\n" + big)
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    store = IndexStore(store_dir)
    try:
        found = index.build_index(open_sources([str(mbox)]), lambda path: True, store)
        assert found.patches == 1 and found.series == 1
        [(name, problem)] = found.unreadable
        assert name.startswith(f"{mbox}:") and "MiB: not read (a message is read up to 0 MiB)" in problem
    finally:
        store.close()


def test_an_index_that_cannot_be_written_is_an_error_naming_where(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewbot.backtest import store
    from reviewbot.cli import main

    def full(self, entry):  # type: ignore[no-untyped-def]
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store.IndexStore, "add", full)
    mbox = tmp_path / "list.mbox"
    mbox.write_bytes(b"From x Mon Sep 17 00:00:00 2001\nFrom: a <a@example.org>\nMessage-Id: <p.1@example.org>\n"
                     b"Subject: [PATCH] x\n\nx\n---\ndiff --git a/a.S b/a.S\n--- a/a.S\n+++ b/a.S\n@@ -1 +1 @@\n-a\n+b\n")
    assert main(["backtest", str(mbox), "--no-cache", "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert "reviewbot-backtest-index-" in err and "cannot keep the index there: database or disk is full" in err
