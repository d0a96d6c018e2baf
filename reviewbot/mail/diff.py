"""Unified diff text to :class:`FileChange` s: the only importer of unidiff.

Keeps old and new line numbers of every diff line and the line it had in
the input, so a finding can point at the new file, the mail, or both.
unidiff silently drops lines past a hunk whose counts are too small; we
check the counts ourselves, so a diff whose hunk counts lie is an error
that names the hunk instead of a review of half a patch.

unidiff reads the diff's structure (files, paths, modes, hunk headers) in
its ``metadata_only`` mode; the lines of each hunk are made in the walk
that checks the counts.  unidiff's full mode would make an object for
every line only for us to copy it (a million lines over kvmarm's
archive; a third of what a backtest spent on a patch).  The lines are the same as
the full mode's (``tests/test_diff.py`` compares them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import unidiff
from unidiff.errors import UnidiffParseError

from reviewbot.errors import DiffParseError
from reviewbot.mail.git_paths import unquoted_path
from reviewbot.model import DiffLine, FileChange, Hunk

_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_FILE_BOUNDARY = ("diff --git ", "--- ", "+++ ", "Index: ", "index ")
_INDEX_LINE = re.compile(r"^index ([0-9a-f]+)\.\.([0-9a-f]+)", re.MULTILINE)
# A "-- " line with at most three lines after it ends the text.  Found by
# hand: the regex for it, ^-- \n(?:.*\n?){0,3}\Z, backtracks in cubic time
# over a long line after "-- ".
_SIGNATURE_LINES = 3


def parse_patch(text: str, *, source: str = "<diff>", first_line: int = 1) -> tuple[FileChange, ...]:
    """Parse the diff in ``text`` (which may start with a commit message).

    ``first_line`` is the input line of ``text``'s first line, so that every
    DiffLine knows its ``mail_line``.  Raises DiffParseError naming the
    input and the hunk when the diff cannot be read.
    """
    text = _strip_signature(text.replace("\r\n", "\n"))
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the text's final newline ends the last line; it is not an empty line
    _check_file_headers(lines, source, first_line)
    end, bodies = _hunk_lines(lines, source, first_line)
    if end is not None:
        text = "\n".join(lines[:end]) + "\n"
    try:
        patch_set = unidiff.PatchSet(text, metadata_only=True)
    except UnidiffParseError as exc:
        raise DiffParseError(source, f"malformed diff: {exc}") from exc
    except Exception as exc:  # unidiff raises plain errors on some garbage
        raise DiffParseError(source, f"malformed diff: {type(exc).__name__}: {exc}") from exc
    if not len(patch_set):
        raise DiffParseError(source, "no diff found")
    if sum(map(len, patch_set)) != len(bodies):
        # not seen on any archive; a hunk header unidiff and the walk read differently
        raise DiffParseError(source, f"malformed diff: unidiff reads {sum(map(len, patch_set))} hunks "
                                     f"where their headers are {len(bodies)}")
    hunk_lines = iter(bodies)
    return tuple(_file_change(f, hunk_lines) for f in patch_set)


def _strip_signature(text: str) -> str:
    """Drop the ``-- `` / git version trailer that format-patch appends: the
    first ``-- `` line with at most three lines after it."""
    starts = [len(text)]
    while len(starts) < _SIGNATURE_LINES + 2 and starts[-1] > 0:
        starts.append(text.rfind("\n", 0, starts[-1] - 1) + 1)
    for start in reversed(starts):
        if text.startswith("-- \n", start):
            rest = text[start + 4:]
            newlines = rest.count("\n")
            if newlines < _SIGNATURE_LINES or newlines == _SIGNATURE_LINES and rest.endswith("\n"):
                return text[:start]
    return text


def _is_signature(line: str) -> bool:
    """``-- `` (or ``--``, once a mailer strips trailing blanks) ends the diff."""
    return line in ("-- ", "--")


#: What git writes between a ``diff --git`` line and the first hunk
#: (git-diff(1), "generating patch text with -p": the extended header lines).
_GIT_HEADER_LINES = ("old mode ", "new mode ", "deleted file mode ", "new file mode ", "copy from ",
                     "copy to ", "rename from ", "rename to ", "similarity index ", "dissimilarity index ",
                     "index ", "--- ", "+++ ")


def _check_file_headers(lines: list[str], source: str, first_line: int) -> None:
    """A ``diff --git`` section without a hunk (or binary data) must be
    git's header lines only (a rename, a mode change).  Anything else, a
    mangled mail or a hand-edited patch, would be read as such a change
    and the patch pass unchecked.  A section ends at the next ``diff
    --git``, the signature, or an empty line (what follows is prose)."""
    starts = [n for n, line in enumerate(lines) if line.startswith("diff --git ")]
    for at, start in enumerate(starts):
        end = starts[at + 1] if at + 1 < len(starts) else len(lines)
        section = lines[start + 1:end]
        if any(line.startswith(("@@ ", "GIT binary patch", "Binary files ")) for line in section):
            continue
        headers = 0
        for number, line in enumerate(section, start=start + 1):
            if line == "" or _is_signature(line):
                break
            if not line.startswith(_GIT_HEADER_LINES):
                raise DiffParseError(source, f"line {first_line + number}: {_shown(line)} follows "
                                             f"{_shown(lines[start])} (line {first_line + start}), where only "
                                             f"git's header lines and the file's hunks may stand")
            headers += 1
        if not headers:
            raise DiffParseError(source, f"line {first_line + start}: {_shown(lines[start])} has neither "
                                         "git's header lines nor hunks after it")


def _shown(line: str) -> str:
    """The project's bounded repr for messages, imported only for an error
    (its module imports yaml, which a check of a patch need not load)."""
    from reviewbot.safe_yaml import shown
    return shown(line)


def _hunk_lines(lines: list[str], source: str, first_line: int
                ) -> tuple[int | None, list[tuple[DiffLine, ...]]]:
    """The lines of each hunk, in order; each hunk must hold exactly the
    lines its header announces.  Also returns the index of a signature
    line that ends the diff, if there is one."""
    bodies: list[tuple[DiffLine, ...]] = []
    number = 0
    while number < len(lines):
        header = _HUNK_HEADER.match(lines[number])
        if not header:
            number += 1
            continue
        old_at, old_count, new_at, new_count = header.groups()
        old_line, new_line = int(old_at), int(new_at)
        old_left = int(old_count if old_count is not None else 1)
        new_left = int(new_count if new_count is not None else 1)
        at = number
        number += 1
        body: list[DiffLine] = []
        add, line_of, end = body.append, DiffLine, len(lines)
        # positionally (kind, text, old line, new line, mail line), with
        # local names: a hunk is most of what a patch's bytes make
        while number < end and (old_left > 0 or new_left > 0):
            line = lines[number]
            marker = line[:1]
            if marker == "+":
                add(line_of("+", line[1:], None, new_line, first_line + number))
                new_line += 1
                new_left -= 1
            elif marker == "-":
                add(line_of("-", line[1:], old_line, None, first_line + number))
                old_line += 1
                old_left -= 1
            elif marker == " " or not marker:
                add(line_of(" ", line[1:], old_line, new_line, first_line + number))
                old_line += 1
                new_line += 1
                old_left -= 1
                new_left -= 1
            elif marker != "\\":
                break
            number += 1
        where = f"hunk '{lines[at].split('@@')[1].strip()}' at line {first_line + at}"
        if old_left > 0 or new_left > 0:
            raise DiffParseError(source, f"{where} is shorter than its header says")
        if old_left < 0 or new_left < 0:
            raise DiffParseError(source, f"{where} does not add up (its header's counts are wrong)")
        bodies.append(tuple(body))
        while number < len(lines) and lines[number].startswith("\\"):
            number += 1
        if number < len(lines):
            extra = lines[number]
            if _is_signature(extra):
                return number, bodies
            if extra[:1] in ("+", "-", " ") and not extra.startswith(_FILE_BOUNDARY):
                raise DiffParseError(source, f"{where} is longer than its header says")
    return None, bodies


def _file_change(patched: unidiff.PatchedFile, hunk_lines: Iterator[tuple[DiffLine, ...]]) -> FileChange:
    blobs = _INDEX_LINE.search(str(patched.patch_info or ""))
    old_path = None if patched.is_added_file else _strip_prefix(patched.source_file)
    new_path = None if patched.is_removed_file else _strip_prefix(patched.target_file)
    hunks = tuple(_hunk(h, next(hunk_lines)) for h in patched)
    return FileChange(
        old_path=old_path,
        new_path=new_path,
        hunks=hunks,
        old_blob=blobs.group(1) if blobs else None,
        new_blob=blobs.group(2) if blobs else None,
        is_binary=bool(patched.is_binary_file),
    )


def _strip_prefix(path: str | None) -> str | None:
    if path is None or path == "/dev/null":
        return None
    path = unquoted_path(path)
    for prefix in ("a/", "b/"):
        if path.startswith(prefix):
            return path[len(prefix):]
    return path


def _hunk(hunk: unidiff.Hunk, lines: tuple[DiffLine, ...]) -> Hunk:
    return Hunk(
        old_start=hunk.source_start,
        old_count=hunk.source_length,
        new_start=hunk.target_start,
        new_count=hunk.target_length,
        section=hunk.section_header.strip(),
        lines=lines,
        mail_line=lines[0].mail_line - 1 if lines and lines[0].mail_line else None,
    )
