"""An mbox truncated by another process while ``review`` reads it: a clear
error naming the file (exit 2, as for other unreadable input), never a
signal, and the outbox keeps every reply written before, intact.

Each run is a child process: a review that dies of SIGBUS (as reading a
truncated memory mapping does) must fail the test, not kill pytest."""

from __future__ import annotations

import mailbox
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, make_patch
from tests.test_review_by_offsets import _notes
from tests.test_review_stream import _archive
from tests.test_suggestions import reply

#: Runs ``reviewbot ARGS...``; a hook truncates the input to AT bytes just
#: before the first call of the named step: ``series`` (between the two
#: passes), ``thread`` (a reply's review reading the thread it answers).
DRIVER = """
import os, sys
from reviewbot import review_stream
from reviewbot.cli import main

path, at, hook = sys.argv[1], int(sys.argv[2]), sys.argv[3]
steps = {"series": (review_stream.MailIndex, "series"), "thread": (review_stream.LazyThread, "__getitem__")}
if hook in steps:
    owner, name = steps[hook]
    real, done = getattr(owner, name), []

    def hooked(self, *args, **kwargs):
        if not done:
            done.append(True)
            os.truncate(path, at)
        return real(self, *args, **kwargs)

    setattr(owner, name, hooked)
sys.exit(main(sys.argv[4:]))
"""


def _mbox(tmp_path: Path) -> Path:
    """Notes enough for ``review`` to read the file by offsets (1 MiB and
    more), then series and replies, the last of them suggesting code whose
    file only the thread's patch names (its review reads the thread)."""
    patch = make_patch("arch/arm64/kvm/hyp/nvhe/switch.S",
                       "@@ -30,1 +30,3 @@\n \t.text\n+\tldr\tx0, =host_ctxt\n+\tmrs\tx1, tpidr_el2\n",
                       msgid="ctxt.1@example.org", subject="[PATCH] KVM: arm64: load the host context")
    answer = reply("On Wed, Ada Author wrote:\n> +\tldr\tx0, =host_ctxt\n> +\tmrs\tx1, tpidr_el2\n\n"
                   "Simpler as:\n\n\tmrs\tx1, tpidr_el1\n\tadd\tx0, x0, x1\n",
                   msgid="ctxt.r1@example.org", parent="ctxt.1@example.org", refs="ctxt.1@example.org")
    text = _notes(40, 30_000) + _archive(tmp_path).read_text() + patch + "\n" + answer
    path = tmp_path / "big.mbox"
    path.write_text(text)
    assert path.stat().st_size >= 1 << 20
    return path


def _command(tmp_path: Path, mbox: Path, *extra: str) -> list[str]:
    return ["review", str(mbox), "--format", "json", "--outbox", str(tmp_path / "o.mbox"),
            "--db", str(tmp_path / "o.sqlite"), *extra]


def _review(tmp_path: Path, mbox: Path, hook: str = "none", at: int = 0) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", DRIVER, str(mbox), str(at), hook, *_command(tmp_path, mbox)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)


def _says_truncated(done: subprocess.CompletedProcess, mbox: Path) -> None:
    assert done.returncode != -signal.SIGBUS, "killed by SIGBUS"
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert re.search(rf"reviewbot: error: {re.escape(str(mbox))}: was truncated while review was reading it "
                     rf"\([\d,]+ bytes when opened, [\d,]+ now\)", done.stderr), done.stderr[-2000:]
    assert "Traceback" not in done.stderr


def _replies(outbox: Path) -> list[str]:
    if not outbox.exists():
        return []
    return [re.sub(r"(?m)^Date: .*\n", "", m.as_string()) for m in mailbox.mbox(str(outbox))]


def test_a_file_truncated_between_the_passes_is_an_error_naming_it(tmp_path: Path) -> None:
    mbox = _mbox(tmp_path)
    done = _review(tmp_path, mbox, "series", at=mbox.stat().st_size // 2)  # the series are in the second half
    _says_truncated(done, mbox)
    assert _replies(tmp_path / "o.mbox") == []


def test_a_file_truncated_by_another_process_while_it_is_read(tmp_path: Path) -> None:
    """A real truncation from outside, as soon as the first pass shows it is
    reading (10,000 messages: it reads for half a second more)."""
    mbox = tmp_path / "big.mbox"
    mbox.write_text(_notes(10_000, 0) + _archive(tmp_path).read_text())
    assert mbox.stat().st_size >= 1 << 20
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-m", "reviewbot", *_command(tmp_path, mbox, "--progress", "always")],
                             cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stderr is not None
    seen = b""
    while b"reading" not in seen:
        more = os.read(child.stderr.fileno(), 4096)
        assert more, (child.wait(), seen)
        seen += more
    os.truncate(mbox, 0)
    truncated_at = time.monotonic()
    out, err = child.communicate(timeout=600)
    done = subprocess.CompletedProcess(child.args, child.returncode, out.decode(), (seen + err).decode())
    assert done.returncode != 0, f"the review ended before the truncation ({time.monotonic() - truncated_at:.2f} s)"
    _says_truncated(done, mbox)


def test_the_outbox_keeps_what_was_written_before_the_truncation(tmp_path: Path) -> None:
    """Truncated while the replies of the list are reviewed: the series'
    replies are written by then and stay, the database intact; the run
    after it, on the whole file again, writes only what was missing."""
    mbox = _mbox(tmp_path)
    whole = mbox.read_bytes()
    clean_dir = tmp_path / "clean"
    clean_dir.mkdir()
    assert _review(clean_dir, mbox).returncode == 0
    clean = _replies(clean_dir / "o.mbox")

    _says_truncated(_review(tmp_path, mbox, "thread", at=0), mbox)
    written = _replies(tmp_path / "o.mbox")
    assert 0 < len(written) < len(clean) and written == clean[:len(written)]
    with sqlite3.connect(tmp_path / "o.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*), sum(written) FROM replies").fetchone() == (len(written), len(written))

    mbox.write_bytes(whole)
    assert _review(tmp_path, mbox).returncode == 0
    assert _replies(tmp_path / "o.mbox") == clean
