"""The watcher: every matching series reviewed exactly once, when complete.

Three layers of tests:
- ``run_once`` over an in-memory lore (:class:`FakeLore`), with a clock the
  test sets: completeness, timeouts, revisions, replies, crashes, stops;
- the same against a loopback server that fails on purpose (500, 429,
  garbage, truncated gzip, silence): backoff, nothing lost, it goes on;
- the real thing: Debian's public-inbox serving an inbox on loopback, the
  real engine and outbox, and ``reviewbot watch`` as a process that is
  killed and restarted.
"""

from __future__ import annotations

import email.utils
import json
import mailbox
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reviewbot.config import Config, LoreConfig, WatchConfig, WatchQuery, load_config
from reviewbot.errors import RemoteError
from reviewbot.bot.lore import AtomEntry, LoreClient, quote_msgid
from reviewbot.mail.parse import parse_message
from reviewbot.model import PatchReview, Series, SeriesReview
from reviewbot.bot.outbox import Outbox, ReplyQueue
from reviewbot.rules.loader import load_rules
from reviewbot.bot.state import StateStore
from reviewbot.bot.watcher import (MIN_INTERVAL, MaildirSource, Outcome, Stopper, poll_interval,
                               run_forever, run_once)

try:  # the helpers sit beside this file; import them whether tests/ is a package or not
    from tests.fault_server import FaultServer, Reply, gz, truncated_gz, wait_until
    from tests.public_inbox import PublicInbox, mail_date, running_inbox
except ImportError:
    from fault_server import FaultServer, Reply, gz, truncated_gz, wait_until
    from public_inbox import PublicInbox, mail_date, running_inbox


@pytest.fixture
def public_inbox(tmp_path: Path) -> Iterator[PublicInbox]:
    """A running public-inbox serving an empty ``kvmarm`` inbox."""
    with running_inbox(tmp_path) as inbox:
        yield inbox


ROOT = Path(__file__).resolve().parent.parent
HYP = "arch/arm64/kvm/hyp/nvhe/host.S"
MSR_SWAP = "\tmsr\tx1, tpidr_el2"       # arm64.sysreg.msr-mrs-operand-order
RO_WRITE = "\tmsr\tmidr_el1, x0"         # arm64.sysreg.write-to-read-only
T0 = 1_700_000_000.0


# --- building mail ------------------------------------------------------------------------


def patch_mail(msgid: str, subject: str, *, path: str = HYP, line: str = "\tnop", date: str | None = None,
               in_reply_to: str | None = None, references: Iterable[str] = (),
               sender: str = "A U Thor <author@example.org>") -> str:
    """A git send-email patch that adds ``line`` to ``path``."""
    refs = list(references)
    head = [f"From: {sender}", "To: kvmarm@lists.linux.dev", "Cc: Marc Z <maz@example.org>",
            f"Subject: {subject}", f"Date: {date or mail_date()}", f"Message-ID: <{msgid}>"]
    if in_reply_to:
        head.append(f"In-Reply-To: <{in_reply_to}>")
    if refs:
        head.append("References: " + " ".join(f"<{r}>" for r in refs))
    return "\n".join(head) + (
        "\n\nA change.\n\nSigned-off-by: A U Thor <author@example.org>\n---\n"
        f"diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n--- a/{path}\n+++ b/{path}\n"
        "@@ -1,3 +1,4 @@\n SYM_FUNC_START(__thing)\n"
        f"+{line}\n"
        " \tnop\n \tret\n-- \n2.39.5\n")


def cover_mail(msgid: str, subject: str, *, date: str | None = None, in_reply_to: str | None = None) -> str:
    """A cover letter (no diff)."""
    head = ["From: A U Thor <author@example.org>", "To: kvmarm@lists.linux.dev", f"Subject: {subject}",
            f"Date: {date or mail_date()}", f"Message-ID: <{msgid}>"]
    if in_reply_to:
        head += [f"In-Reply-To: <{in_reply_to}>", f"References: <{in_reply_to}>"]
    return "\n".join(head) + "\n\nThis series does things.\n\nA U Thor (1):\n  stuff\n"


