"""The table of matchers a rule's YAML may name.

Each matcher is compiled once from its YAML block (``compile(spec, path)``)
and then run on units of code (``run(unit) -> Iterator[Hit]``), purely.
A new matcher is one module with a compile function and one row here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reviewbot.match import comment_action, comment_slots, comments, ctaint, regex, register_table, structural, taint

MATCHERS: dict[str, Callable[[Any, str], Any]] = {
    "match": structural.compile_match,    # structural assembly patterns and formulas
    "regex": regex.compile_regex,         # line regexes for C and commit messages
    "taint": taint.compile_taint,         # register dataflow: sources, sanitizers, sinks
    "comment": comments.compile_comment,  # comments that no longer match their code
    "c-taint": ctaint.compile_c_taint,    # host pointers through hyp C functions (tree-sitter)
    "register-table": register_table.compile_register_table,  # register tables in comments vs the code
    "comment-action": comment_action.compile_comment_action,  # comments saying what the code stopped doing
    "comment-slots": comment_slots.compile_comment_slots,  # "reg0 ... reg3" against the slots the code fills
}


def compile_matcher(name: str, spec: Any, path: str) -> Any:
    """Compile the ``name`` block of a rule file."""
    return MATCHERS[name](spec, path)
