"""StateStore: what the watcher remembers survives a restart, once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from reviewbot.errors import ConfigError
from reviewbot.bot.state import SCHEMA_VERSION, StateStore


def test_a_new_file_gets_the_schema_version(tmp_path: Path) -> None:
    with StateStore(tmp_path / "sub" / "state.sqlite") as store:
        assert store.schema_version == SCHEMA_VERSION
    rows = sqlite3.connect(tmp_path / "sub" / "state.sqlite").execute("SELECT version FROM schema_version").fetchall()
    assert rows == [(SCHEMA_VERSION,)]


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    StateStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    db.commit()
    db.close()
    with pytest.raises(ConfigError, match="newer than this reviewbot understands"):
        StateStore(path)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ConfigError, match="not a usable watcher state database"):
        StateStore(path)


def test_polls_hits_series_and_patches_persist(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with StateStore(path) as store:
        assert store.last_poll("kvmarm", "q") is None
        with store.transaction():
            assert store.add_hits("kvmarm", ["a@x", "b@x"], 100.0) == ["a@x", "b@x"]
            store.record_poll("kvmarm", "q", 100.0, 2)
        with store.transaction():
            assert store.add_hits("kvmarm", ["b@x", "c@x"], 200.0) == ["c@x"]
            store.record_poll("kvmarm", "q", 200.0, 1)
            store.mark_done(["a@x"])
            store.upsert_series("k1", list_name="kvmarm", thread="a@x", title="t", version=2,
                                total=3, present=2, now=150.0)
            store.mark_reviewed("k1", 210.0, [("a@x", 1)], replies=1)
        with store.transaction():
            store.record_poll_error("kvmarm", "q", 300.0, "HTTP 503")
    with StateStore(path) as store:
        assert store.last_poll("kvmarm", "q") == 200.0  # an error does not move the bound
        assert store.todo_hits() == [("kvmarm", "b@x"), ("kvmarm", "c@x")]
        assert store.hits_among(["a@x", "zzz@x"]) == {"a@x"}
        assert store.reviewed_patches(["a@x", "b@x"]) == {"a@x"}
        record = store.series("k1")
        assert record is not None and record.status == "reviewed" and record.first_seen == 150.0
        assert record.replies == 1 and record.version == 2 and record.present == 2
        status = store.status()
        assert status.polls[0].last_error == "HTTP 503" and status.polls[0].hits == 3
        assert status.polls[0].polls == 2
        assert (status.messages, status.hits, status.hits_todo, status.patches_reviewed) == (3, 3, 2, 1)
        assert dict(status.counts) == {"reviewed": 1}


def test_a_transaction_that_fails_leaves_nothing(tmp_path: Path) -> None:
    with StateStore(tmp_path / "s.sqlite") as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.add_hits("kvmarm", ["a@x"], 1.0)
            store.record_poll("kvmarm", "q", 1.0, 1)
            raise RuntimeError("killed")
        assert store.todo_hits() == [] and store.last_poll("kvmarm", "q") is None


def test_upsert_keeps_first_seen_and_failed_series_wait_until_given_up() -> None:
    with StateStore(":memory:") as store:
        store.upsert_series("k", list_name="l", thread="m", title="t", version=1, total=3, present=1, now=10.0)
        again = store.upsert_series("k", list_name="l", thread="m", title="t", version=1, total=3,
                                    present=2, now=99.0)
        assert again.first_seen == 10.0 and again.present == 2
        assert store.mark_failed("k", 20.0, "boom", give_up=False) == 1
        assert [s.key for s in store.waiting_series()] == ["k"]
        store.mark_failed("k", 30.0, "boom", give_up=True)
        assert store.waiting_series() == [] and store.series("k").status == "failed"  # type: ignore[union-attr]


def test_a_hit_first_seen_in_a_thread_becomes_a_hit() -> None:
    with StateStore(":memory:") as store:
        store.add_seen("kvmarm", ["a@x"], 1.0)
        assert not store.is_hit("a@x")
        assert store.add_hits("kvmarm", ["a@x"], 2.0) == ["a@x"]
        assert store.is_hit("a@x") and store.todo_hits() == [("kvmarm", "a@x")]


def test_maildir_files_and_threads() -> None:
    with StateStore(":memory:") as store:
        store.add_maildir("1.host", "cover@x", "cover@x")
        store.add_maildir("2.host", "p1@x", "cover@x")
        store.add_maildir("3.host", "other@x", "other@x")
        store.add_maildir("4.host", None, None)
        assert store.maildir_known() == {"1.host", "2.host", "3.host", "4.host"}
        assert sorted(store.maildir_thread("p1@x")) == ["1.host", "2.host"]
        assert store.maildir_thread("unknown@x") == []


def test_only_one_watcher_at_a_time_per_state(tmp_path: Path) -> None:
    from reviewbot.errors import UsageError

    path = tmp_path / "state.sqlite"
    with StateStore(path) as first, StateStore(path) as second:
        with first.exclusive():
            with pytest.raises(UsageError, match="another 'reviewbot watch' is using this state"):
                with second.exclusive():
                    pass
        with second.exclusive():  # released when the first one is done
            pass