def series_mails(tag: str, version: int, total: int, *, hyp: int = 2, line: str = MSR_SWAP,
                 date: str | None = None, in_reply_to: str | None = None) -> list[str]:
    """A cover letter and ``total`` patches, git send-email style (every
    patch answers the cover); patch ``hyp`` changes hyp code with ``line``,
    the others change a driver."""
    v = f" v{version}" if version > 1 else ""
    cover = f"{tag}-v{version}-0@example.org"
    mails = [cover_mail(cover, f"[PATCH{v} 0/{total}] KVM: arm64: {tag}", date=date, in_reply_to=in_reply_to)]
    refs = [in_reply_to, cover] if in_reply_to else [cover]
    for i in range(1, total + 1):
        path, added = (HYP, line) if i == hyp else (f"drivers/misc/{tag}{i}.S", "\tnop")
        mails.append(patch_mail(f"{tag}-v{version}-{i}@example.org",
                                f"[PATCH{v} {i}/{total}] KVM: arm64: {tag} part {i}",
                                path=path, line=added, date=date, in_reply_to=cover, references=refs))
    return mails


def reply_mail(msgid: str, to_msgid: str, subject: str, *, with_diff: bool = True) -> str:
    """A reviewer's reply, with a diff of its own (which matches dfn: too)."""
    head = ["From: Marc Z <maz@example.org>", "To: kvmarm@lists.linux.dev", f"Subject: Re: {subject}",
            f"Date: {mail_date()}", f"Message-ID: <{msgid}>", f"In-Reply-To: <{to_msgid}>",
            f"References: <{to_msgid}>"]
    body = "\n\nHow about this instead?\n\n"
    if with_diff:
        body += (f"diff --git a/{HYP} b/{HYP}\n--- a/{HYP}\n+++ b/{HYP}\n@@ -1,2 +1,3 @@\n a\n"
                 f"+\tmsr\tx2, tpidr_el2\n b\n")
    return "\n".join(head) + body


# --- an in-memory lore ----------------------------------------------------------------------


@dataclass
class Posted:
    raw: bytes
    msgid: str
    root: str
    received: float
    lists: tuple[str, ...]


@dataclass
class FakeLore:
    """What the watcher asks lore, answered from memory.  A message
    "matches" when its diff touches ``arch/arm64/kvm/hyp``."""

    posts: list[Posted] = field(default_factory=list)
    searches: list[tuple[str, str, float | None]] = field(default_factory=list)
    threads: list[str] = field(default_factory=list)
    fail: int = 0  # raise RemoteError on the next N calls

    def post(self, raw: str, received: float, lists: tuple[str, ...] = ("kvmarm",)) -> None:
        msg = parse_message(raw.encode())
        assert msg.msgid
        parent = msg.references[0] if msg.references else msg.in_reply_to
        root = next((p.root for p in self.posts if p.msgid == parent), parent) if parent else msg.msgid
        self.posts.append(Posted(raw.encode(), msg.msgid, root, received, lists))

    def _maybe_fail(self) -> None:
        if self.fail:
            self.fail -= 1
            raise RemoteError("lore is down")

    def search(self, inbox: str, query: str, *, since: float | None = None) -> list[AtomEntry]:
        self.searches.append((inbox, query, since))
        self._maybe_fail()
        return [AtomEntry(p.msgid, "", None, "", "") for p in self.posts
                if inbox in p.lists and b"diff --git a/arch/arm64/kvm/hyp" in p.raw
                and (since is None or p.received >= since)]

    def thread_mbox(self, inbox: str, msgid: str) -> bytes | None:
        self.threads.append(msgid)
        self._maybe_fail()
        root = next((p.root for p in self.posts if p.msgid == msgid), None)
        if root is None:
            return None
        return b"".join(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + p.raw.rstrip(b"\n") + b"\n\n"
                        for p in self.posts if p.root == root and inbox in p.lists)


class Recorder:
    """A review function that counts what it reviewed (real engine inside)."""

    def __init__(self, rules: Any = None, crash: int = 0) -> None:
        self.rules = rules
        self.crash = crash
        self.reviewed: list[tuple[str, int, tuple[int | None, ...]]] = []

    def __call__(self, series: Series, ruleset: Any, config: Config) -> SeriesReview:
        if self.crash:
            self.crash -= 1
            raise ValueError("a bug in reviewbot")
        self.reviewed.append((series.title, series.version, tuple(p.tags.index for p in series.patches)))
        from reviewbot.engine import review
        return review(series, ruleset, config)


class ListOutbox:
    """An outbox that keeps what it is handed."""

    def __init__(self) -> None:
        self.handed: list[str | None] = []

    def queue(self, review: SeriesReview, patches: list[PatchReview]) -> int:
        self.handed += [p.patch.message.msgid for p in patches]
        return sum(1 for p in patches if p.findings)


