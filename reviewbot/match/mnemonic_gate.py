"""Which formulas could hold at an instruction, by its mnemonic alone.

``admits(node, mnemonic)`` is False only when ``patterns.test(node, region,
Match(i, {}))`` is empty at every instruction spelled ``mnemonic``, in any
region: a matcher that tests many formulas at every statement (taint) skips
the ones that cannot hold there.  It never guesses: a pattern's mnemonic is
compared as ``match_instruction`` compares it (no aliases, case folded), a
``$OP`` mnemonic is judged by the ``where`` constraints on ``$OP`` alone
(they see nothing else), and anything else (``not``, relations, ``inside``,
a constraint on what an earlier pattern bound) admits every mnemonic.
"""

from __future__ import annotations

from reviewbot.match.patterns import Node

#: (formula, mnemonic) -> admits, for the formulas of the loaded rules.
_MEMO: dict[tuple[int, str], tuple[Node, bool]] = {}
_MEMO_SIZE = 1 << 16


def admits(node: Node, mnemonic: str) -> bool:
    """Could ``node`` hold at an instruction whose mnemonic is ``mnemonic``
    (tested with no bindings yet)?"""
    key = (id(node), mnemonic)
    known = _MEMO.get(key)
    if known is not None and known[0] is node:
        return known[1]
    verdict = _admits(node, mnemonic, fresh=True)
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.clear()
    _MEMO[key] = (node, verdict)
    return verdict


def _admits(node: Node, mnemonic: str, fresh: bool) -> bool:
    """``fresh``: nothing is bound before ``node`` is tested."""
    if node.op == "pattern" and node.pattern is not None:
        wanted = node.pattern.mnemonic
        if not wanted.startswith("$"):
            return wanted.lower() == mnemonic.lower()
        if not fresh:
            return True  # the name may be bound already, to something else
        name = wanted[1:]
        bound = {name: mnemonic}  # what match_instruction binds first
        return all(w.holds(bound) for w in node.where if w.metavariable == name and w.sysreg is None)
    if node.op == "directive":
        return False  # a directive pattern never holds at an instruction
    if node.op == "any":
        return any(_admits(child, mnemonic, fresh) for child in node.children)
    if node.op == "all":
        # children are tested in order, each with what the earlier ones bound
        return all(_admits(child, mnemonic, fresh and i == 0) for i, child in enumerate(node.children))
    return True
