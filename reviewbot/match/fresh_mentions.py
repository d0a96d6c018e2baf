"""Is a C comment's mention of a removed name the author's own words?

``c.comment.names-removed`` reports a comment naming what the patch deleted.
A comment the patch adds that names it only on new lines, none of them
carried over from an old line of the patch, was written knowing the name is
gone: it says why it went.  Pure.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def written_fresh(name: str, own: tuple, old_lines: tuple[str, ...]) -> bool:
    """Does the comment name ``name`` only on lines the patch adds, none of
    them carried over from an old line (removed or kept, any file) that
    names it in mostly the same words?  Then the author wrote the name
    while deleting it: the comment says why it went ("no NAME needed",
    "originally NAME"), where a copied or moved comment keeps it by habit."""
    naming = [r for r in own if name in _WORD.findall(r.text)]
    if not naming or any(r.kind != "+" for r in naming):
        return False
    for row in naming:
        others = set(_WORD.findall(row.text)) - {name}
        for old in old_lines:
            words = set(_WORD.findall(old))
            if name in words and 2 * len(others & words) >= len(others):
                return False
    return True