def make_config(**watch: Any) -> Config:
    base = load_config(packaged=True)
    fields = dict(queries=(WatchQuery("kvmarm", "dfn:arch/arm64/kvm/hyp"),), series_timeout=3600,
                  initial_lookback=86400)
    fields.update(watch)
    return Config(rules=base.rules, context=base.context, bot=base.bot, watch=WatchConfig(**fields),
                  lore=LoreConfig(base_url="http://127.0.0.1:9"))


@pytest.fixture(scope="module")
def rules() -> Any:
    return load_rules(load_config(packaged=True))


class Rig:
    """The watcher's world: a fake lore, a store, an outbox, a clock."""

    def __init__(self, rules: Any, store: StateStore | None = None, **watch: Any) -> None:
        self.lore = FakeLore()
        self.store = store or StateStore(":memory:")
        self.config = make_config(**watch)
        self.outbox = ListOutbox()
        self.review = Recorder(rules)
        self.rules = rules
        self.now = T0

    def post(self, *raws: str, at: float | None = None) -> None:
        for raw in raws:
            self.lore.post(raw, self.now if at is None else at)

    def poll(self, advance: float = 600.0, **kw: Any) -> list[Outcome]:
        self.now += advance
        return run_once(self.lore, self.store, self.rules, self.config, self.outbox, now=self.now,
                        review=self.review, **kw)


def actions(outcomes: list[Outcome]) -> list[tuple[str, str]]:
    return [(o.action, o.title) for o in outcomes if o.action != "polled"]


# --- run_once over an in-memory lore ----------------------------------------------------------


def test_a_series_posted_in_parts_is_reviewed_once_when_complete(rules: Any) -> None:
    rig = Rig(rules)
    mails = series_mails("parts", 1, 3)
    rig.post(*mails[:3])  # cover, 1/3, 2/3 (the hyp patch)
    out = rig.poll()
    assert actions(out) == [("waiting", "[PATCH 0/3] KVM: arm64: parts")]
    assert out[1].present == 2 and out[1].total == 3
    assert rig.review.reviewed == []
    rig.post(mails[3])  # 3/3 does not touch hyp: no search finds it, the waiting thread is re-read
    out = rig.poll()
    assert actions(out) == [("reviewed", "[PATCH 0/3] KVM: arm64: parts")]
    assert rig.review.reviewed == [("[PATCH 0/3] KVM: arm64: parts", 1, (1, 2, 3))]
    assert out[-1].replies == 1 and out[-1].findings == 1 and out[-1].detail == "complete"
    assert rig.outbox.handed == ["parts-v1-1@example.org", "parts-v1-2@example.org", "parts-v1-3@example.org"]
    for _ in range(3):
        assert actions(rig.poll()) == []
    assert len(rig.review.reviewed) == 1 and len(rig.outbox.handed) == 3


def test_polls_ask_for_what_arrived_since_the_last_one_with_overlap(rules: Any) -> None:
    rig = Rig(rules, initial_lookback=7200)
    rig.poll()
    rig.poll(advance=900)
    (_, _, first), (_, _, second) = rig.lore.searches
    assert first == T0 + 600 - 7200
    assert second == T0 + 600 - 3600  # the last poll, less an hour for mail indexed late


def test_a_failed_poll_keeps_its_bound_and_loses_nothing(rules: Any) -> None:
    rig = Rig(rules)
    rig.poll()
    rig.post(*series_mails("down", 1, 1, hyp=1))
    rig.lore.fail = 1
    out = rig.poll()
    assert [o.action for o in out] == ["error"] and rig.review.reviewed == []
    out = rig.poll()
    assert rig.lore.searches[-1][2] == T0 + 600 - 3600  # still from the last good poll
    assert actions(out) == [("reviewed", "[PATCH 0/1] KVM: arm64: down")]


def test_a_thread_that_cannot_be_read_is_read_next_time(rules: Any) -> None:
    rig = Rig(rules)
    rig.post(*series_mails("flaky", 1, 2))
    rig.lore.fail = 0
    original = rig.lore.thread_mbox
    calls = {"n": 0}

    def flaky(inbox: str, msgid: str) -> bytes | None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RemoteError("truncated gzip")
        return original(inbox, msgid)

    rig.lore.thread_mbox = flaky  # type: ignore[method-assign]
    out = rig.poll()
    assert [o.action for o in out] == ["polled", "error"]
    assert rig.store.todo_hits() == [("kvmarm", "flaky-v1-2@example.org")]
    assert actions(rig.poll()) == [("reviewed", "[PATCH 0/2] KVM: arm64: flaky")]
    assert rig.store.todo_hits() == []


