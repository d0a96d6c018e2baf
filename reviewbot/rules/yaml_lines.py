"""Safe YAML whose mappings remember the line of every key, so rule errors
can say ``file:line: key: problem``.  Imported only when a rule file is
actually read (a cached rule set needs no YAML)."""

from __future__ import annotations

from typing import Any

import yaml
from yaml import YAMLError

from reviewbot.rules.linedict import LineDict

__all__ = ["YAMLError", "load_with_lines"]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, building LineDicts."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.lines = {}
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_with_lines(text: str) -> Any:
    """Parse YAML text; mappings become LineDicts.  Bounded in size and
    alias expansion (a YamlLimitError is a YAMLError)."""
    from reviewbot.safe_yaml import load_bounded
    return load_bounded(text, loader=_Loader)
