"""reviewbot as b4's review agent (``b4.review-agent-command``): the pure part.

``b4 review`` (0.15 and later) runs an agent on a review branch: the
series' base, one commit per patch, and a tracking commit at the tip whose
message is the cover letter, then ``--- b4-review-tracking ---``, ``#``
comment lines and a JSON object (``series``, ``followups``, ``patches``).
The agent writes ``.git/b4-review/<tip sha>/``, which b4 reads back
(``b4.review._integrate_agent_reviews``) into private comment panels:

- ``identity.txt``: ``Name <email>``;
- ``series.txt``: a one-line summary, a blank line, a body;
- ``NNNN.txt`` (``0001.txt`` is ``patches[0]``): a note, then the patch's
  ``git diff <sha>~1 <sha>`` with every line quoted ``> `` and comments as
  unquoted lines under the lines they are about; no diff line deleted.
  A patch without findings gets no file; a patch or cover letter that a
  reviewer marked ``"patch-state": "skip"`` gets none either.

(The contract: b4's ``misc/agent-reviewer.md``; the reader:
``_extract_comments_from_quoted_reply`` in ``b4/review/_review.py``.)

Here: tracking text -> data, one branch commit -> a :class:`Patch` the
engine reviews, and reviews -> the files' text.  Comments go under their
lines exactly where the reply composer puts them (:func:`reply.anchor`).
No git, no files, no clock.
"""

from __future__ import annotations

import email.utils
import json
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from reviewbot import __version__
from reviewbot.analysis.kernels import Era
from reviewbot.bot.reply import WRAP, anchor, comment_lines
from reviewbot.errors import DiffParseError
from reviewbot.mail.diff import parse_patch
from reviewbot.model import Finding, Message, Patch, PatchReview, SubjectTags
from reviewbot.records import record

MARKER = "--- b4-review-tracking ---"
REVIEW_DIR = "b4-review"  # under .git, as b4 reads it


class TrackingError(ValueError):
    """The tip commit is not a b4 review tracking commit b4 could read."""


@record
class BranchPatch:
    """One patch commit of a review branch: ``number`` counts from 1 (the
    file name), ``diff`` is ``git diff <sha>~1 <sha>``, ``notes`` what the
    mail had below ``---`` (b4 keeps it as the patch's ``basement``)."""

    number: int
    sha: str
    author: str
    date: str
    subject: str
    body: str
    diff: str
    notes: str = ""
    msgid: str | None = None
    skipped: bool = False


# --- the tracking commit -----------------------------------------------------------------