def test_an_incomplete_series_is_reviewed_after_the_timeout_and_late_parts_alone(rules: Any) -> None:
    rig = Rig(rules, series_timeout=3600)
    mails = series_mails("late", 1, 3, hyp=1)
    rig.post(*mails[:2])
    assert actions(rig.poll()) == [("waiting", "[PATCH 0/3] KVM: arm64: late")]
    assert actions(rig.poll(advance=1800)) == [("waiting", "[PATCH 0/3] KVM: arm64: late")]
    out = rig.poll(advance=1800)
    assert actions(out) == [("reviewed", "[PATCH 0/3] KVM: arm64: late")]
    assert out[-1].detail == "incomplete after 3600 s"
    assert rig.store.series("late-v1-0@example.org").status == "partial"  # type: ignore[union-attr]
    rig.post(mails[2])  # 2/3 comes late; it does not touch hyp, so only re-reading the thread finds it
    out = rig.poll()
    assert actions(out) == [("reviewed", "[PATCH 0/3] KVM: arm64: late")]
    assert out[-1].detail == "late patches" and out[-1].present == 2
    rig.post(mails[3])
    out = rig.poll()
    assert actions(out) == [("reviewed", "[PATCH 0/3] KVM: arm64: late")] and out[-1].detail == "complete"
    assert rig.outbox.handed == ["late-v1-1@example.org", "late-v1-2@example.org", "late-v1-3@example.org"]
    assert rig.store.series("late-v1-0@example.org").status == "reviewed"  # type: ignore[union-attr]
    threads = len(rig.lore.threads)
    assert actions(rig.poll()) == [] and len(rig.lore.threads) == threads  # done: no more reading


def test_late_patches_are_looked_for_a_day_at_most(rules: Any) -> None:
    rig = Rig(rules, series_timeout=600)
    rig.post(*series_mails("never", 1, 3, hyp=1)[:2])
    rig.poll()
    assert actions(rig.poll(advance=700))[0][0] == "reviewed"
    rig.poll(advance=86400)
    threads = len(rig.lore.threads)
    rig.poll()
    assert len(rig.lore.threads) == threads
    assert rig.store.series("never-v1-0@example.org").status == "reviewed"  # type: ignore[union-attr]


def test_a_series_already_old_when_first_seen_is_not_waited_for(rules: Any) -> None:
    rig = Rig(rules, series_timeout=3600, initial_lookback=86400 * 7)  # a first poll that catches up
    old = email.utils.formatdate(T0 - 86400 * 3)
    rig.post(*series_mails("old", 1, 4, hyp=1, date=old)[:3], at=T0 - 86400 * 3)
    out = rig.poll()
    assert actions(out) == [("reviewed", "[PATCH 0/4] KVM: arm64: old")]
    assert "older than the timeout" in out[-1].detail


def test_a_v2_posted_later_is_reviewed_again(rules: Any) -> None:
    rig = Rig(rules)
    rig.post(*series_mails("rev", 1, 2))
    assert actions(rig.poll()) == [("reviewed", "[PATCH 0/2] KVM: arm64: rev")]
    rig.post(*series_mails("rev", 2, 2, line=RO_WRITE, in_reply_to="rev-v1-0@example.org"))
    out = rig.poll()
    assert actions(out) == [("reviewed", "[PATCH v2 0/2] KVM: arm64: rev")]
    assert [(v, idx) for _, v, idx in rig.review.reviewed] == [(1, (1, 2)), (2, (1, 2))]
    assert actions(rig.poll()) == []


def test_replies_are_not_reviewed_as_patches_nor_is_the_bots_own_mail(rules: Any) -> None:
    rig = Rig(rules)
    mails = series_mails("talk", 1, 1, hyp=1)
    rig.post(*mails)
    rig.poll()
    assert len(rig.review.reviewed) == 1
    rig.post(reply_mail("r1@example.org", "talk-v1-1@example.org", "[PATCH 1/1] KVM: arm64: talk part 1"))
    bot = patch_mail("bot@example.org", "[PATCH] KVM: arm64: from the bot", line=MSR_SWAP,
                     sender=f"{rig.config.bot.name} <{rig.config.bot.email}>")
    rig.post(bot)
    out = rig.poll()
    assert actions(out) == [] and len(rig.review.reviewed) == 1
    assert rig.store.todo_hits() == []  # both hits were read and handled


