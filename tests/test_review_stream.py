"""``review`` reads in two passes (reviewbot/review_stream.py): the summary
and the replies are those of the one-pass reading it replaced, and a series
is reviewed while only its own messages are parsed."""

from __future__ import annotations

import gc
import json
import mailbox
import re
from pathlib import Path

import pytest

from reviewbot.model import Message
from tests.conftest import make_patch, run_cli
from tests.test_review_cli import message, patch_body, series
from tests.test_suggestions import SEED_MISTAKE, reply


def _old_review_inputs(names, rules, config, queue, summary, progress) -> tuple[bool, int]:
    """The one-pass reading ``review`` had before: every message parsed and
    kept until the series were assembled (kept here as the reference)."""
    from reviewbot.commands.common import read_input
    from reviewbot.commands.review import _queue_replies, _review_series, input_files
    from reviewbot.errors import InputError, UsageError
    from reviewbot.mail.series import has_diff, is_reply, parse_subject
    from reviewbot.pipeline import Malformed, assemble, read_messages, review_replies

    messages = []
    readable = False
    files = 0
    for name in names:
        for source, path in input_files(name):
            files += 1
            try:
                data = read_input("-") if path is None else read_input(str(path))
            except (InputError, UsageError) as exc:
                if isinstance(exc, UsageError):
                    raise
                summary.malformed.append(Malformed(source, None, exc.problem))
                continue
            for item in read_messages(data, source, progress=progress.update):
                if isinstance(item, Malformed):
                    summary.malformed.append(item)
                    continue
                readable = True
                messages.append(item)
    summary.messages = len(messages)
    for msg in messages:
        if is_reply(msg):
            summary.replies_in += 1
        elif not has_diff(msg):
            tags = parse_subject(msg.subject)
            if tags.is_patch and tags.index == 0:
                summary.covers += 1
            else:
                summary.other += 1
    series_list, broken = assemble(messages)
    replies = [r for r in review_replies(messages, rules, config) if r.findings or r.problems]
    summary.malformed.extend(broken)
    summary.broken_patches = len(broken)
    _review_series(series_list, rules, config, queue, summary, progress)
    _queue_replies(replies, queue, summary)
    return readable, files


def _archive(tmp_path: Path) -> Path:
    """Series, a revision, a format-patch without threading, cover letters,
    replies (one suggesting code), a note, a malformed message and a patch
    whose diff cannot be read, interleaved."""
    thread_patch = make_patch("arch/arm64/kvm/hyp/hyp-entry.S", "@@ -20,1 +20,2 @@\n \t.text\n+\tnop\n",
                              msgid="p1@example.org", subject="[PATCH] KVM: arm64: example")
    lying = message("[PATCH 1/1] KVM: arm64: Counts that lie", "lies@example.org",
                    patch_body(["\tmsr\tx1, tpidr_el2"]).replace("+10,3 @@", "+10,9 @@"))
    garbage = "From nobody Mon Sep 17 00:00:00 2001\nthis is not a mail\n\n"
    note = message("KVM: arm64: a question", "note@example.org", "Is this still needed?\n")
    parts = [series(1, tag="a"), thread_patch + "\n", garbage,
             message("Re: [PATCH 1/2] KVM: arm64: Bad msr", "re.a1@example.org", "> +\tmsr\n\nWrong.\n",
                     reply_to="a.v1.1@example.org", sender="Marc Reviewer <marc@example.org>"),
             series(2, tag="a"), reply(SEED_MISTAKE), lying, note,
             series(1, tag="b", sysreg="esr_el2"), series(3, tag="a", bad=False)]
    path = tmp_path / "archive.mbox"
    path.write_text("".join(parts))
    return path


def _run(tmp_path: Path, capsys, name: str, archive: Path) -> tuple[dict, list[str]]:
    code, out, _ = run_cli(capsys, "review", str(archive), "--format", "json",
                           "--outbox", str(tmp_path / f"{name}.mbox"), "--db", str(tmp_path / f"{name}.sqlite"))
    assert code == 0, out
    summary = json.loads(out)
    for key in ("seconds", "outbox", "database"):
        summary.pop(key, None)
    return summary, _replies(tmp_path / f"{name}.mbox")


def _replies(outbox: Path) -> list[str]:
    """The replies written, without their Date (the two runs may straddle a second)."""
    return [re.sub(r"(?m)^Date: .*\n", "", m.as_string()) for m in mailbox.mbox(str(outbox))]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_two_passes_give_the_summary_and_replies_of_one(tmp_path: Path, capsys, monkeypatch, newline) -> None:
    from reviewbot.commands import review

    monkeypatch.chdir(tmp_path)
    archive = _archive(tmp_path)
    archive.write_bytes(archive.read_bytes().replace(b"\n", newline.encode()))
    summary, replies = _run(tmp_path, capsys, "new", archive)
    monkeypatch.setattr(review, "_review_inputs", _old_review_inputs)
    old_summary, old_replies = _run(tmp_path, capsys, "old", archive)
    assert summary == old_summary
    assert replies == old_replies
    # the archive exercises what it claims to
    assert summary["replies_in_input"] == 2 and summary["cover_letters"] == 4
    assert len(summary["series"]) == 6 and len(summary["malformed"]) == 2
    assert summary["replies"]["written"] >= 3 and len(replies) == summary["replies"]["written"]


def test_a_series_is_reviewed_with_only_its_own_messages_parsed(tmp_path: Path, capsys,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import reviewbot.engine

    monkeypatch.chdir(tmp_path)
    archive = tmp_path / "many.mbox"
    archive.write_text("".join(series(1, tag=f"t{n}") for n in range(30)))  # 90 messages
    real = reviewbot.engine.review
    alive: list[int] = []

    def counting(series_, *args, **kwargs):
        gc.collect()
        alive.append(sum(isinstance(o, Message) for o in gc.get_objects()))
        return real(series_, *args, **kwargs)

    monkeypatch.setattr(reviewbot.engine, "review", counting)
    gc.collect()
    before = sum(isinstance(o, Message) for o in gc.get_objects())  # other tests' leftovers
    code, _, _ = run_cli(capsys, "review", str(archive), "--outbox", str(tmp_path / "o.mbox"),
                         "--db", str(tmp_path / "o.sqlite"))
    assert code == 0 and len(alive) == 30
    # this series (and at most the previous one's leftovers), not the 90 of the input
    assert max(alive) - before <= 3 * 3, (before, alive)


def test_a_series_split_over_two_inputs_reads_the_same(tmp_path: Path, capsys, monkeypatch) -> None:
    from reviewbot.commands import review

    monkeypatch.chdir(tmp_path)
    text = _archive(tmp_path).read_text()
    cut = text.index("From 0000", text.index("a.v1.1@example.org"))  # after patch 1/2 of v1
    first, second = tmp_path / "1.mbox", tmp_path / "2.mbox"
    first.write_text(text[:cut])
    second.write_text(text[cut:])

    def run(name: str) -> tuple[dict, list[str]]:
        code, out, _ = run_cli(capsys, "review", str(first), str(second), "--format", "json",
                               "--outbox", str(tmp_path / f"{name}.mbox"), "--db", str(tmp_path / f"{name}.sqlite"))
        assert code == 0, out
        summary = {k: v for k, v in json.loads(out).items() if k not in ("seconds", "outbox", "database")}
        return summary, _replies(tmp_path / f"{name}.mbox")

    new = run("new")
    monkeypatch.setattr(review, "_review_inputs", _old_review_inputs)
    assert new == run("old")
    assert new[0]["series"][0]["patches"] == 2  # v1's two patches, one from each input
