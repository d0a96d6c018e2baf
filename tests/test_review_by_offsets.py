"""``review`` reads a big mbox file by offsets (commands/input_file.py,
mail/mbox_windows.py): the same summary and replies as the one-pass
reference, without the file ever being one bytes object in the heap, and
holding a window of it at most."""

from __future__ import annotations

import json
import os
import random
import tracemalloc
from pathlib import Path

import pytest

from reviewbot.commands.input_file import InputChanged, InputFile
from reviewbot.mail import mbox_windows
from reviewbot.mail.mbox_windows import first_bytes, survey, windowed_spans
from reviewbot.mail.parse import mbox_spans
from reviewbot.review_stream import MailIndex
from tests.conftest import run_cli
from tests.test_review_cli import message
from tests.test_review_stream import _archive, _old_review_inputs, _run


def test_review_of_an_mbox_file_reads_it_by_offsets_and_says_what_the_reference_says(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewbot.commands import common, input_file, review

    monkeypatch.chdir(tmp_path)
    archive = _archive(tmp_path)
    with monkeypatch.context() as m:
        m.setattr(review, "_review_inputs", _old_review_inputs)
        reference = _run(tmp_path, capsys, "old", archive)

    seen: list[type] = []
    real_add = MailIndex.add

    def add(self, data, source, **kwargs):
        seen.append(type(data))
        return real_add(self, data, source, **kwargs)

    real_read_bytes = Path.read_bytes

    def whole(*_args, **_kwargs):
        raise AssertionError("the input was read whole")

    def read_bytes(path: Path) -> bytes:
        assert path.resolve() != archive.resolve(), "the input was read whole"
        return real_read_bytes(path)

    monkeypatch.setattr(input_file, "OFFSETS_AT_LEAST", 0)  # the archive is small
    monkeypatch.setattr(mbox_windows, "WINDOW", 512)  # many windows, separators across their cuts
    monkeypatch.setattr(MailIndex, "add", add)
    monkeypatch.setattr(common, "read_input", whole)
    monkeypatch.setattr(review, "read_input", whole)
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert _run(tmp_path, capsys, "new", archive) == reference
    assert seen == [InputFile]


def _notes(count: int, size: int) -> str:
    """``count`` messages without code of ``size`` bytes of body each."""
    line = "Just a note on the list, with no code in it at all, to fill the body." * 30 + "\n"
    body = line * (size // len(line))  # long lines: few of them to read
    return "".join(message(f"KVM: arm64: note {n}", f"note.{n}@example.org", body) for n in range(count))


def test_the_heap_never_holds_the_input(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    archive = tmp_path / "notes.mbox"
    archive.write_text(_notes(400, 40_000))  # 16 MB
    size = archive.stat().st_size
    run_cli(capsys, "rules", "list")  # the rule cache and imports, outside the probe
    tracemalloc.start()
    try:
        code, out, _ = run_cli(capsys, "review", str(archive), "--format", "json",
                               "--outbox", str(tmp_path / "o.mbox"), "--db", str(tmp_path / "o.sqlite"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 0 and json.loads(out)["messages"] == 400
    assert peak < size / 3, (peak, size)  # reading it with read_bytes() alone would be `size`


def _index(data) -> list[tuple]:
    index = MailIndex()
    bad = [(m.source, m.problem) for m in index.add(data, "a.mbox")]
    slots = [(s.source, s.msgid, s.first_line, s.start, s.end, s.reply, s.diff, s.tags) for s in index.slots]
    messages = [index.message(s) for s in index.slots]
    return [bad, slots, messages]


@pytest.mark.parametrize("window", [64, 1 << 20])
@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_a_file_read_by_offsets_indexes_as_its_bytes_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        newline: bytes, window: int) -> None:
    text = _archive(tmp_path).read_bytes()
    text += b"From quoted@example.org Mon Sep 17 00:00:00 2001\nSubject: q\nMessage-ID: <q@x>\n\n>From the past\n"
    path = tmp_path / "a.mbox"
    path.write_bytes(b"\n" + text.replace(b"\n", newline))
    monkeypatch.setattr(mbox_windows, "WINDOW", window)
    with InputFile(str(path)) as read:
        assert _index(read) == _index(path.read_bytes())


_PIECES = [b"From ", b"From a@b x\n", b"\n", b"\r\n", b"\r", b"x", b" ", b">From q\n", b"Subject: s\n",
           b"From 0123456789012345678901234567890123456789 Mon Sep 17 00:00:00 2001\n"]


def test_windows_find_the_separators_a_whole_buffer_does() -> None:
    """Separators, blank lines before them and line counts across the cuts
    of windows of every small size."""
    rng = random.Random(4)
    for _ in range(1500):
        data = b"".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 30)))

        def read(start: int, end: int) -> bytes:
            return data[start:end]

        for window in (1, 2, 3, 5, 8, 64):
            assert list(windowed_spans(read, len(data), window)) == list(mbox_spans(data)), (data, window)
            assert survey(read, len(data), window) == (data.count(b"\n\nFrom "), b"\r\n" in data), data
        assert first_bytes(read, len(data)) == data.lstrip(b"\r\n")[:200]


def test_reading_by_offsets_holds_a_few_windows_at_most(tmp_path: Path) -> None:
    """Both passes, the second reading messages all over the file (as a
    reply's thread does): what the heap holds of the input at any time."""
    path = tmp_path / "notes.mbox"
    path.write_text(_notes(1600, 16_000))  # 24 MB
    with InputFile(str(path)) as read:
        tracemalloc.start()
        try:
            index = MailIndex()
            assert list(index.add(read, "notes.mbox")) == []
            for stride_start in range(7):
                for slot in index.slots[stride_start::7]:
                    index.message(slot)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert len(index.slots) == 1600
    assert peak < 4 * mbox_windows.WINDOW + (2 << 20), peak  # the slots, a window and its copies


def test_small_files_are_read_and_big_ones_by_offsets(tmp_path: Path) -> None:
    from reviewbot.commands.input_file import OFFSETS_AT_LEAST, open_input

    small, big, empty = tmp_path / "small.patch", tmp_path / "big.mbox", tmp_path / "empty.mbox"
    small.write_bytes(b"x" * 100)
    big.write_bytes(b"x" * OFFSETS_AT_LEAST)
    empty.write_bytes(b"")
    assert open_input(str(small)) == b"x" * 100
    opened = open_input(str(big))
    assert isinstance(opened, InputFile) and opened.read(0, 3) == b"xxx" and opened.size == OFFSETS_AT_LEAST
    opened.close()
    assert open_input(str(empty)) == b""


def _append(path: Path) -> None:
    with path.open("ab") as handle:
        handle.write(b"From more\n")


def _rewrite_and_grow(path: Path) -> None:
    path.write_bytes(b"y" * 5000)


def test_mail_appended_while_the_file_is_read_is_left_for_the_next_run(tmp_path: Path) -> None:
    path = tmp_path / "a.mbox"
    path.write_bytes(b"x" * 10000)
    with InputFile(str(path)) as read:
        assert read.read(0, 10) == b"x" * 10
        _append(path)
        os.utime(path, ns=(5, 5))  # a later modification time, as a delivery gives it
        assert read.read(9990, 10000) == b"x" * 10  # what was there when it was opened
        assert read.size == 10000
        read.check()
        _append(path)
        assert read.read(0, 10) == b"x" * 10


@pytest.mark.parametrize("change, what", [
    (lambda path: os.truncate(path, 1000), "was truncated"),
    (_rewrite_and_grow, "was rewritten and grew"),
    (lambda path: (path.write_bytes(b"y" * 4000), os.utime(path, ns=(1, 1))), "was rewritten"),
])
def test_a_read_of_a_file_that_changed_names_it_and_what_happened(tmp_path: Path, change, what: str) -> None:
    path = tmp_path / "a.mbox"
    path.write_bytes(b"x" * 4000)
    with InputFile(str(path)) as read:
        assert read.read(0, 10) == b"x" * 10
        read.check()
        change(path)
        with pytest.raises(InputChanged) as caught:
            read.read(0, 10)  # even where the file still has the bytes
        assert caught.value.source == str(path) and caught.value.problem.startswith(what + " while review")
        assert "4,000 bytes when opened" in caught.value.problem
        with pytest.raises(InputChanged):  # the error stays, for whoever swallowed it
            read.check()