def parse_tracking(message: str) -> tuple[str, dict[str, Any]]:
    """The cover letter and the tracking dict of a tracking commit's
    message, read as b4's ``load_tracking`` reads them."""
    if MARKER not in message:
        raise TrackingError(f"its commit message has no '{MARKER}' line")
    cover, _, rest = message.strip().partition(MARKER)
    text = "\n".join(line for line in rest.strip().splitlines() if not line.startswith("#"))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TrackingError(f"the JSON after '{MARKER}' does not parse: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("series"), dict) \
            or not isinstance(data.get("patches"), list):
        raise TrackingError(f"the JSON after '{MARKER}' has no 'series' object and 'patches' list")
    return cover.strip(), data


def is_skipped(entry: Mapping[str, Any]) -> bool:
    """Did a reviewer mark this patch (or the series) ``"patch-state": "skip"``?"""
    reviews = entry.get("reviews")
    if not isinstance(reviews, Mapping):
        return False
    return any(isinstance(r, Mapping) and r.get("patch-state") == "skip" for r in reviews.values())


def patch_range(series: Mapping[str, Any], tip: str) -> str:
    """The patch commits, oldest first, as the contract lists them: from
    ``first-patch-commit`` (prerequisites are context only) to the commit
    under the tracking commit."""
    first = series.get("first-patch-commit")
    if first:
        return f"{first}~1..{tip}~1"
    base = series.get("base-commit")
    if not base:
        raise TrackingError("the tracking data names neither 'first-patch-commit' nor 'base-commit'")
    return f"{base}..{tip}~1"


# --- a commit as the engine's patch --------------------------------------------------------


def _head(bp: BranchPatch) -> str:
    """The message text above the diff: commit message, ``---``, notes."""
    notes = bp.notes.strip("\n")
    return f"{bp.body.strip()}\n---\n" + (f"{notes}\n\n" if notes else "\n")


def _diff_line(bp: BranchPatch) -> int:
    """The message line where the diff starts."""
    return _head(bp).count("\n") + 1


def to_patch(bp: BranchPatch, total: int, base_commit: str | None) -> Patch:
    """The patch the engine reviews: the commit as ``git format-patch``
    would mail it, the diff's lines numbered from the message's first line
    (so :func:`patch_file` finds each one in ``bp.diff``)."""
    message = Message(msgid=bp.msgid, subject=f"[PATCH {bp.number}/{total}] {bp.subject}",
                      sender=bp.author, date=bp.date or None, body=_head(bp) + bp.diff,
                      body_line=1, source=f"patch {bp.number}/{total} ({bp.sha[:12]})")
    try:
        files, error = parse_patch(bp.diff, source=message.source, first_line=_diff_line(bp)), None
    except DiffParseError as exc:
        files, error = (), exc.problem
    commit_message = bp.body.strip()
    tags = SubjectTags(title=bp.subject, prefixes=("PATCH",), index=bp.number, total=total)
    return Patch(message=message, tags=tags, commit_message=commit_message, files=files,
                 notes=bp.notes, base_commit=base_commit, error=error)


# --- the files ----------------------------------------------------------------------------


def identity(name: str, address: str) -> str:
    """``identity.txt``: who b4 shows as the author of the comments."""
    return email.utils.formataddr((name, address)) + "\n"


def patch_file(review: PatchReview, bp: BranchPatch) -> str | None:
    """``NNNN.txt`` for one reviewed patch: the note, then the whole diff
    quoted with the comments under their lines; None when there is nothing
    to say (b4's contract: no file for a patch without issues)."""
    findings = [f for f in review.findings if not f.suppressed]
    if not findings and not review.problems:
        return None
    diff_lines = bp.diff.split("\n")
    if diff_lines and diff_lines[-1] == "":
        diff_lines.pop()
    first_line = _diff_line(bp)
    under: dict[int, list[Finding]] = {}
    loose: list[Finding] = []
    for finding in findings:
        where = anchor(review.patch, finding)
        line = None
        if where is not None:
            file_index, hunk_index, line_index = where
            mail_line = review.patch.files[file_index].hunks[hunk_index].lines[line_index].mail_line
            if mail_line is not None and 0 <= mail_line - first_line < len(diff_lines):
                line = mail_line - first_line
        if line is None:
            loose.append(finding)
        else:
            under.setdefault(line, []).append(finding)
    out = _note(findings, loose, review.problems)
    for index, text in enumerate(diff_lines):
        out.append(f"> {text}" if text else ">")
        for finding in under.get(index, ()):
            out += ["", *map(_unquoted, comment_lines(finding)), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _note(findings: Sequence[Finding], loose: Sequence[Finding], problems: Sequence[str]) -> list[str]:
    """The note above the diff: a one-line summary, then what has no line
    of its own (findings about the commit message, problems)."""
    summary = f"reviewbot: {_count(findings)}" if findings else "reviewbot could not review all of this patch"
    if findings and problems:
        summary += f"; {len(problems)} problem{'s' if len(problems) != 1 else ''} reviewing it"
    out = [summary, ""]
    if len(findings) > len(loose):
        out += _wrap("Each comment sits under the line it is about; adopt it into your reply "
                     "if you agree.") + [""]
    for finding in loose:
        out += [f"{finding.location}:", *map(_unquoted, comment_lines(finding)), ""]
    for problem in problems:
        out += _wrap(f"Not reviewed: {problem}") + [""]
    return out


def series_file(reviews: Sequence[PatchReview], skipped: Sequence[int], era: Era, *,
                rules_version: str, tool_name: str = "reviewbot") -> str:
    """``series.txt``: a summary line for b4's patch list, then per patch
    what was found, which kernel the rules assumed, and what wrote it."""
    findings = [f for r in reviews for f in r.findings if not f.suppressed]
    flagged = [r for r in reviews if any(not f.suppressed for f in r.findings)]
    reviewed = len(reviews)
    of = f"{reviewed} reviewed patch{'es' if reviewed != 1 else ''}"
    if findings:
        summary = f"reviewbot: {_count(findings)} in {len(flagged)} of {of}"
    else:
        summary = f"reviewbot: no findings in {of}"
    body: list[str] = []
    for review in reviews:
        mine = [f for f in review.findings if not f.suppressed]
        what = _count(mine) if mine else "no findings"
        if review.problems:
            what += f"; not fully reviewed ({len(review.problems)} problem{'s' if len(review.problems) != 1 else ''})"
        body.append(f"{review.patch.tags.index:04d} {review.patch.tags.title}: {what}")
    if skipped:
        body.append("Skipped as marked: " + ", ".join(f"{n:04d}" for n in skipped))
    body.append("")
    if era.version is not None:
        body += _wrap(f"Kernel {era.version} assumed (from the {_origin(era)}); rules limited to "
                      "other kernels did not run.")
    else:
        body += _wrap("Kernel version unknown: rules limited to some kernels did not run "
                      "(set it with -c context.kernel=X.Y in the agent command).")
    body.append("")
    # the version is reviewbot's, whatever the bot is called (bot.name)
    who = f"reviewbot {__version__}" if tool_name == "reviewbot" else f"{tool_name} (reviewbot {__version__})"
    body += _wrap(f"Written by {who}, rules {rules_version}: a rules-based checker, not a language model.")
    return "\n".join([summary, "", *body]).rstrip("\n") + "\n"


def _origin(era: Era) -> str:
    origin = era.origin
    if origin.startswith("base-commit"):
        return f"Makefile at {origin}"
    return {"tree": "tree's Makefile", "config": "configuration"}.get(origin, origin)


def _count(findings: Sequence[Finding]) -> str:
    """``1 error, 2 warnings``: findings by severity, most severe first."""
    by: dict[str, int] = {}
    for finding in sorted(findings, key=lambda f: -f.severity):
        by[finding.severity.label] = by.get(finding.severity.label, 0) + 1
    return ", ".join(f"{n} {label}{'s' if n != 1 else ''}" for label, n in by.items())


def _unquoted(line: str) -> str:
    """A comment line b4 cannot take for a quoted diff line."""
    return f" {line}" if line.startswith(">") else line


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, width=WRAP, break_long_words=False, break_on_hyphens=False)
