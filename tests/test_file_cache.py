"""The outlines of the tree's files, kept across runs (analysis/file_cache.py):
a second check of a series outlines none of the tree's files again and
parses what it read before from the cache, with the same findings; a
series' own post-images are never kept; a broken or unwritable cache, or
``REVIEWBOT_NO_CACHE``, only costs time."""

from __future__ import annotations

import os
import pickle

import pytest

from reviewbot.analysis.file_cache import FileCache
from reviewbot.asm import parser
from reviewbot.asm.marks import is_marked
from reviewbot.match import whole_file
from reviewbot.resources import cache_root, code_stamp
from tests.conftest import ROOT, run_cli
from tests.gitrepo import commit, edit, git, make_series

STUB = "arch/arm64/kernel/hyp-stub.S"
#: patch 3 changes patch 2's file again: its pre-image is patch 2's post-image
AGAIN = ("\tldr\tx2, [x1]\n", "\tldr\tx2, [x1]\n\tldr\tx3, [x1, #8]\n")


def _forget() -> None:
    """This process forgets what it read, as a new ``reviewbot check`` would."""
    parser.clear_caches()
    whole_file.clear_caches()


@pytest.fixture
def series_dir(kernel_repo, tmp_path, monkeypatch):
    make_series(kernel_repo)
    edit(kernel_repo, STUB, AGAIN)
    commit(kernel_repo, "arm64: Read more of __foo's data")
    out = tmp_path / "series"
    git(kernel_repo, "format-patch", "-q", "-o", str(out), "HEAD~3..")
    monkeypatch.chdir(kernel_repo)
    _forget()
    return out


@pytest.fixture
def counted(monkeypatch):
    """How many texts whole-file review outlines, and how many statements the parser reads."""
    counts = {"outlined": 0, "read": 0}
    real_outline, real_read = whole_file.outline, parser._read

    def outline(text, **kwargs):
        counts["outlined"] += 1
        return real_outline(text, **kwargs)

    def read(text, col0, via):
        counts["read"] += 1
        return real_read(text, col0, via)

    monkeypatch.setattr(whole_file, "outline", outline)
    monkeypatch.setattr(parser, "_read", read)
    return counts


def _entries() -> list:
    directory = cache_root() / "files" / code_stamp()
    return sorted(directory.glob("*.pickle")) if directory.is_dir() else []


def test_a_second_check_takes_the_tree_files_from_the_cache(capsys, series_dir, counted):
    first = run_cli(capsys, "check", str(series_dir))
    assert first[0] == 1 and "missing-kern-hyp-va" in first[1]
    first_counts = dict(counted)
    # hyp-stub.S and the header's assembly lines as the tree has them, not
    # patch 2's post-image (patch 3's pre-image)
    entries = _entries()
    kept = [pickle.loads(entry.read_bytes()) for entry in entries]
    assert sorted(next(s.text for s in shape if s.text.startswith((".macro", "ENTRY"))) for shape, _, _ in kept) == \
        [".macro get_host_ctxt reg, tmp", "ENTRY(__foo)"]
    assert all(reads for _, reads, _ in kept)
    # and where the structure is, as a walk of the outline finds it
    assert all(found == tuple(i for i, stmt in enumerate(shape) if is_marked(stmt)) for shape, _, found in kept)

    _forget()
    counted.update(outlined=0, read=0)
    second = run_cli(capsys, "check", str(series_dir))
    assert second == first
    assert counted["outlined"] == first_counts["outlined"] - 2
    assert counted["read"] < first_counts["read"]
    assert _entries() == entries  # nothing new to keep


def test_what_a_later_check_reads_more_is_added_to_the_entry(capsys, series_dir):
    run_cli(capsys, "check", str(series_dir))
    entry = _entries()[0]
    with entry.open("rb") as handle:
        shape, reads, marks = pickle.load(handle)
    smaller = dict(list(reads.items())[:1])
    with entry.open("wb") as handle:
        pickle.dump((shape, smaller, marks), handle)
    _forget()
    run_cli(capsys, "check", str(series_dir))
    with entry.open("rb") as handle:
        assert pickle.load(handle)[1] == reads


def test_a_broken_entry_is_made_again(capsys, series_dir, counted):
    first = run_cli(capsys, "check", str(series_dir))
    entry = _entries()[0]
    entry.write_bytes(b"not a pickle")
    _forget()
    outlined = counted["outlined"]
    assert run_cli(capsys, "check", str(series_dir)) == first
    assert counted["outlined"] == outlined + outlined - 1  # all but the entry intact
    with entry.open("rb") as handle:
        assert pickle.load(handle)[1]


def test_no_cache_when_turned_off_or_unwritable(capsys, series_dir, monkeypatch, tmp_path):
    first = run_cli(capsys, "check", str(series_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("REVIEWBOT_NO_CACHE", "1")
    _forget()
    assert run_cli(capsys, "check", str(series_dir)) == first
    assert not (tmp_path / "elsewhere").exists()
    monkeypatch.delenv("REVIEWBOT_NO_CACHE")
    blocked = tmp_path / "a-file"
    blocked.write_text("the cache directory cannot be made under a file\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    _forget()
    assert run_cli(capsys, "check", str(series_dir)) == first


def test_no_cache_at_all_in_a_fresh_process(tmp_path):
    # the grammar's compiled form was still written (a fresh process loads it)
    import subprocess
    import sys

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "REVIEWBOT_NO_CACHE": "1"}
    code = ("from reviewbot.asm.grammar import cache_file, get_parser\n"
            "assert cache_file() is None\n"
            "get_parser()\n")
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, timeout=120)
    subprocess.run([sys.executable, "-m", "reviewbot", "check", "-q", str(ROOT / "examples" / "seed-series.mbox")],
                   env=env, capture_output=True, timeout=120)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*"))


def test_other_code_versions_entries_are_removed(tmp_path):
    old = tmp_path / "files" / "older-code"
    old.mkdir(parents=True)
    (old / "x.pickle").write_bytes(b"")
    cache = FileCache(tmp_path / "files" / "this-code")
    text = "\tnop\n"
    cache.from_tree(text)
    assert cache.covers(text) and not cache.covers("\tret\n")
    cache.keep(text, parser.outline(text))
    cache.flush()
    assert not old.exists()
    assert [p.name for p in (tmp_path / "files").iterdir()] == ["this-code"]
    assert len(os.listdir(tmp_path / "files" / "this-code")) == 1
    again = FileCache(tmp_path / "files" / "this-code")
    again.from_tree(text)
    assert again.outline(text) == parser.outline(text)


def test_beyond_the_limit_the_older_half_goes(tmp_path, monkeypatch):
    from reviewbot.analysis import file_cache

    monkeypatch.setattr(file_cache, "LIMIT", 4)
    directory = tmp_path / "files" / "this-code"
    for round_ in range(2):
        cache = FileCache(directory)
        for n in range(3):
            text = f"\tnop\t// {round_} {n}\n"
            cache.from_tree(text)
            cache.keep(text, parser.outline(text))
        cache.flush()
    assert len(os.listdir(directory)) == 2
