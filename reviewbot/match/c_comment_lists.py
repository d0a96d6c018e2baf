"""A comment that heads a list, for the ``left-behind`` kind of
:mod:`reviewbot.match.c_comments`: ``/* c_iflag bits */`` over a run of
``#define`` lines names what the list is, not one entry of it, so a patch
that moves some entries elsewhere (under a copy of the heading) leaves it
true over the entries that stay."""

from __future__ import annotations

from reviewbot.model import DiffLine


def list_still_under(old: list[DiffLine], new: list[DiffLine]) -> bool:
    """Was the code under the comment (``old``, the pre-image side) a list
    of like entries, each line opening with the same word (``#define``,
    ``case``), and do some of those very lines stay under it (``new``)?"""
    heads = {(row.text.split() or [""])[0] for row in old}
    if len(old) < 2 or len(heads) != 1:
        return False
    return any(row.kind == " " and any(row is entry for entry in old) for row in new)
