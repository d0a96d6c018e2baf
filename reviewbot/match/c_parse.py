"""C source through tree-sitter's C grammar: the one module that imports a
C parser.  Made for partial code: a hunk that starts inside a function or
a macro the grammar does not know still gives the functions it can see.

Imported lazily, only when a C rule that needs the parser runs, so a check
of an assembly patch never loads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import tree_sitter_c
from tree_sitter import Language, Node, Parser

_PARSER = Parser(Language(tree_sitter_c.language()))


def parse(text: str) -> Node:
    """The syntax tree of ``text`` (errors are ERROR nodes, never raised)."""
    return _PARSER.parse(text.encode("utf-8", "replace")).root_node


def source(node: Node) -> str:
    """The text a node spans."""
    return (node.text or b"").decode("utf-8", "replace")


def line(node: Node) -> int:
    """1-based line of the node's first character."""
    return int(node.start_point[0]) + 1


def walk(node: Node) -> Iterator[Node]:
    """Every node under ``node``, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def functions(root: Node) -> Iterator[tuple[str, str, list[tuple[str, str, Node]], Node]]:
    """``(name, header text, parameters, body)`` of every function
    definition; parameters are ``(type text, name, node)``."""
    for node in walk(root):
        if node.type != "function_definition":
            continue
        body = node.child_by_field_name("body")
        declarator = _function_declarator(node.child_by_field_name("declarator"))
        if body is None or declarator is None:
            continue
        name_node = declarator.child_by_field_name("declarator")
        params = declarator.child_by_field_name("parameters")
        header = source(node)[: body.start_byte - node.start_byte]
        yield (source(name_node) if name_node else "", header, list(_parameters(params)), body)


def _function_declarator(node: Any) -> Any:
    while node is not None and node.type != "function_declarator":
        node = node.child_by_field_name("declarator")
    return node


def _parameters(params: Any) -> Iterator[tuple[str, str, Node]]:
    if params is None:
        return
    for param in params.named_children:
        if param.type != "parameter_declaration":
            continue
        declarator = param.child_by_field_name("declarator")
        stars = 0
        while declarator is not None and declarator.type == "pointer_declarator":
            stars += 1
            declarator = declarator.child_by_field_name("declarator")
        if declarator is None or declarator.type != "identifier":
            continue
        type_node = param.child_by_field_name("type")
        type_text = " ".join(source(type_node).split()) + " " + "*" * stars if type_node else ""
        yield type_text.strip(), source(declarator), param