def test_a_crashing_review_queues_nothing_and_is_given_up_after_three_tries(rules: Any) -> None:
    rig = Rig(rules)
    rig.review.crash = 3
    rig.post(*series_mails("boom", 1, 1, hyp=1))
    for _ in range(3):
        out = rig.poll()
        assert [o.action for o in out] == ["polled", "failed"]
        assert "a bug in reviewbot" in out[-1].detail
    assert actions(rig.poll()) == [] and rig.outbox.handed == []
    assert rig.store.series("boom-v1-0@example.org").status == "failed"  # type: ignore[union-attr]


def test_a_review_that_crashes_once_is_retried_on_the_next_poll(rules: Any) -> None:
    rig = Rig(rules)
    rig.review.crash = 1
    rig.post(*series_mails("once", 1, 1, hyp=1))
    assert [o.action for o in rig.poll()] == ["polled", "failed"]
    assert actions(rig.poll()) == [("reviewed", "[PATCH 0/1] KVM: arm64: once")]


def test_a_stop_between_steps_loses_nothing(rules: Any) -> None:
    rig = Rig(rules)
    rig.post(*series_mails("a", 1, 1, hyp=1), *series_mails("b", 1, 1, hyp=1))
    asked = {"n": 0}

    def stop() -> bool:
        asked["n"] += 1
        return asked["n"] > 1  # stop after the first thread

    out = rig.poll(stop=stop)
    assert [o.title for o in out if o.action == "reviewed"] == ["[PATCH 0/1] KVM: arm64: a"]
    out = rig.poll()
    assert [o.title for o in out if o.action == "reviewed"] == ["[PATCH 0/1] KVM: arm64: b"]
    assert len(rig.review.reviewed) == 2


