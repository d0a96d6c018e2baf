"""What ``reviewbot review`` counts and prints: the run's :class:`Summary`
(as text or JSON) and the progress line on a terminal."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any, TextIO

from reviewbot.commands.common import plural
from reviewbot.pipeline import Malformed
from reviewbot.printable import printable, printable_lines
from reviewbot.records import field, record

SUMMARY_SCHEMA_VERSION = 1


class Progress:
    """``reading 1200/21000`` on a terminal, redrawn at most 5 times a second."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self._last = 0.0
        self._shown = False

    def update(self, what: str, done: int, total: int | None = None, *, force: bool = False) -> None:
        """Show ``what done/total``."""
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.2:
            return
        self._last = now
        count = f"{done}/{total}" if total else str(done)
        self.stream.write(f"\r\x1b[Kreviewbot: {printable(what)} {count}")  # what: a file name
        self.stream.flush()
        self._shown = True

    def done(self) -> None:
        """Clear the progress line."""
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False


@record(frozen=False)
class Summary:
    """Everything the run counts, for the summary and ``--format json``."""

    inputs: list[str] = field(default_factory=list)
    messages: int = 0
    covers: int = 0
    replies_in: int = 0  # messages that are replies (not reviewed)
    other: int = 0  # messages with neither a patch nor a cover letter
    patches: int = 0  # reviewed (a patch whose diff cannot be read is malformed)
    broken_patches: int = 0  # patches whose diff cannot be read
    series: list[dict[str, Any]] = field(default_factory=list)
    findings: Counter = field(default_factory=Counter)
    suppressed: int = 0
    worst: int = -1  # the highest severity among the findings
    patches_with_findings: int = 0
    replies: Counter = field(default_factory=Counter)  # written / duplicate / none
    malformed: list[Malformed] = field(default_factory=list)
    internal: list[str] = field(default_factory=list)
    send: dict[str, Any] | None = None
    outbox: str = ""
    database: str = ""
    # kernels guessed from mail dates, and the rules that turned off (commands.check_output.eras_off)
    eras_off: dict = field(default_factory=dict)
    outbox_states: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        """The summary as a JSON-able dict (``schema_version`` 1)."""
        return {
            "schema_version": SUMMARY_SCHEMA_VERSION,
            "inputs": self.inputs,
            "messages": self.messages,
            "cover_letters": self.covers,
            "replies_in_input": self.replies_in,
            "other_messages": self.other,
            "patches": self.patches,
            "malformed_patches": self.broken_patches,
            "series": self.series,
            "findings": dict(sorted(self.findings.items())),
            "suppressed_findings": self.suppressed,
            "patches_with_findings": self.patches_with_findings,
            "replies": {k: self.replies.get(k, 0) for k in ("written", "duplicate", "none")},
            "no_msgid": self.replies.get("no_msgid", 0),  # patches with findings and nothing to reply to
            "outbox": {"path": self.outbox, "database": self.database, "states": self.outbox_states},
            "send": self.send,
            "malformed": [{"source": m.source, "msgid": m.msgid, "problem": m.problem}
                          for m in self.malformed],
            "internal_errors": self.internal,
            "seconds": round(self.seconds, 3),
        }


def format_summary(summary: Summary) -> str:
    """The human summary printed on stdout."""
    out = []
    versions = Counter(f"v{s['version']}" for s in summary.series)
    version_text = ", ".join(f"{v}: {n}" for v, n in sorted(versions.items()))
    out.append(f"messages: {summary.messages} ({plural(summary.covers, 'cover letter')}, "
               f"{plural(summary.replies_in, 'reply', 'replies')}, {summary.other} other, not reviewed)")
    out.append(f"series: {len(summary.series)}" + (f" ({version_text})" if version_text else ""))
    for entry in summary.series[:20]:
        total = f"{entry['patches']}/{entry['total']}" if entry["total"] else str(entry["patches"])
        noun = "patch" if (entry["total"] or entry["patches"]) == 1 else "patches"
        out.append(f"  v{entry['version']} {total} {noun}: {entry['title']}")
    if len(summary.series) > 20:
        out.append(f"  ... and {len(summary.series) - 20} more")
    broken = f", {summary.broken_patches} malformed" if summary.broken_patches else ""
    out.append(f"patches: {summary.patches} reviewed, {summary.patches_with_findings} with findings{broken}")
    total = sum(summary.findings.values())
    suppressed = f", {summary.suppressed} suppressed" if summary.suppressed else ""
    out.append(f"findings: {total}{suppressed}")
    width = max((len(rule) for rule in summary.findings), default=0)
    for rule, count in sorted(summary.findings.items()):
        out.append(f"  {rule.ljust(width)}  {count}")
    duplicates = summary.replies.get("duplicate", 0)
    out.append(f"replies: {summary.replies.get('written', 0)} written to {summary.outbox}, "
               f"{duplicates} already recorded" + (f" in {summary.database} (the same patch and findings, "
                                                   "or a revision's unchanged ones, are replied to once per "
                                                   "database, whatever the outbox)"
                                                   if duplicates and summary.database else ""))
    if no_msgid := summary.replies.get("no_msgid", 0):
        out.append(f"  {plural(no_msgid, 'patch', 'patches')} with findings {'has' if no_msgid == 1 else 'have'} "
                   f"no Message-ID to reply to: git format-patch output without --thread? Reply to "
                   f"the mail as it was sent (e.g. 'b4 mbox MSGID'), or make the files with "
                   f"'git format-patch --thread'; 'reviewbot check' reads them as they are")
    if summary.send is not None:
        s = summary.send
        out.append(f"sent: {s['sent']}, still pending: {s['still_pending']}, failed: {s['failed']}, "
                   f"deferred by the rate limit: {s['deferred']}, held (list not opted in): {s['held']}")
    states = summary.outbox_states
    out.append(f"outbox: {states.get('pending', 0)} pending, {states.get('sent', 0)} sent, "
               f"{states.get('failed', 0)} failed ({summary.database})")
    if states.get("failed"):
        out.append(f"  {states['failed']} failed: delivery unknown, never resent by itself; "
                   f"see 'reviewbot review --status', then --requeue or --dismiss")
    out.append(f"malformed messages: {len(summary.malformed)}"
               + (" (listed on stderr)" if summary.malformed else ""))
    if summary.internal:
        out.append(f"internal errors: {len(summary.internal)} (listed on stderr; nothing mailed for them)")
    return printable_lines(out)  # subjects come from mail
