"""Package faces that import nothing until a name is used.

Each package's ``__init__`` names its public API in one table; the modules
behind it load on first use (PEP 562), so ``import reviewbot.mail.plain``
costs what that module costs, not what the whole package costs: a
one-patch ``check`` must not pay for the bot's SMTP and HTTP code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def face(package: str, table: Mapping[str, str]) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``(__all__, __getattr__, __dir__)`` for ``package``, whose public
    names live in the submodules ``table`` maps them to."""

    def getattr_(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{module}"), name)

    names = sorted(table)
    return names, getattr_, lambda: names
