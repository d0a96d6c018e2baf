"""YAML from files a user may not control (a repository's
``.reviewbot.yaml``, a rule pack), loaded within bounds, and values shown
in messages within bounds.

Safe tags only, and two caps: on the text, and on the size of the structure
once aliases are expanded.  A "billion laughs" document is a few hundred
bytes whose nested anchors stand for gigabytes; the parser shares the
aliased objects, so loading is cheap, but anything that walks or prints the
value (validation, an error message) expands it.  So the node graph is
measured, aliases counted as the copies they stand for, before any Python
object is built.
"""

from __future__ import annotations

import reprlib
from typing import Any

import yaml

MAX_BYTES = 1024 * 1024  # no configuration or rule file comes close to 1 MiB
MAX_NODES = 100_000  # scalars, sequences and mappings after alias expansion


class YamlLimitError(yaml.YAMLError):
    """The document is too large, too deep, or expands too much."""


def safe_loader() -> Any:
    """PyYAML's safe loader, the C one when it is built."""
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_bounded(text: str, *, loader: Any = None, max_bytes: int = MAX_BYTES,
                 max_nodes: int = MAX_NODES) -> Any:
    """Parse ``text`` with a safe ``loader``; YamlLimitError when it is
    longer than ``max_bytes`` or its structure, aliases expanded, has more
    than ``max_nodes`` nodes (or aliases itself)."""
    if len(text) > max_bytes:
        raise YamlLimitError(f"{len(text)} characters, more than the {max_bytes} allowed")
    instance = (loader or safe_loader())(text)
    try:
        try:
            node = instance.get_single_node()
        except RecursionError:
            raise YamlLimitError("nested too deeply") from None
        if node is None:
            return None
        _check_expanded_size(node, max_nodes)
        try:
            return instance.construct_document(node)
        except RecursionError:
            raise YamlLimitError("nested too deeply") from None
    finally:
        instance.dispose()


def _check_expanded_size(root: yaml.Node, limit: int) -> None:
    """Count the nodes of ``root`` as if every alias were a copy, without
    expanding anything: each node's size is computed once (post-order, no
    recursion), so the cost is the size of the graph, not of its expansion."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            size = 1 + sum(sizes[id(child)] for child in _children(node))
            if size > limit:
                raise YamlLimitError(f"its aliases expand to more than {limit} values")
            sizes[key] = size
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise YamlLimitError("an alias refers to the value that contains it")
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise YamlLimitError("an alias refers to the value that contains it")
            if id(child) not in sizes:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 4
_SHORT.maxlevel = 3
MAX_SHOWN = 120


def shown(value: Any) -> str:
    """A repr of ``value`` for a message: bounded in depth, items and
    length whatever the value holds."""
    text = _SHORT.repr(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 3] + "..."
