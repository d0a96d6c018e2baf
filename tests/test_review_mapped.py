"""``review`` reads an mbox file through a read-only mapping: the same
summary and replies as the one-pass reference, without the file ever being
one bytes object in the heap, and with the mapping's pages dropped once read."""

from __future__ import annotations

import json
import mmap
import sys
import tracemalloc
from pathlib import Path

import pytest

from reviewbot.review_stream import MailIndex, MappedPages
from tests.conftest import run_cli
from tests.test_review_cli import message
from tests.test_review_stream import _archive, _old_review_inputs, _run


def test_review_of_an_mbox_file_reads_a_mapping_and_says_what_the_reference_says(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewbot.commands import common, review

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

    monkeypatch.setattr(common, "MAP_AT_LEAST", 0)  # the archive is small
    monkeypatch.setattr(MailIndex, "add", add)
    monkeypatch.setattr(common, "read_input", whole)
    monkeypatch.setattr(review, "read_input", whole)
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert _run(tmp_path, capsys, "new", archive) == reference
    assert seen == [mmap.mmap]


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


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_a_mapped_input_indexes_as_its_bytes_do(tmp_path: Path, newline: bytes) -> None:
    text = _archive(tmp_path).read_bytes()
    text += b"From quoted@example.org Mon Sep 17 00:00:00 2001\nSubject: q\nMessage-ID: <q@x>\n\n>From the past\n"
    path = tmp_path / "a.mbox"
    path.write_bytes(text.replace(b"\n", newline))
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        assert _index(mapped) == _index(path.read_bytes())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/smaps")
def test_the_pages_of_a_mapping_are_dropped_once_read(tmp_path: Path) -> None:
    path = tmp_path / "notes.mbox"
    path.write_text(_notes(400, 16_000))  # 6 MB
    kib = path.stat().st_size >> 10

    def resident_kib() -> int:
        lines = Path("/proc/self/smaps").read_text().splitlines()
        at = next(i for i, line in enumerate(lines) if line.endswith(str(path)))
        return next(int(line.split()[1]) for line in lines[at + 1:] if line.startswith("Rss:"))

    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        mapped[:]  # every page read, as the first pass reads them
        assert resident_kib() > kib * 0.9
        index = MailIndex()
        assert list(index.add(mapped, "notes.mbox")) == []
        assert resident_kib() < 1024  # dropped after the first pass
        for slot in index.slots:  # the second pass: what it reads is dropped every EVERY bytes
            index.message(slot)
        assert resident_kib() < (MappedPages.EVERY >> 10) + 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/smaps")
def test_scattered_reads_of_a_mapping_stay_bounded(tmp_path: Path) -> None:
    """A page fault maps the pages around it too: reads of messages spread
    over the file (a reply's thread) map more than they read."""
    path = tmp_path / "notes.mbox"
    path.write_text(_notes(1600, 16_000))  # 24 MB, three times MappedPages.EVERY

    def resident_kib() -> int:
        lines = Path("/proc/self/smaps").read_text().splitlines()
        at = next(i for i, line in enumerate(lines) if line.endswith(str(path)))
        return next(int(line.split()[1]) for line in lines[at + 1:] if line.startswith("Rss:"))

    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        index = MailIndex()
        assert list(index.add(mapped, "notes.mbox")) == []
        most = 0
        for stride_start in range(7):
            for slot in index.slots[stride_start::7]:
                index.message(slot)
                most = max(most, resident_kib())
    assert most < (MappedPages.EVERY >> 10) + 1024, most


def test_small_files_are_read_and_big_ones_mapped(tmp_path: Path) -> None:
    from reviewbot.commands.common import MAP_AT_LEAST, map_input

    small, big, empty = tmp_path / "small.patch", tmp_path / "big.mbox", tmp_path / "empty.mbox"
    small.write_bytes(b"x" * 100)
    big.write_bytes(b"x" * MAP_AT_LEAST)
    empty.write_bytes(b"")
    assert map_input(str(small)) == b"x" * 100
    mapped = map_input(str(big))
    assert isinstance(mapped, mmap.mmap) and mapped[:3] == b"xxx" and len(mapped) == MAP_AT_LEAST
    assert map_input(str(empty)) == b""
