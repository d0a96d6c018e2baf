"""Nothing lost, nothing twice: ``reviewbot review --send`` killed (SIGKILL)
at seeded moments against an SMTP server (aiosmtpd on loopback) that is
slow to answer the end of DATA.

For every trial and every reply, after the killed run and one clean run:
the server got it exactly once, or the outbox shows it as ambiguous (the
clean run exits 1, ``--status`` lists it and exits 1).  Never lost, never
twice.  Then the archive check closes the loop: ``--requeue`` refuses the
replies a (loopback) archive already has and re-queues the others, and the
next send leaves every reply delivered exactly once.
"""

from __future__ import annotations

import http.server
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewbot.bot.outbox import Outbox
from tests.conftest import ROOT, make_patch, run_cli
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.integration

TRIALS = 12
SEED = 20240612
SLOW_ANSWER = 0.25  # seconds the server takes to answer the end of DATA
LIST = "kvmarm@lists.cs.columbia.edu"
HUNK = "@@ -1,2 +1,3 @@\n foo:\n+\tmsr\tx0, tpidr_el2\n \tret\n"


@pytest.fixture
def slow_server() -> Iterator[SmtpServer]:
    """Keeps each message as soon as the end of DATA arrives (the server
    has it), then is slow to say so."""
    server = SmtpServer()
    server.handler.answer_delay = SLOW_ANSWER
    try:
        yield server
    finally:
        server.stop()


class Archive(http.server.ThreadingHTTPServer):
    """A loopback list archive that has the series' patches and what the
    SMTP server received: ``/all/<Message-ID>/raw`` is 200 for those, 404
    for the others."""

    def __init__(self, server: SmtpServer) -> None:
        smtp = server

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                parts = self.path.split("/")
                msgid = "<" + urllib.parse.unquote(parts[2]) + ">" if len(parts) > 3 else ""
                known = {str(r.message["Message-ID"]) for r in smtp.received} | PATCHES
                self.send_response(200 if msgid in known else 404)
                self.end_headers()
                self.wfile.write(b"From: x\n\nx\n" if msgid in known else b"")

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


PATCHES = {f"<kill.{n}@example.org>" for n in (1, 2, 3)}


def _mbox() -> str:
    return "".join(make_patch("arch/arm64/kvm/hyp/switch.S", HUNK, subject=f"[PATCH {n}/3] KVM: arm64: part {n}",
                              msgid=f"kill.{n}@example.org") for n in (1, 2, 3))


@pytest.fixture
def template(tmp_path: Path, slow_server: SmtpServer, capsys) -> Path:
    """An outbox holding three pending replies, and the configuration."""
    base = tmp_path / "template"
    base.mkdir()
    (base / "series.mbox").write_text(_mbox())
    config = {"smtp": {"host": slow_server.host, "port": slow_server.port, "timeout": 10,
                       "opt-in-lists": [LIST]},
              "bot": {"email": "reviewbot@example.org"}}
    (tmp_path / "bot.yaml").write_text(json.dumps(config))
    code, _, err = run_cli(capsys, "review", "--config", str(tmp_path / "bot.yaml"), *_where(base),
                           str(base / "series.mbox"))
    assert code == 0, err
    with Outbox(base / "outbox.sqlite", None) as outbox:
        assert outbox.counts()["pending"] == 3
    return base


def _where(directory: Path) -> list[str]:
    return ["--db", str(directory / "outbox.sqlite"), "--outbox", str(directory / "outbox.mbox")]


def _send_killed_after(delay: float, directory: Path, config: Path) -> int:
    proc = subprocess.Popen([sys.executable, "-m", "reviewbot", "review", "--send", "--config", str(config),
                             *_where(directory)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=directory,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=30)


def test_kill_during_send_never_loses_and_never_duplicates(template: Path, slow_server: SmtpServer,
                                                           tmp_path: Path, capsys) -> None:
    config = tmp_path / "bot.yaml"
    with Outbox(template / "outbox.sqlite", None) as outbox:
        replies = [r.reply_msgid for r in outbox.replies()]
    rng = random.Random(SEED)
    outcomes: Counter[str] = Counter()
    archive = Archive(slow_server)
    try:
        for trial in range(TRIALS):
            directory = tmp_path / f"trial{trial}"
            shutil.copytree(template, directory)
            slow_server.handler.received.clear()
            delay = rng.uniform(0.0, 1.5)
            killed = _send_killed_after(delay, directory, config) == -signal.SIGKILL
            time.sleep(SLOW_ANSWER + 0.1)  # a killed client's message may still be in the handler
            clean, _, _ = run_cli(capsys, "review", "--send", "--config", str(config), *_where(directory))
            status, listing, _ = run_cli(capsys, "review", "--status", "--config", str(config),
                                         *_where(directory))
            got = Counter(str(r.message["Message-ID"]) for r in slow_server.handler.received)
            with Outbox(directory / "outbox.sqlite", None) as outbox:
                ambiguous = {r.reply_msgid for r in outbox.ambiguous()}
                states = {r.reply_msgid: r.state for r in outbox.replies()}
            where = f"trial {trial} (killed after {delay:.2f} s: {killed}): {got}, {states}"
            for msgid in replies:
                assert got[msgid] <= 1, f"sent twice: {where}"
                if msgid in ambiguous:
                    assert clean == 1 and status == 1 and msgid in listing, f"not visible: {where}"
                    outcomes["ambiguous, delivered" if got[msgid] else "ambiguous, not delivered"] += 1
                else:
                    assert got[msgid] == 1 and states[msgid] == "sent", f"lost: {where}"
                    outcomes["delivered once"] += 1
            # a person decides with the archive's help: what it has is dismissed, the rest re-queued
            lore = ["-c", f"lore.base-url={archive.url}"]
            for msgid in ambiguous:
                code, out, err = run_cli(capsys, "review", "--requeue", msgid, "--config", str(config),
                                         *lore, *_where(directory))
                if got[msgid]:
                    assert code == 2 and "is in the list archive" in err
                    assert run_cli(capsys, "review", "--dismiss", msgid, "--config", str(config),
                                   *_where(directory))[0] == 0
                else:
                    assert code == 0, err
            assert run_cli(capsys, "review", "--send", "--config", str(config), *_where(directory))[0] == 0
            final = Counter(str(r.message["Message-ID"]) for r in slow_server.handler.received)
            assert all(final[msgid] == 1 for msgid in replies), f"after the decisions: {where}: {final}"
    finally:
        archive.shutdown()
    print(f"kill matrix, {TRIALS} trials x {len(replies)} replies: {dict(outcomes)}")
    assert sum(outcomes.values()) == TRIALS * len(replies)