def test_a_restart_between_polls_duplicates_and_loses_nothing(rules: Any, tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    rig = Rig(rules, store=StateStore(path))
    mails = series_mails("restart", 1, 3)
    rig.post(*mails[:3])
    rig.poll()
    rig.store.close()
    rig.store = StateStore(path)  # a new process
    rig.post(mails[3])
    assert actions(rig.poll()) == [("reviewed", "[PATCH 0/3] KVM: arm64: restart")]
    rig.store.close()
    rig.store = StateStore(path)
    assert actions(rig.poll()) == [] and len(rig.review.reviewed) == 1


def test_a_series_cross_posted_to_two_lists_is_reviewed_once(rules: Any) -> None:
    rig = Rig(rules, queries=(WatchQuery("kvmarm", "dfn:arch/arm64/kvm/hyp"),
                              WatchQuery("linux-arm-kernel", "dfn:arch/arm64/kvm/hyp")))
    for raw in series_mails("cross", 1, 2):
        rig.lore.post(raw, rig.now, lists=("kvmarm", "linux-arm-kernel"))
    out = rig.poll()
    assert [o.action for o in out] == ["polled", "polled", "reviewed"]
    assert actions(rig.poll()) == []


def test_a_message_the_server_forgot_is_given_up_after_some_tries(rules: Any) -> None:
    rig = Rig(rules)
    rig.post(*series_mails("gone", 1, 1, hyp=1))
    rig.lore.thread_mbox = lambda inbox, msgid: None  # type: ignore[method-assign,assignment]
    for _ in range(5):
        rig.poll()
    assert rig.store.todo_hits() == []


def test_the_poll_interval_has_a_floor() -> None:
    assert poll_interval(make_config(interval=5)) == MIN_INTERVAL
    assert poll_interval(make_config(interval=900)) == 900


def test_run_forever_stops_after_the_current_step(rules: Any) -> None:
    rig = Rig(rules)
    rig.post(*series_mails("forever", 1, 1, hyp=1))
    stopper = Stopper()
    polls = run_forever(rig.lore, rig.store, rules, rig.config, rig.outbox, review=rig.review,
                        stopper=stopper, after_poll=lambda outcomes: stopper.event.set(), clock=lambda: rig.now)
    assert polls == 1 and len(rig.review.reviewed) == 1


def test_run_forever_handles_sigterm(rules: Any) -> None:
    rig = Rig(rules)
    stopper = Stopper()
    stopper.install()
    try:
        def after(outcomes: list[Outcome]) -> None:
            os.kill(os.getpid(), signal.SIGTERM)  # as an operator would, mid-run

        polls = run_forever(rig.lore, rig.store, rules, rig.config, rig.outbox, review=rig.review,
                            stopper=stopper, after_poll=after, clock=lambda: rig.now)
    finally:
        stopper.restore()
    assert polls == 1 and stopper()


# --- a Maildir filled by lei up ---------------------------------------------------------------


def test_a_maildir_is_an_input_too(rules: Any, tmp_path: Path) -> None:
    box = mailbox.Maildir(str(tmp_path / "lei"), create=True)
    mails = series_mails("lei", 1, 2)
    for raw in mails[:2]:
        box.add(raw.encode())
    rig = Rig(rules)
    source = MaildirSource(tmp_path / "lei")
    out = run_once(source, rig.store, rules, rig.config, rig.outbox, now=T0, review=rig.review)
    assert actions(out) == [("waiting", "[PATCH 0/2] KVM: arm64: lei")]
    box.add(mails[2].encode())
    box.add(reply_mail("r@example.org", "lei-v1-2@example.org", "[PATCH 2/2] x").encode())
    out = run_once(source, rig.store, rules, rig.config, rig.outbox, now=T0 + 60, review=rig.review)
    assert actions(out) == [("reviewed", "[PATCH 0/2] KVM: arm64: lei")]
    assert rig.outbox.handed == ["lei-v1-1@example.org", "lei-v1-2@example.org"]
    out = run_once(source, rig.store, rules, rig.config, rig.outbox, now=T0 + 120, review=rig.review)
    assert actions(out) == [] and len(rig.review.reviewed) == 1


def test_a_missing_maildir_is_an_error_outcome(rules: Any, tmp_path: Path) -> None:
    rig = Rig(rules)
    out = run_once(MaildirSource(tmp_path / "nope"), rig.store, rules, rig.config, rig.outbox, now=T0)
    assert [o.action for o in out] == ["error"] and "not a Maildir" in out[0].detail


# --- against a loopback server that misbehaves ---------------------------------------------------


class LoreOverHttp:
    """Serve a FakeLore's contents the way public-inbox does."""

    def __init__(self, lore: FakeLore) -> None:
        self.lore = lore

    def __call__(self, method: str, path: str, query: dict[str, str]) -> Reply:
        parts = path.strip("/").split("/")
        if len(parts) == 1 and query.get("x") == "A":
            q = query["q"]
            since = float(q.rsplit("rt:", 1)[1].rstrip(".")) if "rt:" in q else None
            entries = self.lore.search(parts[0], q, since=since)
            body = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
                    + b"".join(f'<entry><title>t</title><link href="http://x/{parts[0]}/{quote_msgid(e.msgid)}/"/>'
                               f"</entry>".encode() for e in entries) + b"</feed>")
            if not entries:
                return Reply(404, b"<html>no results</html>", {"Content-Type": "text/html"})
            return Reply(200, body, {"Content-Type": "application/atom+xml"})
        if len(parts) == 3 and parts[2] == "t.mbox.gz":
            data = self.lore.thread_mbox(parts[0], urllib.parse.unquote(parts[1]))
            return Reply(404, b"not found") if data is None else Reply(200, gz(data))
        return Reply(404, b"not found")


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def http_rig(rules: Any) -> Any:
    rig = Rig(rules)
    server = FaultServer(LoreOverHttp(rig.lore)).start()
    rig.sleeps = Sleeps()
    rig.client = LoreClient(LoreConfig(base_url=server.url, connect_timeout=1, read_timeout=0.5),
                            sleep=rig.sleeps, retries=2, backoff=1.0)
    rig.server = server

    def poll(advance: float = 600.0) -> list[Outcome]:
        rig.now += advance
        return run_once(rig.client, rig.store, rules, rig.config, rig.outbox, now=rig.now, review=rig.review)

    rig.poll = poll
    yield rig
    server.stop()


def test_the_watcher_rides_out_500s_garbage_and_truncated_gzip(http_rig: Any) -> None:
    rig = http_rig
    rig.post(*series_mails("fault", 1, 2))
    rig.server.fail_next(Reply(500), Reply(500), Reply(500))  # the search fails three times: give up
    out = rig.poll()
    assert [o.action for o in out] == ["error"] and "HTTP 500" in out[0].detail
    assert len(rig.sleeps) == 2 and rig.sleeps[1] > rig.sleeps[0]  # backoff grew
    rig.server.fail_next(Reply(200, b"<html>garbage</html>"))
    out = rig.poll()
    assert [o.action for o in out] == ["error"] and "not an Atom feed" in out[0].detail
    # the search works; the thread comes back cut short three times (all attempts)
    bad = truncated_gz(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" * 200)
    served = {"n": 0}
    base_route = rig.server.route

    def thread_fails(method: str, path: str, query: dict[str, str]) -> Reply:
        if path.endswith("t.mbox.gz") and served["n"] < 3:
            served["n"] += 1
            return Reply(200, bad)
        return base_route(method, path, query)

    rig.server.route = thread_fails
    out = rig.poll()
    assert [o.action for o in out] == ["polled", "error"] and "truncated" in out[1].detail
    assert rig.review.reviewed == [] and rig.store.todo_hits()
    out = rig.poll()
    assert [o.action for o in out] == ["polled", "reviewed"]
    assert len(rig.review.reviewed) == 1 and rig.store.todo_hits() == []


def test_the_watcher_waits_as_told_by_429_and_survives_silence(http_rig: Any) -> None:
    rig = http_rig
    rig.post(*series_mails("slow", 1, 1, hyp=1))
    rig.server.fail_next(Reply(429, headers={"Retry-After": "42"}), Reply(hang=8.0))
    started = time.monotonic()
    out = rig.poll()
    assert [o.action for o in out] == ["polled", "reviewed"]
    assert rig.sleeps[0] == 42.0 and len(rig.sleeps) == 2
    assert time.monotonic() - started < 5.0  # the hang was cut by the read timeout, not waited out
    assert actions(rig.poll()) == []


# --- the real server: public-inbox on loopback ----------------------------------------------------


def _watch_config(tmp_path: Path, url: str, **extra: Any) -> Path:
    cfg = {
        "lore": {"base-url": url, "connect-timeout": 2, "read-timeout": 10},
        "watch": {"queries": [{"list": "kvmarm", "query": "dfn:arch/arm64/kvm/hyp"}],
                  "state": str(tmp_path / "watch.sqlite"), "series-timeout": 3600, **extra},
        "outbox": {"path": str(tmp_path / "outbox.mbox"), "database": str(tmp_path / "outbox.sqlite")},
        "bot": {"email": "reviewbot@example.org"},
    }
    path = tmp_path / "watch.yaml"
    path.write_text(json.dumps(cfg))  # JSON is YAML
    return path


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewbot", *argv], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _replies(tmp_path: Path) -> list[str]:
    box = tmp_path / "outbox.mbox"
    if not box.exists():
        return []
    return [str(m["In-Reply-To"]) for m in mailbox.mbox(str(box))]


@pytest.mark.integration
def test_public_inbox_series_in_parts_then_v2_then_a_reply(public_inbox: PublicInbox, rules: Any,
                                                          tmp_path: Path) -> None:
    config = load_config([_watch_config(tmp_path, public_inbox.url)])
    client = LoreClient(config.lore)
    review = Recorder(rules)

    def poll() -> list[Outcome]:
        with StateStore(config.watch.state) as store, \
                Outbox(config.outbox.database, config.outbox.path) as outbox:
            queue = ReplyQueue(outbox, config.bot, rules_version=rules.version)
            return run_once(client, store, rules, config, queue, review=review)

    v1 = series_mails("pi", 1, 3)
    for raw in v1[:3]:
        public_inbox.add(raw)
    assert actions(poll()) == [("waiting", "[PATCH 0/3] KVM: arm64: pi")]
    public_inbox.add(v1[3])
    out = poll()
    assert actions(out) == [("reviewed", "[PATCH 0/3] KVM: arm64: pi")] and out[-1].replies == 1
    assert review.reviewed == [("[PATCH 0/3] KVM: arm64: pi", 1, (1, 2, 3))]
    assert _replies(tmp_path) == ["<pi-v1-2@example.org>"]
    assert actions(poll()) == []

    for raw in series_mails("pi", 2, 3, line=RO_WRITE, in_reply_to="pi-v1-0@example.org"):
        public_inbox.add(raw)
    out = poll()
    assert actions(out) == [("reviewed", "[PATCH v2 0/3] KVM: arm64: pi")] and out[-1].replies == 1
    assert _replies(tmp_path) == ["<pi-v1-2@example.org>", "<pi-v2-2@example.org>"]

    public_inbox.add(reply_mail("maz-1@example.org", "pi-v2-2@example.org", "[PATCH v2 2/3] KVM: arm64: pi part 2"))
    out = poll()
    assert [o.action for o in out] == ["polled"] and out[0].present == 1  # the reply matched the search...
    assert len(review.reviewed) == 2  # ...and was not reviewed as a patch...
    # ...but its suggested diff (msr with its operands swapped) gets one answer (issue 17)
    assert _replies(tmp_path)[2:] == ["<maz-1@example.org>"]
    assert actions(poll()) == [] and len(_replies(tmp_path)) == 3


@pytest.mark.integration
def test_public_inbox_watch_killed_and_restarted(public_inbox: PublicInbox, tmp_path: Path) -> None:
    cfg = _watch_config(tmp_path, public_inbox.url)
    mails = series_mails("kill", 1, 2)
    public_inbox.add(mails[0])
    public_inbox.add(mails[2])  # 2/2, the hyp patch; 1/2 is late
    log = tmp_path / "watch.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "reviewbot", "watch", "--config", str(cfg)],
                                stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert wait_until(lambda: "next poll in" in log.read_text(), timeout=20), log.read_text()
    finally:
        proc.send_signal(signal.SIGKILL)  # no chance to clean up
        proc.wait(timeout=10)
    assert "waiting for '[PATCH 0/2] KVM: arm64: kill'" in log.read_text()
    public_inbox.add(mails[1])
    first = _cli("watch", "--once", "--config", str(cfg))
    assert first.returncode == 0, first.stderr
    assert "reviewed '[PATCH 0/2] KVM: arm64: kill' v1 (2 of 2 patches, complete)" in first.stdout
    again = _cli("watch", "--once", "--config", str(cfg))
    assert again.returncode == 0 and "0 series reviewed" in again.stdout
    assert _replies(tmp_path) == ["<kill-v1-2@example.org>"]
    status = _cli("watch", "--status", "--config", str(cfg))
    assert status.returncode == 0
    assert "series: 1 reviewed, 0 waiting, 0 reviewed incomplete (looking for the rest), 0 failed; " \
           "2 patches reviewed" in status.stdout
    assert "outbox: 1 pending" in status.stdout


@pytest.mark.integration
def test_public_inbox_watch_sigterm_finishes_and_exits(public_inbox: PublicInbox, tmp_path: Path) -> None:
    cfg = _watch_config(tmp_path, public_inbox.url)
    for raw in series_mails("term", 1, 1, hyp=1):
        public_inbox.add(raw)
    log = tmp_path / "watch.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "reviewbot", "watch", "--config", str(cfg),
                                 "-c", "watch.interval=60"],  # the floor; below it is a config error
                                stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert wait_until(lambda: "next poll in 60 s" in log.read_text(), timeout=20), log.read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text()
    # an interval under the floor is a configuration error now (it used to be raised to 60)
    from reviewbot.cli import main
    assert main(["watch", "--once", "--config", str(cfg), "-c", "watch.interval=1"]) == 2
    assert "reviewed '[PATCH 0/1] KVM: arm64: term' v1" in text and "stopped after 1 poll" in text
    assert _replies(tmp_path) == ["<term-v1-1@example.org>"]


def test_the_series_key_does_not_depend_on_what_has_arrived() -> None:
    from reviewbot.mail.series import assemble_series
    from reviewbot.bot.watcher import series_key

    def key(raws: list[str]) -> str:
        series, _ = assemble_series([parse_message(r.encode()) for r in raws])
        assert len(series) == 1
        return series_key(series[0])

    with_cover = series_mails("k", 1, 3)
    assert {key(with_cover), key(with_cover[1:]), key(with_cover[2:]), key(with_cover[:2])} == {"k-v1-0@example.org"}
    no_cover = [patch_mail("n1@x", "[PATCH 1/3] a"),
                patch_mail("n2@x", "[PATCH 2/3] b", in_reply_to="n1@x", references=["n1@x"]),
                patch_mail("n3@x", "[PATCH 3/3] c", in_reply_to="n1@x", references=["n1@x"])]
    assert {key(no_cover), key(no_cover[:1]), key(no_cover[1:]), key(no_cover[2:])} == {"n1@x"}
    v2 = series_mails("k", 2, 2, in_reply_to="k-v1-0@example.org")
    assert key(v2) == key(v2[1:]) == "k-v2-0@example.org"
